// Proves the Permit2 and upto-proxy test contracts (contracts/Permit2Test.sol, UptoProxyTest.sol)
// against the protocol notes' known answers (KAT-3: Permit2 exact witness, KAT-4: upto witness,
// chain 84532, Permit2 at its canonical address) and exercises a real upto settlement:
// partial amount, replay, over-permitted amount, wrong facilitator, zero amount, expired deadline.
// Uses PAYER3 (funded, Permit2 approved at chain start) and PAYTO2 / FACILITATOR / RELAYER.
// Prints "ok - ..." / "not ok - ..." lines and exits 1 if any failed. Env from chain.env.
import { encodeAbiParameters, keccak256, parseAbi, toHex, decodeErrorResult } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  CHAIN_ID,
  PERMIT2_ADDRESS,
  UPTO_PROXY_ADDRESS,
  USDC_ADDRESS,
  keyOf,
  addressOf,
  publicClientFor,
  walletClientFor,
} from "./chain.mjs";

const rpcUrl = process.env.RPC_URL;
if (!rpcUrl) {
  console.error("permit2-test.mjs: need env RPC_URL (source chain.env)");
  process.exit(2);
}
const permit2Abi = parseAbi([
  "struct TokenPermissions { address token; uint256 amount; }",
  "struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function nonceBitmap(address, uint256) view returns (uint256)",
  "function hashWitnessTransfer(PermitTransferFrom permit, address spender, bytes32 witness, string witnessTypeString) view returns (bytes32 structHash, bytes32 digest)",
  "error SignatureExpired(uint256 signatureDeadline)",
  "error InvalidAmount(uint256 maxAmount)",
  "error InvalidNonce()",
  "error InvalidSignatureLength()",
  "error InvalidSignature()",
  "error InvalidSigner()",
]);
const proxyAbi = parseAbi([
  "struct TokenPermissions { address token; uint256 amount; }",
  "struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }",
  "struct Witness { address to; address facilitator; uint256 validAfter; }",
  "function PERMIT2() view returns (address)",
  "function WITNESS_TYPE_STRING() view returns (string)",
  "function WITNESS_TYPEHASH() view returns (bytes32)",
  "function settle(PermitTransferFrom permit, uint256 amount, address owner, Witness witness, bytes signature)",
  "event Settled()",
  "error UnauthorizedFacilitator()",
  "error AmountExceedsPermitted()",
  "error InvalidDestination()",
  "error PaymentTooEarly()",
  "error InvalidOwner()",
  "error InvalidAmount()",
]);
const tokenAbi = parseAbi(["function balanceOf(address) view returns (uint256)"]);
const errorAbi = [...permit2Abi, ...proxyAbi];

const pub = publicClientFor(rpcUrl);
let failed = 0;
function check(cond, name, detail = "") {
  if (cond) console.log(`ok - ${name}`);
  else {
    failed++;
    console.log(`not ok - ${name} ${detail}`);
  }
}

// ---- KAT-3 / KAT-4 (notes §10.2): the contract hashes exactly like canonical Permit2.
const EXACT_WITNESS_STRING = "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,uint256 validAfter)";
const UPTO_WITNESS_STRING =
  "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,address facilitator,uint256 validAfter)";
const KAT_NONCE = 33247007178036348590600198031289925668252061821958005840077069883511451257277n;
const KAT_DEADLINE = 1740672154n;
const KAT_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const KAT_VALID_AFTER = 1740672089n;
const KAT_TOKEN = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

check(CHAIN_ID === 84532, "chain id is 84532 (the KATs' chain)");
const sep = await pub.readContract({ address: PERMIT2_ADDRESS, abi: permit2Abi, functionName: "DOMAIN_SEPARATOR" });
check(sep === "0x010f27a92fb9a32622f44f001dc4d15706a85b33499cfc2ce9033113ab26592c", "Permit2 domain separator = KAT-3", sep);

