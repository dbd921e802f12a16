// payment-header.mjs - build a signed x402 payment header by hand, for
// tests that need to send one twice, change one field, or sign badly.
//
//   node payment-header.mjs PAYMENT_REQUIRED_B64 [options]   -> base64 on stdout
//     --key 0x..          signer (default $PAYER_KEY)
//     --from A            claim this `from` (default: the signer's address)
//     --index N           which accepts[] entry (default 0)
//     --v1 NAME           emit a v1 X-PAYMENT for v1 network NAME instead
//     --value V --to A --valid-after T --valid-before T --nonce 0x..
//                         override authorization fields AFTER choosing
//                         what to sign (so they are what gets signed)
//     --swap-from-to      sign with from = accepted payTo, to = the signer
//     --tamper-value V    change value after signing (bad signature)
//     --domain-name N     sign under another EIP-712 name
//     --domain-version V  sign under another EIP-712 version
//     --chain-id N        sign under another chain id
//     --asset A           sign for another token (domain and accepted.asset)
//     --accepted JSON     merge these keys into `accepted` after signing
//     --version N         x402Version to send (after signing)
//     --payment-id ID     add extensions.payment-identifier {info:{required,id}}
//     --extensions JSON   add (merge) these top-level extensions
//     --set PATH=JSON     after signing, set a dotted path of the payload
//                         (e.g. payload.authorization.value=1000); repeatable
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
const opt = { set: [] };
for (let i = 1; i < args.length; i++) {
	const k = args[i].replace(/^--/, "");
	if (k === "json" || k === "swap-from-to") opt[k] = true;
	else if (k === "set") opt.set.push(args[++i]);
	else opt[k] = args[++i];
}
const required = JSON.parse(Buffer.from(args[0], "base64").toString("utf8"));
const acc = { ...required.accepts[Number(opt.index ?? 0)] };
const account = privateKeyToAccount(opt.key ?? process.env.PAYER_KEY);
const now = Math.floor(Date.now() / 1000);
const auth = {
	from: opt.from ?? account.address,
	to: opt.to ?? acc.payTo,
	value: opt.value ?? acc.amount,
	validAfter: opt["valid-after"] ?? "0",
	validBefore: opt["valid-before"] ?? String(now + acc.maxTimeoutSeconds),
	nonce: opt.nonce ?? "0x" + randomBytes(32).toString("hex"),
};
if (opt["swap-from-to"]) {
	auth.from = acc.payTo;
	auth.to = account.address;
}
if (opt.asset) acc.asset = opt.asset;
const chainId = Number(opt["chain-id"] ?? acc.network.split(":")[1]);
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
		version: opt["domain-version"] ?? acc.extra.version,
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
if (opt.accepted) Object.assign(acc, JSON.parse(opt.accepted));
let payload = opt.v1
	? { x402Version: 1, scheme: "exact", network: opt.v1,
	    payload: { signature, authorization: auth } }
	: { x402Version: 2, payload: { authorization: auth, signature },
	    resource: required.resource, accepted: acc };
let ext = opt.extensions ? JSON.parse(opt.extensions) : undefined;
if (opt["payment-id"] !== undefined) {
	const decl = required.extensions?.["payment-identifier"] ??
	    { info: { required: false } };
	ext = { ...(ext ?? {}), "payment-identifier":
	    { ...decl, info: { ...decl.info, id: opt["payment-id"] } } };
}
if (ext) {
	// the official client's order: x402Version, payload, extensions, resource, accepted
	const { x402Version, payload: pl, ...rest } = payload;
	payload = { x402Version, payload: pl, extensions: ext, ...rest };
}
if (opt.version !== undefined) payload.x402Version = JSON.parse(opt.version);
for (const s of opt.set) {
	const i = s.indexOf("=");
	const path = s.slice(0, i).split(".");
	let o = payload;
	for (const k of path.slice(0, -1)) o = o[k];
	o[path[path.length - 1]] = JSON.parse(s.slice(i + 1));
}
const text = JSON.stringify(payload);
console.log(opt.json ? text : Buffer.from(text, "utf8").toString("base64"));
