// Official x402 v2 resource server (@x402/express) in front of a fixed-text handler.
//
//   node server-v2.mjs --port P --facilitator URL --pay-to 0x.. [--price '$0.001']
//                      [--path /ocr] [--description TEXT] [--body TEXT] [--max-timeout S]
//
//   --port         port on 127.0.0.1 (0 = any free port; the ready line tells which)
//   --facilitator  facilitator base URL (default env FACILITATOR_URL)
//   --pay-to       merchant address (default env PAYTO)
//   --price        USD price string like '$0.001' or an atomic amount of USDC like '1000'
//                  given as --amount instead (default '$0.001')
//   --amount       atomic USDC amount (overrides --price; uses the token at $USDC / default asset)
//   --path         protected path, any method (default /ocr); everything else is 404
//   --body         the handler's fixed response text (default "paid content\n")
//   --payment-identifier optional|required
//                  declare the payment-identifier extension (@x402/extensions)
//   --bazaar JSON  declare the bazaar extension: JSON is the config object of
//                  declareDiscoveryExtension (e.g. {"input":{"q":"x"},"output":{"example":{}}})
//   --upto UNIT    the route's scheme is "upto" (@x402/evm/upto/server, Permit2): the price is
//                  the maximum, and the handler settles UNIT atomic units per byte of the request
//                  body (Settlement-Overrides), capped by the facilitator at the maximum; the
//                  body it answers is "<bytes> bytes\n"
//
// Route: "<path>" with accepts {scheme:"exact", network:"eip155:84532", payTo, price}.
// The resource server uses HTTPFacilitatorClient({url}) and @x402/evm's ExactEvmScheme (server).
// Prints "listening on 127.0.0.1:P" when ready (after the facilitator's /supported was fetched).
import express from "express";
import { paymentMiddleware, setSettlementOverrides, x402ResourceServer } from "@x402/express";
import { HTTPFacilitatorClient } from "@x402/core/server";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { UptoEvmScheme } from "@x402/evm/upto/server";
import {
  bazaarResourceServerExtension,
  declareDiscoveryExtension,
  declarePaymentIdentifierExtension,
  paymentIdentifierResourceServerExtension,
} from "@x402/extensions";
import { NETWORK_V2, USDC_ADDRESS, USDC_NAME, USDC_VERSION, parseArgs } from "./chain.mjs";

const a = parseArgs(process.argv.slice(2));
const port = Number(a.port ?? 0);
const facilitatorUrl = a.facilitator ?? process.env.FACILITATOR_URL;
const payTo = a["pay-to"] ?? process.env.PAYTO;
const path = a.path ?? "/ocr";
const bodyText = a.body ?? "paid content\n";
function die(m) {
  console.error(`server-v2: ${m}`);
  process.exit(2);
}
if (!facilitatorUrl) die("need --facilitator URL");
if (!payTo) die("need --pay-to 0x.. (or env PAYTO)");

const price = a.amount
  ? { amount: String(a.amount), asset: USDC_ADDRESS, extra: { name: USDC_NAME, version: USDC_VERSION } }
  : (a.price ?? "$0.001");

const upto = a.upto !== undefined;
const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitatorUrl })).register(
  NETWORK_V2,
  upto ? new UptoEvmScheme() : new ExactEvmScheme(),
);

const extensions = {};
if (a.bazaar) {
  Object.assign(extensions, declareDiscoveryExtension(JSON.parse(a.bazaar)));
  resourceServer.registerExtension(bazaarResourceServerExtension);
}
if (a["payment-identifier"]) {
  extensions["payment-identifier"] = declarePaymentIdentifierExtension(a["payment-identifier"] === "required");
  resourceServer.registerExtension(paymentIdentifierResourceServerExtension);
}

const routes = {
  [path]: {
    accepts: {
      scheme: upto ? "upto" : "exact",
      network: NETWORK_V2,
      payTo,
      price,
      ...(a["max-timeout"] ? { maxTimeoutSeconds: Number(a["max-timeout"]) } : {}),
    },
    description: a.description ?? "",
    mimeType: "text/plain",
    ...(Object.keys(extensions).length ? { extensions } : {}),
  },
};

const app = express();
app.disable("x-powered-by");
// syncFacilitatorOnStart=false: we initialize explicitly below so "listening" means ready.
app.use(paymentMiddleware(routes, resourceServer, undefined, undefined, false));
if (upto) app.use(express.raw({ type: () => true, limit: "1mb" }));
app.all(path, (req, res) => {
  if (upto) {
    const n = Buffer.isBuffer(req.body) ? req.body.length : 0;
    setSettlementOverrides(res, { amount: String(BigInt(n) * BigInt(a.upto)) });
    res.type("text/plain").send(`${n} bytes\n`);
    return;
  }
  res.type("text/plain").send(bodyText);
});

try {
  await resourceServer.initialize();
} catch (e) {
  die(`cannot initialize against facilitator ${facilitatorUrl}: ${e.message}`);
}

const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
server.on("error", (e) => die(e.message));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
