// Token balances on the local chain (no viem import: starts fast, for use in shell loops).
//
//   node balance.mjs [--asset 0x..] [--rpc URL] ADDRESS [ADDRESS...]
//   node balance.mjs [--asset 0x..] [--rpc URL] --auth-state AUTHORIZER NONCE
//
// Prints "ADDRESS ATOMIC" per line (ADDRESS as given), or "true"/"false" for --auth-state
// (EIP-3009 authorizationState). Token defaults to env USDC, then the base-sepolia USDC
// address; RPC defaults to env RPC_URL. Exit 1 on RPC errors, 2 on usage errors.
const USDC_DEFAULT = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

const argv = process.argv.slice(2);
let rpcUrl = process.env.RPC_URL;
let asset = process.env.USDC || USDC_DEFAULT;
let authState = false;
const rest = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--rpc") rpcUrl = argv[++i];
  else if (argv[i] === "--asset") asset = argv[++i];
  else if (argv[i] === "--auth-state") authState = true;
  else rest.push(argv[i]);
}
function usage(msg) {
  if (msg) console.error(`balance.mjs: ${msg}`);
  console.error("usage: node balance.mjs [--asset 0x..] [--rpc URL] ADDRESS [ADDRESS...]\n" +
    "       node balance.mjs [--asset 0x..] [--rpc URL] --auth-state AUTHORIZER NONCE");
  process.exit(2);
}
const isAddr = (a) => /^0x[0-9a-fA-F]{40}$/.test(a ?? "");
if (!rpcUrl) usage("need --rpc URL or env RPC_URL");
if (!isAddr(asset)) usage(`bad asset ${asset}`);

const word = (hex) => hex.replace(/^0x/, "").toLowerCase().padStart(64, "0");

async function ethCall(data, id) {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "eth_call", params: [{ to: asset, data }, "latest"] }),
  });
  const j = await res.json();
  if (j.error) throw new Error(JSON.stringify(j.error));
  if (!/^0x[0-9a-fA-F]{64}/.test(j.result)) throw new Error(`unexpected result ${j.result} (is there a token at ${asset}?)`);
  return BigInt(j.result.slice(0, 66));
}

try {
  if (authState) {
    const [who, nonce] = rest;
    if (!isAddr(who) || !/^0x[0-9a-fA-F]{64}$/.test(nonce ?? "")) usage("--auth-state needs AUTHORIZER NONCE");
    // authorizationState(address,bytes32) = 0xe94a0102
    console.log(String((await ethCall("0xe94a0102" + word(who) + word(nonce), 1)) !== 0n));
  } else {
    if (rest.length === 0) usage();
    for (const a of rest) if (!isAddr(a)) usage(`not an address: ${a}`);
    // balanceOf(address) = 0x70a08231
    const values = await Promise.all(rest.map((a, i) => ethCall("0x70a08231" + word(a), i + 1)));
    console.log(rest.map((a, i) => `${a} ${values[i]}`).join("\n"));
  }
} catch (e) {
  console.error(`balance.mjs: ${e.cause?.message ?? e.message}`);
  process.exit(1);
}
