// Official legacy x402 v1 resource server (x402-express 1.2.0) in front of a fixed-text handler.
//
//   node server-v1.mjs --port P --facilitator URL --pay-to 0x.. [--price '$0.001']
//                      [--path /ocr] [--description TEXT] [--body TEXT] [--max-timeout S]
//
//   --port         port on 127.0.0.1 (0 = any free port; the ready line tells which)
//   --facilitator  facilitator base URL (default env FACILITATOR_URL)
//   --pay-to       merchant address (default env PAYTO)
//   --price        USD price string like '$0.001' (default '$0.001'); network base-sepolia, so
//                  the legacy package picks USDC at 0x036CbD53842c5426634e7929541eC2318f3dCF7e
//   --amount       atomic USDC amount instead of --price
//   --path         protected path, any method (default /ocr)
//   --body         the handler's fixed response text (default "paid content\n")
//
// Prints "listening on 127.0.0.1:P" when ready.
import express from "express";
import { paymentMiddleware } from "x402-express";
import { NETWORK_V1, USDC_ADDRESS, USDC_NAME, USDC_VERSION, parseArgs } from "./chain.mjs";

const a = parseArgs(process.argv.slice(2));
const port = Number(a.port ?? 0);
const facilitatorUrl = a.facilitator ?? process.env.FACILITATOR_URL;
const payTo = a["pay-to"] ?? process.env.PAYTO;
const path = a.path ?? "/ocr";
const bodyText = a.body ?? "paid content\n";
function die(m) {
  console.error(`server-v1: ${m}`);
  process.exit(2);
}
if (!facilitatorUrl) die("need --facilitator URL");
if (!payTo) die("need --pay-to 0x.. (or env PAYTO)");

const price = a.amount
  ? {
      amount: String(a.amount),
      asset: { address: USDC_ADDRESS, decimals: 6, eip712: { name: USDC_NAME, version: USDC_VERSION } },
    }
  : (a.price ?? "$0.001");

const config = { description: a.description ?? "", mimeType: "text/plain" };
if (a["max-timeout"]) config.maxTimeoutSeconds = Number(a["max-timeout"]);

const app = express();
app.disable("x-powered-by");
app.use(
  paymentMiddleware(payTo, { [path]: { price, network: NETWORK_V1, config } }, { url: facilitatorUrl }),
);
app.all(path, (req, res) => {
  res.type("text/plain").send(bodyText);
});

const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
server.on("error", (e) => die(e.message));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
