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
