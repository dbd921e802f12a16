// Checks TestUSDC at $USDC on $RPC_URL behaves like FiatToken where x402 cares.
// Uses PAYER3/PAYER4 (funded) as authorizers and RELAYER to submit. Prints "ok - ..." /
// "not ok - ..." lines and exits 1 if any failed. Run after start-chain.sh (env from chain.env).
import { hashDomain, parseAbi, toHex, toFunctionSelector, decodeEventLog } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CHAIN_ID, USDC_ADDRESS, keyOf, addressOf, publicClientFor, walletClientFor } from "./chain.mjs";

const rpcUrl = process.env.RPC_URL;
if (!rpcUrl) {
  console.error("token-test.mjs: need env RPC_URL (source chain.env)");
  process.exit(2);
}
const token = process.env.USDC ?? USDC_ADDRESS;
const abi = parseAbi([
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function version() view returns (string)",
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address,address) view returns (uint256)",
  "function nonces(address) view returns (uint256)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function authorizationState(address,bytes32) view returns (bool)",
  "function transferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce,uint8 v,bytes32 r,bytes32 s)",
  "function transferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce,bytes signature)",
  "function receiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce,bytes signature)",
  "function cancelAuthorization(address authorizer,bytes32 nonce,bytes signature)",
  "function permit(address owner,address spender,uint256 value,uint256 deadline,uint8 v,bytes32 r,bytes32 s)",
  "event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)",
  "event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
]);

const pub = publicClientFor(rpcUrl);
const relayer = walletClientFor(keyOf("RELAYER"), rpcUrl);
const payee = walletClientFor(keyOf("PAYTO2"), rpcUrl);
const alice = privateKeyToAccount(keyOf("PAYER3"));
const bob = privateKeyToAccount(keyOf("PAYER4"));
const domain = { name: "USDC", version: "2", chainId: CHAIN_ID, verifyingContract: token };
const AUTH = [
  { name: "from", type: "address" },
  { name: "to", type: "address" },
  { name: "value", type: "uint256" },
  { name: "validAfter", type: "uint256" },
  { name: "validBefore", type: "uint256" },
  { name: "nonce", type: "bytes32" },
];
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

let failed = 0;
function check(cond, name, detail = "") {
  if (cond) console.log(`ok - ${name}`);
  else {
    failed++;
    console.log(`not ok - ${name} ${detail}`);
  }
}
const read = (functionName, args = []) => pub.readContract({ address: token, abi, functionName, args });
const nonce = () => toHex(crypto.getRandomValues(new Uint8Array(32)));
const now = () => BigInt(Math.floor(Date.now() / 1000));

async function auth(signer, to, value, { primaryType = "TransferWithAuthorization", validAfter = 0n, validBefore = now() + 300n, n = nonce() } = {}) {
  const message = { from: signer.address, to, value, validAfter, validBefore, nonce: n };
  const signature = await signer.signTypedData({ domain, types: { [primaryType]: AUTH }, primaryType, message });
  const r = signature.slice(0, 66);
  const s = "0x" + signature.slice(66, 130);
  const v = parseInt(signature.slice(130, 132), 16);
  return { message, signature, r, s, v };
}
const args7 = (a, sig = a.signature) => [a.message.from, a.message.to, a.message.value, a.message.validAfter, a.message.validBefore, a.message.nonce, sig];
const args9 = (a, v = a.v, r = a.r, s = a.s) => [a.message.from, a.message.to, a.message.value, a.message.validAfter, a.message.validBefore, a.message.nonce, v, r, s];

/** eth_call; returns the revert message or null when the call would succeed. */
async function reverts(functionName, args, account = relayer.account) {
  try {
    await pub.simulateContract({ address: token, abi, functionName, args, account });
    return null;
  } catch (e) {
    return e.shortMessage + " " + (e.cause?.reason ?? e.cause?.data?.errorName ?? "");
  }
}
async function send(client, functionName, args) {
  const hash = await client.writeContract({ address: token, abi, functionName, args });
  return pub.waitForTransactionReceipt({ hash, pollingInterval: 20 });
}

// --- metadata and domain
check((await read("name")) === "USDC", "name() == USDC");
check((await read("symbol")) === "USDC", "symbol() == USDC");
check((await read("decimals")) === 6, "decimals() == 6");
check((await read("version")) === "2", "version() == 2");
check((await read("DOMAIN_SEPARATOR")) === hashDomain({ domain, types: { EIP712Domain: [
  { name: "name", type: "string" }, { name: "version", type: "string" },
  { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }] } }),
  "DOMAIN_SEPARATOR matches EIP-712 ('USDC','2',84532,token address)");
const code = await pub.getCode({ address: token });
for (const sel of ["0xe3ee160e", "0xcf092995"]) check(code.includes(sel.slice(2)), `runtime has selector ${sel}`);
check(toFunctionSelector("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)") === "0xe3ee160e", "selector arithmetic sanity");