const exactWitness = keccak256(
  encodeAbiParameters(
    [{ type: "bytes32" }, { type: "address" }, { type: "uint256" }],
    [keccak256(toHex("Witness(address to,uint256 validAfter)")), KAT_TO, KAT_VALID_AFTER],
  ),
);
const [sh3, dg3] = await pub.readContract({
  address: PERMIT2_ADDRESS,
  abi: permit2Abi,
  functionName: "hashWitnessTransfer",
  args: [
    { permitted: { token: KAT_TOKEN, amount: 10000n }, nonce: KAT_NONCE, deadline: KAT_DEADLINE },
    "0x402085c248EeA27D92E8b30b2C58ed07f9E20001",
    exactWitness,
    EXACT_WITNESS_STRING,
  ],
});
check(sh3 === "0xf9efd2ab5ec37a11f062cfbde5dd2654b11aa7c03eedbac1f9bf0efd67b2d8b4", "KAT-3 struct hash", sh3);
check(dg3 === "0x21528e1468aac114016416353e2309329f217dc180b21baa1d81cde941095685", "KAT-3 digest", dg3);

const uptoTypehash = await pub.readContract({ address: UPTO_PROXY_ADDRESS, abi: proxyAbi, functionName: "WITNESS_TYPEHASH" });
check(uptoTypehash === "0xd4171c445a74218b01d4fd8af34ff1106580ea1e36ff837e64484bfaa2253b75", "upto proxy WITNESS_TYPEHASH", uptoTypehash);
const wts = await pub.readContract({ address: UPTO_PROXY_ADDRESS, abi: proxyAbi, functionName: "WITNESS_TYPE_STRING" });
check(wts === UPTO_WITNESS_STRING, "upto proxy WITNESS_TYPE_STRING");
const p2 = await pub.readContract({ address: UPTO_PROXY_ADDRESS, abi: proxyAbi, functionName: "PERMIT2" });
check(p2 === PERMIT2_ADDRESS, "upto proxy PERMIT2()");
const uptoWitness = (to, facilitator, validAfter) =>
  keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "address" }, { type: "uint256" }],
      [uptoTypehash, to, facilitator, validAfter],
    ),
  );
