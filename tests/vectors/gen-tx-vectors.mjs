// gen-tx-vectors.mjs - regenerates the known answers in tests/check_tx.c
// with viem (the reference, not our code).  Not part of the build.
//
//   mkdir -p /tmp/viem && cd /tmp/viem && npm init -y && npm i viem@2.57.20
//   cd /tmp/viem && node /path/to/tests/vectors/gen-tx-vectors.mjs
//
// viem is resolved from the current directory, so the script can stay in
// the repository without a node_modules beside it.
import { createRequire } from 'node:module';

const require = createRequire(process.cwd() + '/');
const {
	encodeFunctionData, encodeAbiParameters, keccak256, toHex,
	toFunctionSelector, toEventSelector, serializeTransaction,
	parseTransaction,
} = require('viem');
const { privateKeyToAccount } = require('viem/accounts');
const { toRlp } = require('viem');

// RLP examples from the Ethereum wiki, through viem's encoder.
const utf8 = (t) => toHex(new TextEncoder().encode(t));
for (const [name, x] of [['dog', utf8('dog')],
    ['cat_dog', [utf8('cat'), utf8('dog')]], ['empty', '0x'],
    ['list0', []], ['int0', '0x'], ['int15', '0x0f'], ['int1024', '0x0400'],
    ['three', [[], [[]], [[], [[]]]]],
    ['lorem', utf8('Lorem ipsum dolor sit amet, consectetur adipisicing elit')]])
	console.log(`rlp ${name} ${toRlp(x)}`);

