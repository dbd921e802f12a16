// Shared CLI plumbing for pay-v1.mjs / pay-v2.mjs.
import { readFileSync } from "node:fs";
import { parseArgs } from "./chain.mjs";

export const USAGE_OPTS =
  "URL [--key 0x..] [--method M] [--data STRING | --data-file FILE] [--header 'K: V']... " +
  "[--asset 0x..] [--include-headers] [--timeout-ms N]";

/** Parse the common client options. Exits 2 on usage errors. */
export function clientArgs(script) {
  let a;
  try {
    a = parseArgs(process.argv.slice(2), { flags: ["include-headers", "v1", "upto", "help"], multi: ["header"] });
  } catch (e) {
    usage(script, e.message);
  }
  if (a.help || a._.length !== 1) usage(script);
  const key = a.key ?? process.env.PAYER_KEY;
  if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key)) usage(script, "need --key 0x<64 hex> or env PAYER_KEY");
  const headers = {};
  for (const h of a.header ?? []) {
    const i = h.indexOf(":");
    if (i <= 0) usage(script, `bad --header '${h}'`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  let body;
  if (a.data !== undefined) body = a.data;
  if (a["data-file"] !== undefined) body = readFileSync(a["data-file"]);
  const method = (a.method ?? (body !== undefined ? "POST" : "GET")).toUpperCase();
  return {
    url: a._[0],
    key,
    method,
    body,
    headers,
    asset: a.asset,
    includeHeaders: !!a["include-headers"],
    timeoutMs: Number(a["timeout-ms"] ?? 30000),
    rpcUrl: a.rpc ?? process.env.RPC_URL,
    raw: a,
  };
}

function usage(script, msg) {
  if (msg) console.error(`${script}: ${msg}`);
  console.error(`usage: node ${script} ${USAGE_OPTS}`);
  process.exit(2);
}

/**
 * Run the paying fetch, print {"status","body","paymentResponse"[,"headers"]} on stdout,
 * exit 0 on a final 2xx, 1 otherwise (message on stderr).
 */
export async function runAndReport(script, opts, payingFetch, decodeHeader, headerNames) {
  let res;
  try {
    res = await payingFetch(opts.url, {
      method: opts.method,
      headers: opts.headers,
      body: opts.body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    console.error(`${script}: request failed: ${e?.message ?? e}${e?.cause ? ` (${e.cause.message ?? e.cause})` : ""}`);
    process.exit(1);
  }
  const text = await res.text();
  let paymentResponse = null;
  for (const h of headerNames) {
    const v = res.headers.get(h);
    if (v) {
      try {
        paymentResponse = decodeHeader(v);
      } catch (e) {
        console.error(`${script}: cannot decode ${h}: ${e.message}`);
        paymentResponse = { undecodable: v };
      }
      break;
    }
  }
  const out = { status: res.status, body: text, paymentResponse };
  if (opts.includeHeaders) out.headers = Object.fromEntries(res.headers.entries());
  process.stdout.write(JSON.stringify(out) + "\n");
  if (res.status < 200 || res.status > 299) {
    console.error(`${script}: final status ${res.status}`);
    process.exit(1);
  }
  process.exit(0);
}
