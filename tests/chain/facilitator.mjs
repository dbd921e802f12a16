// Local x402 facilitator built from the official packages, on the local anvil chain.
//
//   node facilitator.mjs [--port P] [--rpc URL] [--key 0x..] [--v1 legacy|core] [--log FILE]
//
//   --port  port on 127.0.0.1 (default env FACILITATOR_PORT, else 0 = any free port; the
//           ready line tells which)
//   --rpc   anvil JSON-RPC URL (default env RPC_URL)
//   --key   facilitator signer private key (default env FACILITATOR_KEY)
//   --v1    which code verifies/settles x402Version 1 bodies:
//             legacy (default): verify/settle from the legacy `x402/facilitator` (x402@1.2.0).
//                   Note: its verify does not check the EIP-3009 nonce (a replay passes verify
//                   and fails at settle) and accepts value >= maxAmountRequired.
//             core: @x402/evm's ExactEvmSchemeV1 through @x402/core's x402Facilitator
//                   (value must equal maxAmountRequired, nonce checked by simulation).
//   --log   append one JSON line per request: {ts, method, path, status, ms, request, response}
//
// Endpoints (bodies as in the x402 facilitator API):
//   POST /verify   {x402Version, paymentPayload, paymentRequirements} -> VerifyResponse
//   POST /settle   {x402Version, paymentPayload, paymentRequirements} -> SettleResponse
//   GET  /supported                                                 -> {kinds, extensions, signers}
//   GET  /health                                                    -> {status:"ok", ...}
// x402Version 2 bodies go to x402Facilitator (@x402/core/facilitator) with the exact EVM scheme
// registered by registerExactEvmScheme (@x402/evm/exact/facilitator) for eip155:84532.
// Errors: 400 {error, isValid|success:false, invalidReason|errorReason:"invalid_json"|"missing_parameters"}
// for malformed requests; 500 {error, isValid|success:false, ...:"unexpected_error"} when the
// official code throws. Settlements are serialized (one at a time) so the signer's nonces never race.
//
// Prints "facilitator listening on 127.0.0.1:PORT" on stdout when ready.

import { appendFileSync } from "node:fs";
import express from "express";
import { x402Facilitator } from "@x402/core/facilitator";
import { toFacilitatorEvmSigner } from "@x402/evm";
import { registerExactEvmScheme } from "@x402/evm/exact/facilitator";
import { UptoEvmScheme } from "@x402/evm/upto/facilitator";
import { verify as legacyVerify, settle as legacySettle } from "x402/facilitator";
import { NETWORK_V1, NETWORK_V2, parseArgs, walletClientFor } from "./chain.mjs";

const args = parseArgs(process.argv.slice(2));
const port = Number(args.port ?? process.env.FACILITATOR_PORT ?? 0);
const rpcUrl = args.rpc ?? process.env.RPC_URL;
const key = args.key ?? process.env.FACILITATOR_KEY;
const v1Mode = args.v1 ?? process.env.FACILITATOR_V1 ?? "legacy";
const logFile = args.log ?? process.env.FACILITATOR_LOG;

function die(msg) {
  console.error(`facilitator: ${msg}`);
  process.exit(2);
}
if (!rpcUrl) die("need --rpc URL (or env RPC_URL)");
if (!key) die("need --key 0x.. (or env FACILITATOR_KEY)");
if (!["legacy", "core"].includes(v1Mode)) die("--v1 must be legacy or core");
if (!Number.isInteger(port) || port < 0 || port > 65535) die("bad --port");

// One viem wallet client (with publicActions) on the anvil RPC serves both versions.
const client = walletClientFor(key, rpcUrl);
const signer = toFacilitatorEvmSigner({ ...client, address: client.account.address });

const facilitator = new x402Facilitator();
registerExactEvmScheme(facilitator, { signer, networks: NETWORK_V2 });
// The upto scheme (Permit2 via the x402 upto proxy; needs the test contracts start-chain.sh
// places): /supported advertises kind upto with extra.facilitatorAddress = this signer.
facilitator.register(NETWORK_V2, new UptoEvmScheme(signer));

