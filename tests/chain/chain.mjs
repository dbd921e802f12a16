// Local chain helpers for the x402-cgi integration tests.
//
// Library (import from other scripts) and CLI:
//   node chain.mjs setup --rpc URL --env-out FILE [--build-dir DIR] [--pid PID] [--timeout-ms N]
//       wait for the anvil RPC, compile (cached) and deploy TestUSDC, copy its code to the
//       real base-sepolia USDC address, place Multicall3, mint to the payers, write FILE.
//   node chain.mjs compile [--build-dir DIR]     compile only (fills the cache), print the cache path
//   node chain.mjs wait --rpc URL [--pid PID] [--timeout-ms N]
//
// Everything talks to 127.0.0.1 only; no public RPC is ever contacted (every viem client is
// built with an explicit http(rpcUrl) transport).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  publicActions,
  parseAbi,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

export const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const CHAIN_ID = 84532;
export const NETWORK_V2 = "eip155:84532";
export const NETWORK_V1 = "base-sepolia";
/** The real base-sepolia USDC address; our TestUSDC runtime code is copied here. */
export const USDC_ADDRESS = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
export const USDC_NAME = "USDC";
export const USDC_VERSION = "2";
export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";
export const PERMIT2_ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
export const UPTO_PROXY_ADDRESS = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";
/** 1000 USDC in atomic units (6 decimals). */
export const DEFAULT_MINT = 1000_000000n;

/** anvil's default dev keys (mnemonic "test test test test test test test test test test test junk"). */
export const ANVIL_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/** Which anvil account plays which role (index into ANVIL_KEYS). */
export const ROLES = {
  PAYER: 0, // funded with USDC
  PAYER2: 1, // funded with USDC
  PAYER3: 2, // funded with USDC
  PAYER4: 3, // funded with USDC
  UNFUNDED: 4, // ETH only, no USDC (insufficient-funds tests)
  RELAYER: 5, // for x402-cgi's own settlement (submits transferWithAuthorization)
  FACILITATOR: 6, // the local facilitator's signer
  PAYTO2: 7, // a second merchant
  DEPLOYER: 8, // deploys the contracts
  PAYTO: 9, // the merchant (payTo)
};
export const FUNDED_ROLES = ["PAYER", "PAYER2", "PAYER3", "PAYER4"];

export function keyOf(role) {
  return ANVIL_KEYS[ROLES[role]];
}
export function addressOf(role) {
  return privateKeyToAccount(keyOf(role)).address;
}

/** A viem chain definition for the local anvil chain (id 84532, the base-sepolia id). */
export function localChain(rpcUrl) {
  return defineChain({
    id: CHAIN_ID,
    name: "Local Base Sepolia (anvil)",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
    testnet: true,
  });
}

export function publicClientFor(rpcUrl) {
  return createPublicClient({ chain: localChain(rpcUrl), transport: http(rpcUrl), pollingInterval: 50 });
}

/** Wallet client for a private key, extended with publicActions. */
export function walletClientFor(key, rpcUrl) {
  return createWalletClient({
    account: privateKeyToAccount(key),
    chain: localChain(rpcUrl),
    transport: http(rpcUrl),
    pollingInterval: 50,
  }).extend(publicActions);
}

export const erc20Abi = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function mint(address to, uint256 amount) returns (bool)",
  "function name() view returns (string)",
  "function version() view returns (string)",
  "function decimals() view returns (uint8)",
  "function authorizationState(address authorizer, bytes32 nonce) view returns (bool)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function transfer(address to, uint256 amount) returns (bool)",
]);

// ------------------------------------------------------------------ JSON-RPC

