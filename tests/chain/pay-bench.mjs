// Sequential paid-request latency with the official clients, in one process (no node start-up
// per request).
//
//   node pay-bench.mjs URL [--version 2|1] [-n N] [--key 0x..]
//
// Each iteration is a full official flow: request -> 402 -> sign -> paid retry (server verifies,
// runs the handler, settles on chain). Prints one JSON line
// {"version","n","ok","min_ms","median_ms","p90_ms","max_ms"}; exit 1 if any request was not 2xx.
import { wrapFetchWithPayment as wrapV2, x402Client } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment as wrapV1 } from "x402-fetch";
import { privateKeyToAccount } from "viem/accounts";
import { NETWORK_V2, USDC_ADDRESS, parseArgs, walletClientFor } from "./chain.mjs";

const a = parseArgs(process.argv.slice(2).map((x) => (x === "-n" ? "--n" : x)));
const url = a._[0];
const version = Number(a.version ?? 2);
const n = Number(a.n ?? 20);
const key = a.key ?? process.env.PAYER_KEY;
if (!url || !key || ![1, 2].includes(version)) {
  console.error("usage: node pay-bench.mjs URL [--version 2|1] [-n N] [--key 0x..]  (env PAYER_KEY, RPC_URL)");
  process.exit(2);
}

let payingFetch;
if (version === 2) {
  const client = new x402Client();
  client.register(NETWORK_V2, new ExactEvmScheme(privateKeyToAccount(key)));
  client.setSpendControls({ maxAmountPerPayment: false, allowedAssets: [{ network: NETWORK_V2, asset: USDC_ADDRESS }] });
  payingFetch = wrapV2(fetch, client);
} else {
  payingFetch = wrapV1(fetch, walletClientFor(key, process.env.RPC_URL ?? "http://127.0.0.1:9"), 10_000_000n);
}

const times = [];
let ok = 0;
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const res = await payingFetch(url);
  await res.text();
  times.push(performance.now() - t0);
  if (res.ok) ok++;
  else console.error(`pay-bench: request ${i}: status ${res.status}`);
}
times.sort((x, y) => x - y);
const q = (p) => +times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
console.log(JSON.stringify({ version, n, ok, min_ms: q(0), median_ms: q(0.5), p90_ms: q(0.9), max_ms: q(1) }));
process.exit(ok === n ? 0 : 1);
