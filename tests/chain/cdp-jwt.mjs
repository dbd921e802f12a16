// cdp-jwt.mjs - libx402's CDP JWTs against the official @coinbase/cdp-sdk.
//
//   node cdp-jwt.mjs keys DIR
//       writes DIR/ed25519.secret (base64 seed||pub) and DIR/es256.secret
//       (PKCS#8 PEM), mode 0600: the two key forms CDP issues.
//   node cdp-jwt.mjs serve --port P --log FILE
//       a facilitator stand-in on 127.0.0.1:P that answers GET .../supported
//       and appends one JSON line per request (method, host, path, the
//       Authorization header) to FILE.
//   node cdp-jwt.mjs compare --log FILE --key-id ID --secret-file F
//       for each logged request: makes the SDK's JWT for the same key,
//       method, host and path with generateJwt, and compares it with the
//       logged one field for field: the header and claim names in order and
//       their values, except the random nonce (32 hex digits in both, not
//       equal) and the times (integers, nbf = iat, exp = iat + 120 in both,
//       issued within 10 s of each other).  libx402's signature must verify
//       with the key's public half (jose).  Prints one line per difference;
//       exits 1 if there is one.
import { createRequire } from "node:module";
import { createServer } from "node:http";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, createPrivateKey, createPublicKey } from "node:crypto";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const sdkJwt = require("@coinbase/cdp-sdk/auth");
const jose = await import(require.resolve("jose", {
  paths: [join(require.resolve("@coinbase/cdp-sdk/auth"), "..")],
}));

function opt(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`--${name} missing`);
  return process.argv[i + 1];
}

function keys(dir) {
  const ed = generateKeyPairSync("ed25519");
  const d = Buffer.from(ed.privateKey.export({ format: "jwk" }).d, "base64url");
  const x = Buffer.from(ed.publicKey.export({ format: "jwk" }).x, "base64url");
  writeFileSync(join(dir, "ed25519.secret"), Buffer.concat([d, x]).toString("base64"),
    { mode: 0o600 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(join(dir, "es256.secret"),
    ec.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
}

function serve(port, log) {
  const supported = JSON.stringify({
    kinds: [{ x402Version: 2, scheme: "exact", network: "eip155:84532" }],
    extensions: [], signers: {},
  });
  createServer((req, res) => {
    appendFileSync(log, JSON.stringify({
      method: req.method, host: req.headers.host, path: req.url,
      authorization: req.headers.authorization ?? null,
    }) + "\n");
    res.writeHead(req.url.endsWith("/supported") ? 200 : 404,
      { "content-type": "application/json" });
    res.end(supported);
  }).listen(port, "127.0.0.1");
}

function decode(jwt) {
  const [h, c] = jwt.split(".");
  return [JSON.parse(Buffer.from(h, "base64url")), JSON.parse(Buffer.from(c, "base64url"))];
}

function publicKey(secret) {
  if (secret.includes("BEGIN"))
    return createPublicKey(createPrivateKey(secret));
  const raw = Buffer.from(secret, "base64");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519",
    x: raw.subarray(32).toString("base64url") }, format: "jwk" });
}

async function compare(log, keyId, secret) {
  const diffs = [];
  const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
  if (lines.length === 0) diffs.push("no request was logged");
  for (const line of lines) {
    const q = JSON.parse(line);
    const where = `${q.method} ${q.path}`;
    const m = /^Bearer (.+)$/.exec(q.authorization ?? "");
    if (!m) { diffs.push(`${where}: no Bearer JWT`); continue; }
    const path = new URL(q.path, `http://${q.host}`).pathname;
    const sdk = await sdkJwt.generateJwt({ apiKeyId: keyId, apiKeySecret: secret,
      requestMethod: q.method, requestHost: q.host, requestPath: path });
    const [ch, cc] = decode(m[1]);
    const [sh, sc] = decode(sdk);
    for (const [part, c, s] of [["header", ch, sh], ["claims", cc, sc]]) {
      if (Object.keys(c).join(",") !== Object.keys(s).join(","))
        diffs.push(`${where}: ${part} names: libx402 ${Object.keys(c)} sdk ${Object.keys(s)}`);
      for (const k of new Set([...Object.keys(c), ...Object.keys(s)])) {
        if (["nonce", "iat", "nbf", "exp"].includes(k)) continue;
        if (JSON.stringify(c[k]) !== JSON.stringify(s[k]))
          diffs.push(`${where}: ${part}.${k}: libx402 ${JSON.stringify(c[k])} sdk ${JSON.stringify(s[k])}`);
      }
    }
    for (const [who, h, c] of [["libx402", ch, cc], ["sdk", sh, sc]]) {
      if (!/^[0-9a-f]{32}$/.test(h.nonce ?? "")) diffs.push(`${where}: ${who} nonce ${h.nonce}`);
      if (!Number.isInteger(c.iat) || c.nbf !== c.iat || c.exp !== c.iat + 120)
        diffs.push(`${where}: ${who} times iat ${c.iat} nbf ${c.nbf} exp ${c.exp}`);
    }
    if (ch.nonce === sh.nonce) diffs.push(`${where}: the nonces are equal`);
    if (Math.abs(cc.iat - sc.iat) > 10) diffs.push(`${where}: iat ${cc.iat} vs ${sc.iat}`);
    try {
      await jose.jwtVerify(m[1], publicKey(secret), { issuer: "cdp", subject: keyId });
    } catch (e) {
      diffs.push(`${where}: libx402's signature does not verify: ${e.message}`);
    }
  }
  for (const d of diffs) console.log(d);
  console.log(`${lines.length} JWTs compared, ${diffs.length} differences`);
  process.exit(diffs.length ? 1 : 0);
}

const cmd = process.argv[2];
if (cmd === "keys") keys(process.argv[3]);
else if (cmd === "serve") serve(Number(opt("port")), opt("log"));
else if (cmd === "compare")
  await compare(opt("log"), opt("key-id"), readFileSync(opt("secret-file"), "utf8"));
else { console.error("usage: cdp-jwt.mjs keys DIR | serve ... | compare ..."); process.exit(2); }