let rpcId = 1;
export async function rpc(rpcUrl, method, params = [], timeoutMs = 5000) {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: rpcId++, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

/** Wait until the RPC answers eth_chainId; fail fast if `pid` (anvil) dies. */
export async function waitForRpc(rpcUrl, { timeoutMs = 10000, pid } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    if (pid && !pidAlive(pid)) throw new Error(`anvil (pid ${pid}) exited before answering on ${rpcUrl}`);
    try {
      const id = await rpc(rpcUrl, "eth_chainId", [], 1000);
      if (Number(id) !== CHAIN_ID) throw new Error(`chain id is ${Number(id)}, expected ${CHAIN_ID}`);
      return;
    } catch (e) {
      lastErr = e;
      if (/chain id is/.test(e.message)) throw e;
    }
    if (Date.now() > deadline)
      throw new Error(`anvil did not answer on ${rpcUrl} within ${timeoutMs} ms (${lastErr?.message})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------ compile (cached)

const CONTRACT_FILES = ["TestUSDC.sol", "Multicall3.sol", "Permit2Test.sol", "UptoProxyTest.sol"];
const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function solcVersion() {
  return require("solc/package.json").version;
}
function ozVersion() {
  return require("@openzeppelin/contracts/package.json").version;
}

/**
 * Compile the contracts with solc-js, caching the result in buildDir keyed by a hash of the
 * sources, compiler version, OpenZeppelin version and settings. Returns
 * { TestUSDC: {abi, bytecode, deployedBytecode}, Multicall3: {...}, cacheFile, cached }.
 */
export async function compileContracts({ buildDir = join(HERE, "build") } = {}) {
  const sources = {};
  for (const f of CONTRACT_FILES) sources[f] = { content: readFileSync(join(HERE, "contracts", f), "utf8") };
  const h = createHash("sha256");
  h.update(JSON.stringify({ solc: solcVersion(), oz: ozVersion(), settings: SOLC_SETTINGS, sources }));
  const key = h.digest("hex").slice(0, 16);
  const cacheFile = join(buildDir, `contracts-${key}.json`);
  if (existsSync(cacheFile)) {
    return { ...JSON.parse(readFileSync(cacheFile, "utf8")), cacheFile, cached: true };
  }
  const solc = require("solc");
  const input = { language: "Solidity", sources, settings: SOLC_SETTINGS };
  const findImports = (p) => {
    try {
      return { contents: readFileSync(require.resolve(p), "utf8") };
    } catch {
      return { error: `not found: ${p}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors || []).filter((e) => e.severity === "error");
  if (errors.length) throw new Error("solc: " + errors.map((e) => e.formattedMessage).join("\n"));
  const result = {};
  for (const [file, name] of [
    ["TestUSDC.sol", "TestUSDC"],
    ["Multicall3.sol", "Multicall3"],
    ["Permit2Test.sol", "Permit2Test"],
    ["UptoProxyTest.sol", "UptoProxyTest"],
  ]) {
    const c = out.contracts[file][name];
    result[name] = {
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    };
  }
  result.solcVersion = solcVersion();
  mkdirSync(buildDir, { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(result));
  renameSync(tmp, cacheFile); // atomic: parallel starts never read a half-written cache
  return { ...result, cacheFile, cached: false };
}

// ------------------------------------------------------------------ deploy

/**
 * Deploy TestUSDC, copy its runtime code to USDC_ADDRESS, place Multicall3, and mint
 * `mintAmount` to each funded role. Returns the info object written to chain.env.
 */
export async function setupChain({ rpcUrl, buildDir, mintAmount = DEFAULT_MINT } = {}) {
  const compiled = await compileContracts({ buildDir });
  const deployer = walletClientFor(keyOf("DEPLOYER"), rpcUrl);

  const hash = await deployer.deployContract({
    abi: compiled.TestUSDC.abi,
    bytecode: compiled.TestUSDC.bytecode,
  });
  const receipt = await deployer.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error("TestUSDC deployment failed");
  const runtime = await rpc(rpcUrl, "eth_getCode", [receipt.contractAddress, "latest"]);
  await rpc(rpcUrl, "anvil_setCode", [USDC_ADDRESS, runtime]);
  await rpc(rpcUrl, "anvil_setCode", [MULTICALL3_ADDRESS, compiled.Multicall3.deployedBytecode]);
  // Permit2 and the x402 upto proxy: test contracts with the canonical ABI and hashing, at the
  // canonical addresses (neither keeps constructor state, so the runtime code is all they need).
  await rpc(rpcUrl, "anvil_setCode", [PERMIT2_ADDRESS, compiled.Permit2Test.deployedBytecode]);
  await rpc(rpcUrl, "anvil_setCode", [UPTO_PROXY_ADDRESS, compiled.UptoProxyTest.deployedBytecode]);

  // Mint at the canonical address (storage is not copied by setCode).
  const mintHashes = [];
  for (const role of FUNDED_ROLES) {
    mintHashes.push(
      await deployer.writeContract({
        address: USDC_ADDRESS,
        abi: erc20Abi,
        functionName: "mint",
        args: [addressOf(role), mintAmount],
      }),
    );
  }
  // Each funded payer approves Permit2 for the maximum (what a wallet does once per token).
  for (const role of FUNDED_ROLES) {
    const w = walletClientFor(keyOf(role), rpcUrl);
    mintHashes.push(
      await w.writeContract({
        address: USDC_ADDRESS,
        abi: erc20Abi,
        functionName: "approve",
        args: [PERMIT2_ADDRESS, 2n ** 256n - 1n],
      }),
    );
  }
  for (const h of mintHashes) {
    const r = await deployer.waitForTransactionReceipt({ hash: h, pollingInterval: 20 });
    if (r.status !== "success") throw new Error(`mint failed: ${h}`);
  }

  // Sanity: the token answers at the canonical address with the right domain.
  const pub = publicClientFor(rpcUrl);
  const [name, bal] = await Promise.all([
    pub.readContract({ address: USDC_ADDRESS, abi: erc20Abi, functionName: "name" }),
    pub.readContract({ address: USDC_ADDRESS, abi: erc20Abi, functionName: "balanceOf", args: [addressOf("PAYER")] }),
  ]);
  if (name !== USDC_NAME || bal !== mintAmount) throw new Error(`token sanity check failed: ${name} ${bal}`);

  return {
    rpcUrl,
    deployedAt: receipt.contractAddress,
    compiledCache: compiled.cacheFile,
    compiledFromCache: compiled.cached,
    mintAmount,
  };
}

/** Shell-sourceable env text describing the chain. Variable names are documented in start-chain.sh. */
export function envText(info, extra = {}) {
  const vars = {
    RPC_URL: info.rpcUrl,
    CHAIN_ID: String(CHAIN_ID),
    NETWORK_V2,
    NETWORK_V1,
    USDC: USDC_ADDRESS,
    USDC_NAME,
    USDC_VERSION,
    USDC_DECIMALS: "6",
    USDC_DEPLOYED_AT: info.deployedAt,
    MULTICALL3: MULTICALL3_ADDRESS,
    PERMIT2: PERMIT2_ADDRESS,
    UPTO_PROXY: UPTO_PROXY_ADDRESS,
    MINT_AMOUNT: String(info.mintAmount),
  };
  for (const role of Object.keys(ROLES)) {
    vars[`${role}_KEY`] = keyOf(role);
    vars[role] = addressOf(role);
  }
  Object.assign(vars, extra);
  return (
    "# generated by tests/chain/chain.mjs; shell-sourceable\n" +
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") +
    "\n"
  );
}

// ------------------------------------------------------------------ CLI

export function parseArgs(argv, spec = {}) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      let k, v;
      if (eq > 0) {
        k = a.slice(2, eq);
        v = a.slice(eq + 1);
      } else {
        k = a.slice(2);
        if (spec.flags?.includes(k)) v = true;
        else {
          if (i + 1 >= argv.length) throw new Error(`option --${k} needs a value`);
          v = argv[++i];
        }
      }
      if (spec.multi?.includes(k)) (out[k] ??= []).push(v);
      else out[k] = v;
    } else out._.push(a);
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const cmd = args._[0];
  const timeoutMs = Number(args["timeout-ms"] || 10000);
  const pid = args.pid ? Number(args.pid) : undefined;
  if (cmd === "compile") {
    const c = await compileContracts({ buildDir: args["build-dir"] && resolve(args["build-dir"]) });
    console.log(c.cacheFile + (c.cached ? " (cached)" : " (compiled)"));
  } else if (cmd === "wait") {
    await waitForRpc(args.rpc, { timeoutMs, pid });
  } else if (cmd === "setup") {
    if (!args.rpc || !args["env-out"]) throw new Error("setup needs --rpc URL --env-out FILE");
    await waitForRpc(args.rpc, { timeoutMs, pid });
    const info = await setupChain({ rpcUrl: args.rpc, buildDir: args["build-dir"] && resolve(args["build-dir"]) });
    const extra = {};
    if (args["chain-dir"]) {
      extra.CHAIN_DIR = resolve(args["chain-dir"]);
      extra.ANVIL_PID = String(pid ?? "");
    }
    const envFile = resolve(args["env-out"]);
    writeFileSync(envFile + ".tmp", envText(info, extra));
    renameSync(envFile + ".tmp", envFile);
    console.error(
      `chain ready: ${args.rpc} token at ${USDC_ADDRESS} (contracts ${info.compiledFromCache ? "from cache" : "compiled"})`,
    );
  } else {
    console.error("usage: node chain.mjs setup|compile|wait [options]  (see the header of chain.mjs)");
    process.exit(2);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`chain.mjs: ${e.message}`);
    process.exit(1);
  });
}