const [sh4, dg4] = await pub.readContract({
  address: PERMIT2_ADDRESS,
  abi: permit2Abi,
  functionName: "hashWitnessTransfer",
  args: [
    { permitted: { token: KAT_TOKEN, amount: 5000000n }, nonce: KAT_NONCE, deadline: KAT_DEADLINE },
    UPTO_PROXY_ADDRESS,
    uptoWitness(KAT_TO, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", KAT_VALID_AFTER),
    UPTO_WITNESS_STRING,
  ],
});
check(sh4 === "0x52e675528d36449833912452397bab5eb465aaadd8167182ae3749f17b18aa78", "KAT-4 struct hash", sh4);
check(dg4 === "0x22340f12e045f90a2bdf0bb39dd61d8c4674579544873480e8af265f383d4837", "KAT-4 digest", dg4);

// The official client's typed data (viem) signs the same digest: KAT-4's signature.
const UPTO_TYPES = {
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
};
const domain = { name: "Permit2", chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS };
const anvil0 = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const sig4 = await anvil0.signTypedData({
  domain,
  types: UPTO_TYPES,
  primaryType: "PermitWitnessTransferFrom",
  message: {
    permitted: { token: KAT_TOKEN, amount: 5000000n },
    spender: UPTO_PROXY_ADDRESS,
    nonce: KAT_NONCE,
    deadline: KAT_DEADLINE,
    witness: { to: KAT_TO, facilitator: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", validAfter: KAT_VALID_AFTER },
  },
});
check(
  sig4 ===
    "0x95636daf74af6f82c3930e9d3baf3c1cacb37fb79e794b860ee5a2151274cd2e120fbb1a9774ae2a604cd4aeae0696da0c05f0b14e242fd93d0bb0e22ce8f46f1b",
  "KAT-4 signature",
  sig4,
);

// ---- real settlements through the proxy
const payer = privateKeyToAccount(keyOf("PAYER3"));
const payTo = addressOf("PAYTO2");
const facilitator = walletClientFor(keyOf("FACILITATOR"), rpcUrl);
const stranger = walletClientFor(keyOf("RELAYER"), rpcUrl);
const bal = (a) => pub.readContract({ address: USDC_ADDRESS, abi: tokenAbi, functionName: "balanceOf", args: [a] });
const now = () => BigInt(Math.floor(Date.now() / 1000));

async function signUpto({ max, nonce, deadline, to = payTo, fac = facilitator.account.address, validAfter = 0n }) {
  const message = {
    permitted: { token: USDC_ADDRESS, amount: max },
    spender: UPTO_PROXY_ADDRESS,
    nonce,
    deadline,
    witness: { to, facilitator: fac, validAfter },
  };
  const signature = await payer.signTypedData({ domain, types: UPTO_TYPES, primaryType: "PermitWitnessTransferFrom", message });
  return {
    permit: { permitted: message.permitted, nonce, deadline },
    witness: message.witness,
    signature,
  };
}
// Returns the custom error name of a reverting settle, or "ok" after mining it.
async function settle(who, a, amount, owner = payer.address) {
  const args = [a.permit, amount, owner, a.witness, a.signature];
  try {
    await pub.simulateContract({ account: who.account, address: UPTO_PROXY_ADDRESS, abi: proxyAbi, functionName: "settle", args });
  } catch (e) {
    let c = e;
    while (c && !c.data?.errorName && c.cause) c = c.cause;
    if (c?.data?.errorName) return c.data.errorName;
    const raw = e.walk?.((x) => typeof x?.data === "string")?.data;
    if (raw) {
      try {
        return decodeErrorResult({ abi: errorAbi, data: raw }).errorName;
      } catch {}
    }
    return "revert:" + e.shortMessage;
  }
  const hash = await who.writeContract({ address: UPTO_PROXY_ADDRESS, abi: proxyAbi, functionName: "settle", args, gas: 300000n });
  const r = await who.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  return r.status === "success" ? "ok" : "reverted";
}

const nonce1 = BigInt(toHex(crypto.getRandomValues(new Uint8Array(32))));
const a1 = await signUpto({ max: 50000n, nonce: nonce1, deadline: now() + 300n });
const [p0, t0] = [await bal(payer.address), await bal(payTo)];
check((await settle(stranger, a1, 1234n)) === "UnauthorizedFacilitator", "settle from another sender: UnauthorizedFacilitator");
check((await settle(facilitator, a1, 50001n)) === "AmountExceedsPermitted", "settle above the permitted amount: AmountExceedsPermitted");
check((await settle(facilitator, a1, 0n)) === "InvalidAmount", "settle of zero: InvalidAmount");
check((await settle(facilitator, a1, 1234n, addressOf("PAYER4"))) === "InvalidSigner", "settle for another owner: InvalidSigner");
const r1 = await settle(facilitator, a1, 1234n);
check(r1 === "ok", "settle 1234 of a 50000 authorization", r1);
const [p1, t1] = [await bal(payer.address), await bal(payTo)];
check(p0 - p1 === 1234n && t1 - t0 === 1234n, "exactly 1234 moved", `${p0 - p1} ${t1 - t0}`);
const bitmap = await pub.readContract({ address: PERMIT2_ADDRESS, abi: permit2Abi, functionName: "nonceBitmap", args: [payer.address, nonce1 >> 8n] });
check(((bitmap >> (nonce1 & 255n)) & 1n) === 1n, "nonce bit set in nonceBitmap");
check((await settle(facilitator, a1, 1n)) === "InvalidNonce", "second settlement of the same authorization: InvalidNonce");

const a2 = await signUpto({ max: 50000n, nonce: nonce1 + 1n, deadline: now() + 300n });
check((await settle(facilitator, a2, 50000n)) === "ok", "settle the whole maximum");
check(t1 + 50000n === (await bal(payTo)), "exactly the maximum moved");

// An hour in the past: "now - 1" raced the next block's timestamp.
const a3 = await signUpto({ max: 1000n, nonce: nonce1 + 2n, deadline: now() - 3600n });
check((await settle(facilitator, a3, 10n)) === "SignatureExpired", "expired deadline: SignatureExpired");
const a4 = await signUpto({ max: 1000n, nonce: nonce1 + 3n, deadline: now() + 300n, validAfter: now() + 3600n });
check((await settle(facilitator, a4, 10n)) === "PaymentTooEarly", "validAfter in the future: PaymentTooEarly");
const a5 = await signUpto({ max: 1000n, nonce: nonce1 + 4n, deadline: now() + 300n });
a5.witness = { ...a5.witness, to: addressOf("PAYTO") };
check((await settle(facilitator, a5, 10n)) === "InvalidSigner", "recipient changed after signing: InvalidSigner");

console.log(failed ? `${failed} failed` : "all passed");
process.exit(failed ? 1 : 0);