// registerExactEvmScheme also registers the v1 scheme for every EVM v1 network name; this chain
// is only base-sepolia, so /supported advertises only what this chain can really serve.
function supported() {
  const s = facilitator.getSupported();
  const kinds = s.kinds.filter((k) =>
    k.x402Version === 1 ? k.network === NETWORK_V1 : k.network === NETWORK_V2,
  );
  return { ...s, kinds };
}

// Serialize settlements: one signer account, sequential nonces.
let settleChain = Promise.resolve();
function serialized(fn) {
  const p = settleChain.then(fn, fn);
  settleChain = p.catch(() => {});
  return p;
}

async function doVerify(version, payload, requirements) {
  if (version === 1 && v1Mode === "legacy") return legacyVerify(client, payload, requirements);
  return facilitator.verify(payload, requirements);
}
async function doSettle(version, payload, requirements) {
  return serialized(() => {
    if (version === 1 && v1Mode === "legacy") return legacySettle(client, payload, requirements);
    return facilitator.settle(payload, requirements);
  });
}

function log(entry) {
  if (!logFile) return;
  try {
    appendFileSync(logFile, JSON.stringify(entry) + "\n");
  } catch (e) {
    console.error(`facilitator: cannot write log: ${e.message}`);
  }
}

const app = express();
app.disable("x-powered-by");

app.use((req, res, next) => {
  const t0 = process.hrtime.bigint();
  const send = res.json.bind(res);
  res.json = (body) => {
    log({
      ts: new Date().toISOString(),
      method: req.method,
      path: req.path,
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - t0) / 1e6,
      request: req.body && Object.keys(req.body).length ? req.body : undefined,
      response: body,
    });
    return send(body);
  };
  next();
});

app.use(express.json({ limit: "1mb" }));

const failure = (kind, reason, message) =>
  kind === "verify"
    ? { isValid: false, invalidReason: reason, invalidMessage: message, error: message }
    : { success: false, errorReason: reason, errorMessage: message, error: message, transaction: "", network: "" };

function handler(kind) {
  return async (req, res) => {
    const body = req.body;
    const payload = body?.paymentPayload;
    const requirements = body?.paymentRequirements;
    if (!payload || typeof payload !== "object" || !requirements || typeof requirements !== "object") {
      return res.status(400).json(failure(kind, "missing_parameters", "Missing paymentPayload or paymentRequirements"));
    }
    const version = Number(payload.x402Version ?? body.x402Version);
    if (version !== 1 && version !== 2) {
      return res.status(400).json(failure(kind, "invalid_x402_version", `Unsupported x402Version: ${version}`));
    }
    try {
      const result = kind === "verify" ? await doVerify(version, payload, requirements) : await doSettle(version, payload, requirements);
      res.json(result);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      console.error(`facilitator: ${kind} error: ${msg}`);
      const out = failure(kind, "unexpected_error", msg);
      if (kind === "settle") out.network = requirements.network ?? "";
      res.status(500).json(out);
    }
  };
}

app.post("/verify", handler("verify"));
app.post("/settle", handler("settle"));
app.get("/supported", (req, res) => res.json(supported()));
app.get("/health", (req, res) =>
  res.json({ status: "ok", rpc: rpcUrl, signer: client.account.address, v1: v1Mode }),
);

// Malformed JSON -> 400 (express.json throws before the handlers).
app.use((err, req, res, next) => {
  if (err?.type === "entity.parse.failed" || err instanceof SyntaxError) {
    const kind = req.path === "/settle" ? "settle" : "verify";
    return res.status(400).json(failure(kind, "invalid_json", "Invalid JSON body"));
  }
  console.error(`facilitator: ${err?.message ?? err}`);
  res.status(500).json({ error: String(err?.message ?? err) });
});

const server = app.listen(port, "127.0.0.1", () => {
  console.log(`facilitator listening on 127.0.0.1:${server.address().port}`);
});
server.on("error", (e) => die(e.message));
server.keepAliveTimeout = 65000;
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
