// EIP-712 signing tool for tests that build payments by hand (including bad ones).
//
//   echo '{"key":"0x..","domain":{...},"message":{...}}' | node sign.mjs
//   node sign.mjs '{"key":"0x..", ...}'
//
// Spec (JSON):
//   key          signer private key (default env PAYER_KEY)
//   primaryType  TransferWithAuthorization (default) | ReceiveWithAuthorization |
//                CancelAuthorization | Permit
//   domain       {name, version, chainId, verifyingContract}; every missing field defaults to the
//                local USDC domain {USDC, 2, 84532, $USDC or 0x036CbD53842c5426634e7929541eC2318f3dCF7e}
//   message      for (Transfer|Receive)WithAuthorization {from,to,value,validAfter,validBefore,nonce};
//                defaults: from = the key's address, validAfter "0", validBefore now+300,
//                nonce = 32 random bytes; `to` and `value` are required.
//                CancelAuthorization {authorizer, nonce}; Permit {owner, spender, value, nonce, deadline}.
//                Numbers may be JSON numbers or decimal/hex strings.
//
// Prints one JSON line:
//   {"signature":"0x..(65 bytes, v 27/28)","digest":"0x..","signer":"0x..","message":{..filled, all strings..},
//    "domain":{..}, "v":27|28, "r":"0x..", "s":"0x..",
//    "variants":{"highS":"0x..","v01":"0x..","compact":"0x..(EIP-2098, 64 bytes)"}}
// variants are deliberately non-canonical encodings of the same signature: FiatToken-style
// tokens (and TestUSDC) reject highS and v01; compact is 64 bytes (rejected by TestUSDC too).
import { readFileSync } from "node:fs";
import { hashTypedData, toHex, numberToHex, hexToBigInt, serializeSignature, parseSignature } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CHAIN_ID, USDC_ADDRESS, USDC_NAME, USDC_VERSION } from "./chain.mjs";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const AUTH_FIELDS = [
  { name: "from", type: "address" },
  { name: "to", type: "address" },
  { name: "value", type: "uint256" },
  { name: "validAfter", type: "uint256" },
  { name: "validBefore", type: "uint256" },
  { name: "nonce", type: "bytes32" },
];
const TYPES = {
  TransferWithAuthorization: AUTH_FIELDS,
  ReceiveWithAuthorization: AUTH_FIELDS,
  CancelAuthorization: [
    { name: "authorizer", type: "address" },
    { name: "nonce", type: "bytes32" },
  ],
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

function fail(msg) {
  console.error(`sign.mjs: ${msg}`);
  process.exit(2);
}

let text = process.argv[2];
if (text === undefined) text = readFileSync(0, "utf8");
let spec;
try {
  spec = JSON.parse(text);
} catch (e) {
  fail(`spec is not JSON: ${e.message}`);
}

const key = spec.key ?? process.env.PAYER_KEY;
if (!key) fail("need key (or env PAYER_KEY)");
const account = privateKeyToAccount(key);
const primaryType = spec.primaryType ?? "TransferWithAuthorization";
const fields = TYPES[primaryType];
if (!fields) fail(`unknown primaryType ${primaryType}`);

const d = spec.domain ?? {};
const domain = {
  name: d.name ?? USDC_NAME,
  version: d.version ?? USDC_VERSION,
  chainId: Number(d.chainId ?? CHAIN_ID),
  verifyingContract: d.verifyingContract ?? process.env.USDC ?? USDC_ADDRESS,
};

const m = { ...(spec.message ?? {}) };
if (primaryType.endsWith("WithAuthorization")) {
  m.from ??= account.address;
  m.validAfter ??= "0";
  m.validBefore ??= String(Math.floor(Date.now() / 1000) + 300);
  m.nonce ??= toHex(crypto.getRandomValues(new Uint8Array(32)));
} else if (primaryType === "CancelAuthorization") {
  m.authorizer ??= account.address;
  m.nonce ??= toHex(crypto.getRandomValues(new Uint8Array(32)));
} else if (primaryType === "Permit") {
  m.owner ??= account.address;
  m.deadline ??= String(Math.floor(Date.now() / 1000) + 300);
}

// Typed message for viem (uint -> bigint) and a printable copy (all strings).
const typed = {};
const printable = {};
for (const f of fields) {
  const v = m[f.name];
  if (v === undefined || v === null) fail(`message.${f.name} is required`);
  if (f.type.startsWith("uint")) {
    typed[f.name] = BigInt(v);
    printable[f.name] = typed[f.name].toString();
  } else {
    typed[f.name] = v;
    printable[f.name] = String(v);
  }
}

const typedData = { domain, types: { [primaryType]: fields }, primaryType, message: typed };
const signature = await account.signTypedData(typedData);
const digest = hashTypedData(typedData);

const sig = parseSignature(signature);
const v = Number(sig.v ?? 27n + BigInt(sig.yParity));
const highS = numberToHex(SECP256K1_N - hexToBigInt(sig.s), { size: 32 });
const variants = {
  highS: serializeSignature({ r: sig.r, s: highS, v: BigInt(v === 27 ? 28 : 27) }),
  v01: signature.slice(0, 130) + (v - 27).toString(16).padStart(2, "0"),
  // EIP-2098: yParity folded into the top bit of s.
  compact: sig.r + numberToHex(hexToBigInt(sig.s) | (BigInt(sig.yParity) << 255n), { size: 32 }).slice(2),
};

process.stdout.write(
  JSON.stringify({
    signature,
    digest,
    signer: account.address,
    primaryType,
    domain,
    message: printable,
    v,
    r: sig.r,
    s: sig.s,
    variants,
  }) + "\n",
);
