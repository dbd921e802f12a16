// payment-header.mjs - build a signed x402 payment header by hand, for
// tests that need to send one twice, change one field, or sign badly.
//
//   node payment-header.mjs PAYMENT_REQUIRED_B64 [options]   -> base64 on stdout
//     --key 0x..          signer (default $PAYER_KEY)
//     --index N           which accepts[] entry (default 0)
//     --v1 NAME           emit a v1 X-PAYMENT for v1 network NAME instead
//     --value V --to A --valid-after T --valid-before T --nonce 0x..
//                         override authorization fields AFTER choosing
//                         what to sign (so they are what gets signed)
//     --tamper-value V    change value after signing (bad signature)
//     --domain-name N     sign under another EIP-712 name
//     --json              print the JSON instead of base64
//   An `upto` entry gets a Permit2 upto payload (as @x402/evm's upto client signs it);
//   --value overrides permitted.amount, --to witness.to, --facilitator witness.facilitator,
//   --valid-after, --deadline (default now+maxTimeoutSeconds), --nonce (decimal),
//   --tamper-value changes permitted.amount after signing.
import { privateKeyToAccount } from "viem/accounts";
import { randomBytes } from "node:crypto";

const args = process.argv.slice(2);
if (args.length < 1) {
	console.error("usage: node payment-header.mjs PAYMENT_REQUIRED_B64 [options]");
	process.exit(2);
}
const opt = {};
for (let i = 1; i < args.length; i++) {
	const k = args[i].replace(/^--/, "");
	if (k === "json") opt.json = true;
	else opt[k] = args[++i];
}
const required = JSON.parse(Buffer.from(args[0], "base64").toString("utf8"));
const acc = required.accepts[Number(opt.index ?? 0)];
const account = privateKeyToAccount(opt.key ?? process.env.PAYER_KEY);
const now = Math.floor(Date.now() / 1000);
const auth = {
	from: account.address,
	to: opt.to ?? acc.payTo,
	value: opt.value ?? acc.amount,
	validAfter: opt["valid-after"] ?? "0",
	validBefore: opt["valid-before"] ?? String(now + acc.maxTimeoutSeconds),
	nonce: opt.nonce ?? "0x" + randomBytes(32).toString("hex"),
};
const chainId = Number(acc.network.split(":")[1]);
if (acc.scheme === "upto") {
	const UPTO_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";
	const pa = {
		from: account.address,
		permitted: { token: acc.asset, amount: opt.value ?? acc.amount },
		spender: UPTO_PROXY,
		nonce: opt.nonce ?? BigInt("0x" + randomBytes(32).toString("hex")).toString(),
		deadline: opt.deadline ?? String(now + acc.maxTimeoutSeconds),
		witness: {
			to: opt.to ?? acc.payTo,
			facilitator: opt.facilitator ?? acc.extra.facilitatorAddress,
			validAfter: opt["valid-after"] ?? "0",
		},
	};
	const sig = await account.signTypedData({
		domain: { name: "Permit2", chainId, verifyingContract: "0x000000000022D473030F116dDEE9F6B43aC78BA3" },
		types: {
			PermitWitnessTransferFrom: [
				{ name: "permitted", type: "TokenPermissions" },
				{ name: "spender", type: "address" },
				{ name: "nonce", type: "uint256" },
				{ name: "deadline", type: "uint256" },
				{ name: "witness", type: "Witness" },
			],
			TokenPermissions: [
				{ name: "token", type: "address" },
				{ name: "amount", type: "uint256" },
			],
			Witness: [
				{ name: "to", type: "address" },
				{ name: "facilitator", type: "address" },
				{ name: "validAfter", type: "uint256" },
			],
		},
		primaryType: "PermitWitnessTransferFrom",
		message: {
			permitted: { token: pa.permitted.token, amount: BigInt(pa.permitted.amount) },
			spender: pa.spender,
			nonce: BigInt(pa.nonce),
			deadline: BigInt(pa.deadline),
			witness: { ...pa.witness, validAfter: BigInt(pa.witness.validAfter) },
		},
	});
	if (opt["tamper-value"] !== undefined) pa.permitted.amount = opt["tamper-value"];
	const text = JSON.stringify({ x402Version: 2, payload: { signature: sig, permit2Authorization: pa },
	    resource: required.resource, accepted: acc });
	console.log(opt.json ? text : Buffer.from(text, "utf8").toString("base64"));
	process.exit(0);
}
const signature = await account.signTypedData({
	domain: {
		name: opt["domain-name"] ?? acc.extra.name,
		version: acc.extra.version,
		chainId,
		verifyingContract: acc.asset,
	},
	types: {
		TransferWithAuthorization: [
			{ name: "from", type: "address" },
			{ name: "to", type: "address" },
			{ name: "value", type: "uint256" },
			{ name: "validAfter", type: "uint256" },
			{ name: "validBefore", type: "uint256" },
			{ name: "nonce", type: "bytes32" },
		],
	},
	primaryType: "TransferWithAuthorization",
	message: {
		...auth,
		value: BigInt(auth.value),
		validAfter: BigInt(auth.validAfter),
		validBefore: BigInt(auth.validBefore),
	},
});
if (opt["tamper-value"] !== undefined) auth.value = opt["tamper-value"];
const payload = opt.v1
	? { x402Version: 1, scheme: "exact", network: opt.v1,
	    payload: { signature, authorization: auth } }
	: { x402Version: 2, payload: { authorization: auth, signature },
	    resource: required.resource, accepted: acc };
const text = JSON.stringify(payload);
console.log(opt.json ? text : Buffer.from(text, "utf8").toString("base64"));
