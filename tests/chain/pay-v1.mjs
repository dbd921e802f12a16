// Official legacy x402 v1 client: pays a URL with x402-fetch 1.2.0 on base-sepolia (chain 84532).
//
//   node pay-v1.mjs URL [--key 0x..] [--method M] [--data STRING | --data-file FILE]
//                   [--header 'K: V']... [--max-value ATOMIC] [--include-headers] [--timeout-ms N]
//
//   --key        payer private key (default env PAYER_KEY)
//   --max-value  largest payment accepted, atomic USDC (default 10000000 = 10 USDC)
//   --rpc        RPC URL of the wallet client (default env RPC_URL; needed only for reads)
//   --asset      accepted for symmetry with pay-v2.mjs; the legacy client pays whatever
//                `asset` the 402 names (preferring base-sepolia USDC)
//
// stdout: {"status":N,"body":"<text>","paymentResponse":<decoded X-PAYMENT-RESPONSE or null>}
// exit 0 when the final response is 2xx, 1 otherwise (reason on stderr), 2 on usage errors.
import { wrapFetchWithPayment, decodeXPaymentResponse } from "x402-fetch";
import { walletClientFor } from "./chain.mjs";
import { clientArgs, runAndReport } from "./pay-common.mjs";

const opts = clientArgs("pay-v1.mjs");
// The wallet client's transport must never point at a public RPC: default to a dead local port.
const wallet = walletClientFor(opts.key, opts.rpcUrl ?? "http://127.0.0.1:9");
const maxValue = BigInt(opts.raw["max-value"] ?? 10_000_000);

const payingFetch = wrapFetchWithPayment(fetch, wallet, maxValue);
await runAndReport("pay-v1.mjs", opts, payingFetch, decodeXPaymentResponse, ["X-PAYMENT-RESPONSE", "PAYMENT-RESPONSE"]);