// --- transferWithAuthorization (v,r,s)
const to = addressOf("PAYTO2");
const b0 = await read("balanceOf", [to]);
const a1 = await auth(alice, to, 1234n);
for (const [name, v, s] of [
  ["high-s", a1.v === 27 ? 28 : 27, toHex(N - BigInt(a1.s), { size: 32 })],
  ["v=0/1", a1.v - 27, a1.s],
  ["v=29", 29, a1.s],
]) {
  const r = await reverts("transferWithAuthorization", args9(a1, v, a1.r, s));
  check(r && /invalid signature/.test(r), `rejects ${name} signature`, r ?? "(succeeded)");
}
check(await reverts("transferWithAuthorization", args7(a1, a1.signature.slice(0, 130) + "00")), "rejects v=0 in bytes overload");
const rc1 = await send(relayer, "transferWithAuthorization", args9(a1));
check(rc1.status === "success", "transferWithAuthorization(v,r,s) succeeds");
check((await read("balanceOf", [to])) === b0 + 1234n, "balance moved by the value");
check(await read("authorizationState", [alice.address, a1.message.nonce]), "authorizationState true after use");
const used = rc1.logs.map((l) => { try { return decodeEventLog({ abi, ...l }); } catch { return null; } }).filter(Boolean);
check(used.some((e) => e.eventName === "AuthorizationUsed" && e.args.nonce === a1.message.nonce), "AuthorizationUsed emitted");
let r = await reverts("transferWithAuthorization", args9(a1));
check(r && /used or canceled/.test(r), "replay rejected (authorization is used)", r ?? "");

// --- bytes overload
const a2 = await auth(alice, to, 1n);
check((await send(relayer, "transferWithAuthorization", args7(a2))).status === "success", "transferWithAuthorization(bytes) succeeds");

// --- wrong signer, wrong value, time window
const a3 = await auth(bob, to, 5n);
r = await reverts("transferWithAuthorization", [alice.address, ...args7(a3).slice(1)]);
check(r && /invalid signature/.test(r), "signature by another key rejected");
r = await reverts("transferWithAuthorization", [...args7(a3).slice(0, 2), 6n, ...args7(a3).slice(3)]);
check(r && /invalid signature/.test(r), "changed value rejected");
const a4 = await auth(alice, to, 1n, { validBefore: now() - 1n });
r = await reverts("transferWithAuthorization", args7(a4));
check(r && /expired/.test(r), "expired authorization rejected", r ?? "");
const a5 = await auth(alice, to, 1n, { validAfter: now() + 3600n });
r = await reverts("transferWithAuthorization", args7(a5));
check(r && /not yet valid/.test(r), "not-yet-valid authorization rejected", r ?? "");
const a6 = await auth(privateKeyToAccount(keyOf("UNFUNDED")), to, 1n);
check(!!(await reverts("transferWithAuthorization", args7(a6))), "insufficient balance reverts");

// --- receiveWithAuthorization
const a7 = await auth(alice, to, 7n, { primaryType: "ReceiveWithAuthorization" });
r = await reverts("receiveWithAuthorization", args7(a7));
check(r && /caller must be the payee/.test(r), "receiveWithAuthorization by non-payee rejected", r ?? "");
check((await send(payee, "receiveWithAuthorization", args7(a7))).status === "success", "receiveWithAuthorization by payee succeeds");
const a7b = await auth(alice, to, 7n);
check(!!(await reverts("receiveWithAuthorization", args7(a7b), payee.account)), "receiveWithAuthorization rejects a TransferWithAuthorization signature");

// --- cancelAuthorization
const n8 = nonce();
const cancelSig = await alice.signTypedData({
  domain, primaryType: "CancelAuthorization",
  types: { CancelAuthorization: [{ name: "authorizer", type: "address" }, { name: "nonce", type: "bytes32" }] },
  message: { authorizer: alice.address, nonce: n8 },
});
check((await send(relayer, "cancelAuthorization", [alice.address, n8, cancelSig])).status === "success", "cancelAuthorization succeeds");
const a8 = await auth(alice, to, 1n, { n: n8 });
r = await reverts("transferWithAuthorization", args7(a8));
check(r && /used or canceled/.test(r), "canceled nonce cannot be used");

// --- permit (ERC-2612)
const spender = addressOf("RELAYER");
const pn = await read("nonces", [alice.address]);
const deadline = now() + 300n;
const psig = await alice.signTypedData({
  domain, primaryType: "Permit",
  types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
  message: { owner: alice.address, spender, value: 999n, nonce: pn, deadline },
});
const pargs = [alice.address, spender, 999n, deadline, parseInt(psig.slice(130, 132), 16), psig.slice(0, 66), "0x" + psig.slice(66, 130)];
check((await send(relayer, "permit", pargs)).status === "success", "permit succeeds");
check((await read("allowance", [alice.address, spender])) === 999n, "permit set the allowance");
check((await read("nonces", [alice.address])) === pn + 1n, "permit bumped nonces()");
check(!!(await reverts("permit", pargs)), "permit replay rejected");

console.log(failed ? `token-test: ${failed} failed` : "token-test: all passed");
process.exit(failed ? 1 : 0);
