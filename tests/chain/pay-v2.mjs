// Official x402 v2 client: pays a URL with @x402/fetch + @x402/evm on eip155:84532.
//
//   node pay-v2.mjs URL [--key 0x..] [--method M] [--data STRING | --data-file FILE]
//                   [--header 'K: V']... [--asset 0x..] [--v1] [--include-headers] [--timeout-ms N]
//
//   --key     payer private key (default env PAYER_KEY)
//   --asset   an extra token address to allow in the spend controls (USDC at $USDC is always
//             allowed; per-payment caps are disabled)
//   --v1      also register @x402/evm's v1 client scheme for base-sepolia (the new SDK's v1 path),
//             so a server answering with only a v1 JSON 402 body gets paid too
//   --upto    also register @x402/evm's upto client scheme (Permit2, needs the payer's Permit2
//             allowance: start-chain.sh approves it for the funded payers)
//   --include-headers  add "headers" (final response headers) to the JSON output
//   --payment-id ID  send the payment-identifier extension with this id when the 402
//             declares it (a client extension calling appendPaymentIdentifierToExtensions)
//   --save-payment FILE  write the PAYMENT-SIGNATURE value sent to FILE (to replay it)
//   env RPC_URL is handed to the scheme as its rpcUrl (only used for on-chain reads, if any)
//
// stdout: {"status":N,"body":"<text>","paymentResponse":<decoded PAYMENT-RESPONSE or null>}
// exit 0 when the final response is 2xx, 1 otherwise (reason on stderr), 2 on usage errors.
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { ExactEvmSchemeV1 } from "@x402/evm/v1";
import { UptoEvmScheme } from "@x402/evm/upto/client";
import { privateKeyToAccount } from "viem/accounts";
import { writeFileSync } from "node:fs";
import { appendPaymentIdentifierToExtensions, PAYMENT_IDENTIFIER } from "@x402/extensions";
import { NETWORK_V1, NETWORK_V2, USDC_ADDRESS } from "./chain.mjs";
import { clientArgs, runAndReport } from "./pay-common.mjs";

const opts = clientArgs("pay-v2.mjs");
const account = privateKeyToAccount(opts.key);
const schemeOpts = opts.rpcUrl ? { rpcUrl: opts.rpcUrl } : undefined;

const client = new x402Client();
client.register(NETWORK_V2, new ExactEvmScheme(account, schemeOpts));
if (opts.raw.upto) client.register(NETWORK_V2, new UptoEvmScheme(account, schemeOpts));
if (opts.raw.v1) client.registerV1(NETWORK_V1, new ExactEvmSchemeV1(account, schemeOpts));

// Spend controls (local-chain-bench gotcha 2): allow our token(s), no USD cap.
const allowedAssets = [{ network: NETWORK_V2, asset: USDC_ADDRESS }];
if (opts.asset) allowedAssets.push({ network: NETWORK_V2, asset: opts.asset });
client.setSpendControls({ maxAmountPerPayment: false, allowedAssets });

if (opts.raw["payment-id"]) {
  const id = opts.raw["payment-id"];
  client.registerExtension({
    key: PAYMENT_IDENTIFIER,
    enrichPaymentPayload: async (payload) => ({
      ...payload,
      extensions: appendPaymentIdentifierToExtensions(structuredClone(payload.extensions ?? {}), id),
    }),
  });
}

let baseFetch = fetch;
if (opts.raw["save-payment"]) {
  baseFetch = async (input, init) => {
    const h = new Headers(input instanceof Request ? input.headers : init?.headers);
    const v = h.get("PAYMENT-SIGNATURE");
    if (v) writeFileSync(opts.raw["save-payment"], v + "\n");
    return fetch(input, init);
  };
}
const payingFetch = wrapFetchWithPayment(baseFetch, client);
await runAndReport("pay-v2.mjs", opts, payingFetch, decodePaymentResponseHeader, [
  "PAYMENT-RESPONSE",
  "X-PAYMENT-RESPONSE",
]);
