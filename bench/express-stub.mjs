// express-stub.mjs - BENCHMARK ONLY: the official x402 v2 resource server
// (@x402/express paymentMiddleware + x402ResourceServer + @x402/evm
// ExactEvmScheme), exactly as tests/chain/server-v2.mjs builds it, but with
// an in-process FacilitatorClient whose verify and settle succeed at once
// (no signature check, no chain, no HTTP).  The paid-path row of
// bench/run.sh compares x402-gate-stub (offline ecrecover verification,
// claim, fork/exec, durable receipt, stub settlement) with this.
//
//   node express-stub.mjs --port P --pay-to 0x.. [--amount 1000] [--path /bench]
//       [--exec /bin/echo]
// With --exec, the handler runs that program (child_process.execFile, with
// the argument "paid content") and sends its output, as a product that
// sells a command's output must: the fair peer of x402-gate-stub.
// Prints "listening on 127.0.0.1:P".  Resolves the npm packages from
// tests/chain/node_modules (bench/run.sh links bench/node_modules there).
import { execFile } from "node:child_process";
import express from "express";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { NETWORK_V2, USDC_ADDRESS, USDC_NAME, USDC_VERSION, parseArgs } from "../tests/chain/chain.mjs";

const a = parseArgs(process.argv.slice(2));
const port = Number(a.port ?? 0);
const payTo = a["pay-to"] ?? process.env.PAYTO;
const path = a.path ?? "/bench";
const amount = String(a.amount ?? "1000");

const stub = {
  async verify(p) {
    return { isValid: true, payer: p.payload?.authorization?.from };
  },
  async settle(p, req) {
    return {
      success: true,
      transaction: p.payload?.authorization?.nonce ?? "0x" + "00".repeat(32),
      network: req.network,
      payer: p.payload?.authorization?.from,
    };
  },
  async getSupported() {
    return { kinds: [{ x402Version: 2, scheme: "exact", network: NETWORK_V2 }], extensions: [], signers: {} };
  },
};

const resourceServer = new x402ResourceServer(stub).register(NETWORK_V2, new ExactEvmScheme());
const routes = {
  [path]: {
    accepts: {
      scheme: "exact",
      network: NETWORK_V2,
      payTo,
      price: { amount, asset: USDC_ADDRESS, extra: { name: USDC_NAME, version: USDC_VERSION } },
      maxTimeoutSeconds: 300,
    },
    description: "bench",
    mimeType: "text/plain",
  },
};
const app = express();
app.disable("x-powered-by");
app.use(paymentMiddleware(routes, resourceServer, undefined, undefined, false));
const exec = a.exec;
if (exec)
  app.all(path, (req, res) =>
    execFile(exec, ["paid content"], (err, stdout) =>
      err ? res.status(502).send("command failed\n") : res.type("text/plain").send(stdout)));
else
  app.all(path, (req, res) => res.type("text/plain").send("paid content\n"));
await resourceServer.initialize();
const server = app.listen(port, "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