// Anvil #0, the well-known test key (shared notes §10.2).
const account = privateKeyToAccount(
    '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

const usdc = '0x036CbD53842c5426634e7929541eC2318f3dCF7e';
const payTo = '0x209693Bc6afc0C5328bA36FaF03C514EF312287C';

// KAT-1 (shared notes §10.2).
const auth = {
	from: account.address, to: payTo, value: 10000n,
	validAfter: 1740672089n, validBefore: 1740672154n,
	nonce: '0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480',
};
const kat1sig = '0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b';

const sigs = [
	'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
	'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)',
	'balanceOf(address)', 'authorizationState(address,bytes32)',
	'transfer(address,uint256)', 'allowance(address,address)',
	'name()', 'version()',
];
for (const s of sigs)
	console.log(`selector ${toFunctionSelector(s)} ${s}`);
for (const e of ['Transfer(address,address,uint256)',
    'AuthorizationUsed(address,bytes32)'])
	console.log(`topic ${toEventSelector(e)} ${e}`);

const abi = [
	{ type: 'function', name: 'transferWithAuthorization', inputs: [
		{ type: 'address', name: 'from' }, { type: 'address', name: 'to' },
		{ type: 'uint256', name: 'value' },
		{ type: 'uint256', name: 'validAfter' },
		{ type: 'uint256', name: 'validBefore' },
		{ type: 'bytes32', name: 'nonce' }, { type: 'uint8', name: 'v' },
		{ type: 'bytes32', name: 'r' }, { type: 'bytes32', name: 's' }],
	  outputs: [] },
	{ type: 'function', name: 'transferWithAuthorization', inputs: [
		{ type: 'address', name: 'from' }, { type: 'address', name: 'to' },
		{ type: 'uint256', name: 'value' },
		{ type: 'uint256', name: 'validAfter' },
		{ type: 'uint256', name: 'validBefore' },
		{ type: 'bytes32', name: 'nonce' },
		{ type: 'bytes', name: 'signature' }], outputs: [] },
	{ type: 'function', name: 'balanceOf', inputs: [{ type: 'address' }],
	  outputs: [] },
	{ type: 'function', name: 'authorizationState',
	  inputs: [{ type: 'address' }, { type: 'bytes32' }], outputs: [] },
	{ type: 'function', name: 'transfer',
	  inputs: [{ type: 'address' }, { type: 'uint256' }], outputs: [] },
	{ type: 'function', name: 'allowance',
	  inputs: [{ type: 'address' }, { type: 'address' }], outputs: [] },
	{ type: 'function', name: 'name', inputs: [], outputs: [] },
	{ type: 'function', name: 'version', inputs: [], outputs: [] },
];
const r = kat1sig.slice(0, 66), s = '0x' + kat1sig.slice(66, 130);
const v = parseInt(kat1sig.slice(130), 16);
const a = [auth.from, auth.to, auth.value, auth.validAfter,
    auth.validBefore, auth.nonce];
const kat1data = encodeFunctionData({ abi: [abi[0]],
    functionName: 'transferWithAuthorization', args: [...a, v, r, s] });
console.log(`calldata_vrs ${kat1data}`);
console.log(`calldata_bytes ${encodeFunctionData({ abi: [abi[1]],
    functionName: 'transferWithAuthorization', args: [...a, kat1sig] })}`);
// A 3-byte signature: padding of the dynamic tail.
console.log(`calldata_bytes3 ${encodeFunctionData({ abi: [abi[1]],
    functionName: 'transferWithAuthorization', args: [...a, '0xabcdef'] })}`);
const call = (name, args) => console.log(`calldata_${name} ${
    encodeFunctionData({ abi: abi.slice(2), functionName: name, args })}`);
call('balanceOf', [payTo]);
call('authorizationState', [auth.from, auth.nonce]);
call('transfer', [payTo, 10000n]);
call('allowance', [auth.from, payTo]);
call('name', []);
call('version', []);
console.log(`ret_string ${encodeAbiParameters([{ type: 'string' }],
    ['USD Coin'])}`);
console.log(`ret_string_empty ${encodeAbiParameters([{ type: 'string' }],
    [''])}`);
console.log(`ret_string_long ${encodeAbiParameters([{ type: 'string' }],
    ['An ERC-20 token whose name is longer than one ABI word'])}`);

const txs = [
	{ label: 'kat1', chainId: 84532, nonce: 7,
	  maxPriorityFeePerGas: 1000000n, maxFeePerGas: 2000000000n,
	  gas: 120000n, to: usdc, value: 0n, data: kat1data },
	{ label: 'zero', chainId: 84532, nonce: 0,
	  maxPriorityFeePerGas: 0n, maxFeePerGas: 1n,
	  gas: 21000n, to: payTo, value: 0n, data: '0x' },
	{ label: 'large', chainId: 84532, nonce: 9007199254740991,
	  maxPriorityFeePerGas: 2n ** 128n - 1n,
	  maxFeePerGas: 2n ** 255n + 12345n, gas: 30000000n, to: payTo,
	  value: 2n ** 256n - 1n, data: '0x' + 'ab'.repeat(60) },
	{ label: 'bytes', chainId: 8453, nonce: 127,
	  maxPriorityFeePerGas: 128n, maxFeePerGas: 255n,
	  gas: 256n, to: usdc, value: 128n, data: '0x00' },
];
// The first nonce whose signature has an r or s below 2^248, so that the
// minimal-integer encoding must strip a leading zero byte.
for (let n = 1; ; n++) {
	const t = { label: 'short_rs', chainId: 84532, nonce: n,
	  maxPriorityFeePerGas: 1n, maxFeePerGas: 2n, gas: 21000n, to: payTo,
	  value: 1n, data: '0x' };
	const p = parseTransaction(await account.signTransaction({
	    type: 'eip1559', ...t }));
	if (p.r.length < 66 || p.s.length < 66 ||
	    /^0x00/.test(toHex(BigInt(p.r), { size: 32 })) ||
	    /^0x00/.test(toHex(BigInt(p.s), { size: 32 }))) {
		txs.push(t);
		break;
	}
}
for (const t of txs) {
	const tx = { type: 'eip1559', chainId: t.chainId, nonce: t.nonce,
	    maxPriorityFeePerGas: t.maxPriorityFeePerGas,
	    maxFeePerGas: t.maxFeePerGas, gas: t.gas, to: t.to, value: t.value,
	    data: t.data };
	const unsigned = serializeTransaction(tx);
	const raw = await account.signTransaction(tx);
	const p = parseTransaction(raw);
	console.log(`tx ${t.label} unsigned ${unsigned}`);
	console.log(`tx ${t.label} signing_hash ${keccak256(unsigned)}`);
	console.log(`tx ${t.label} raw ${raw}`);
	console.log(`tx ${t.label} hash ${keccak256(raw)}`);
	console.log(`tx ${t.label} yParity ${p.yParity} r ${p.r} s ${p.s}`);
}
