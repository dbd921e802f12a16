// Token balances on the local chain.
//
//   node balance.mjs [--asset 0x..] [--rpc URL] ADDRESS [ADDRESS...]
//   node balance.mjs --auth-state AUTHORIZER NONCE      (EIP-3009 authorizationState -> true/false)
//
// Prints "ADDRESS ATOMIC" per line (ADDRESS as given). Token defaults to env USDC, then the
// base-sepolia USDC address; RPC defaults to env RPC_URL. Exit 1 on RPC errors.
import { encodeFunctionData, decodeFunctionResult, isAddress } from "viem";
import { USDC_ADDRESS, erc20Abi, parseArgs, rpc } from "./chain.mjs";

const a = parseArgs(process.argv.slice(2), { flags: ["auth-state"] });
const rpcUrl = a.rpc ?? process.env.RPC_URL;
const asset = a.asset ?? process.env.USDC ?? USDC_ADDRESS;
if (!rpcUrl) {
  console.error("balance.mjs: need --rpc URL or env RPC_URL");
  process.exit(2);
}

async function call(functionName, args) {
  const data = encodeFunctionData({ abi: erc20Abi, functionName, args });
  const ret = await rpc(rpcUrl, "eth_call", [{ to: asset, data }, "latest"]);
  return decodeFunctionResult({ abi: erc20Abi, functionName, data: ret });
}

try {
  if (a["auth-state"]) {
    const [who, nonce] = a._;
    if (!isAddress(who ?? "") || !/^0x[0-9a-fA-F]{64}$/.test(nonce ?? "")) {
      console.error("usage: node balance.mjs --auth-state AUTHORIZER NONCE");
      process.exit(2);
    }
    console.log(String(await call("authorizationState", [who, nonce])));
  } else {
    if (a._.length === 0) {
      console.error("usage: node balance.mjs [--asset 0x..] [--rpc URL] ADDRESS [ADDRESS...]");
      process.exit(2);
    }
    for (const addr of a._) {
      if (!isAddress(addr, { strict: false })) {
        console.error(`balance.mjs: not an address: ${addr}`);
        process.exit(2);
      }
    }
    const values = await Promise.all(a._.map((addr) => call("balanceOf", [addr])));
    a._.forEach((addr, i) => console.log(`${addr} ${values[i]}`));
  }
} catch (e) {
  console.error(`balance.mjs: ${e.message}`);
  process.exit(1);
}
