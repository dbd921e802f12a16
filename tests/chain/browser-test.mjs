// browser-test.mjs - the x402-gate paywall page in a real browser.
//
// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
// opens a paid route, with an injected EIP-1193 provider (window.ethereum)
// whose signing is real: eth_signTypedData_v4 is forwarded to this process
// and signed by viem with the anvil key of the scenario.  Scenarios: pay a
// text route and see the command's output (chain and spool checked), pay a
// file route and see the image, a command that fails (nothing charged), a
// wallet on the wrong network, a rejected signature, an unfunded wallet,
// no wallet at all.  Metered routes (the upto scheme, Permit2): the page
// shows "up to", reads the allowance, has the wallet send a real approve
// transaction to anvil when it is short, signs the Permit2 witness
// transfer and shows what was charged next to the maximum; a second
// payment needs no approval; a rejected or failed approval, a rejected
// signature and a short balance are explained and charge nothing.  Any
// CSP violation, page error or request to another origin fails the run.
// Screenshots of each state go to OUT/screenshots.
//
//   BASE=http://127.0.0.1:P RPC_URL=.. USDC=0x.. PAYTO=0x.. PAYER=0x..
//   PAYER_KEY=0x.. PAYER3_KEY=0x.. UNFUNDED_KEY=0x.. FACILITATOR=0x..
//   SPOOL=DIR UPTO_SPOOL=DIR OUT=DIR node browser-test.mjs
//
// Prints "ok - ..." / "not ok - ..." lines; exit 0 only if all passed.
import { chromium } from "playwright-core";
import { privateKeyToAccount } from "viem/accounts";
import { walletClientFor, PERMIT2_ADDRESS, UPTO_PROXY_ADDRESS } from "./chain.mjs";
import { readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const env = (k) => {
	const v = process.env[k];
	if (!v) {
		console.error(`browser-test: ${k} is not set`);
		process.exit(2);
	}
	return v;
};
const BASE = env("BASE");
const RPC_URL = env("RPC_URL");
const USDC = env("USDC");
const PAYTO = env("PAYTO");
const PAYER = env("PAYER");
const PAYER_KEY = env("PAYER_KEY");
const UNFUNDED_KEY = env("UNFUNDED_KEY");
const PAYER3_KEY = env("PAYER3_KEY");
const FACILITATOR = env("FACILITATOR");
const SPOOL = env("SPOOL");
const UPTO_SPOOL = env("UPTO_SPOOL");
const OUT = env("OUT");
const SHOTS = join(OUT, "screenshots");
mkdirSync(SHOTS, { recursive: true });

let passed = 0;
let failed = 0;
function ok(cond, name, extra) {
	if (cond) {
		passed++;
		console.log(`ok - ${name}`);
	} else {
		failed++;
		console.log(`not ok - ${name}${extra !== undefined ? ": " + extra : ""}`);
	}
}

async function rpc(method, params) {
	const r = await fetch(RPC_URL, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
	});
	const j = await r.json();
	if (j.error) throw new Error(j.error.message);
	return j.result;
}
async function balance(addr) {
	const data = "0x70a08231" + addr.slice(2).toLowerCase().padStart(64, "0");
	return BigInt(await rpc("eth_call", [{ to: USDC, data }, "latest"]));
}
const receipts = (dir = SPOOL) => readdirSync(join(dir, "new")).length;
const word = (a) => a.slice(2).toLowerCase().padStart(64, "0");
async function allowance(owner) {
	const data = "0xdd62ed3e" + word(owner) + word(PERMIT2_ADDRESS);
	return BigInt(await rpc("eth_call", [{ to: USDC, data }, "latest"]));
}

// The injected wallet: window.ethereum.request() goes to walletRequest()
// below through page.exposeFunction; errors come back as {error} and are
// thrown in the page as EIP-1193 errors {code, message}.
const PROVIDER = `(() => {
	const listeners = {};
	window.ethereum = {
		isMetaMask: false,
		request: async (a) => {
			const st = document.getElementById("status");
			const r = JSON.parse(await window.__x402wallet(JSON.stringify({
				...a, status: st && !st.hidden ? st.textContent : "" })));
			if (r.error) {
				const e = new Error(r.error.message);
				e.code = r.error.code;
				throw e;
			}
			if (r.event) (listeners[r.event.name] || []).forEach((f) => f(r.event.value));
			return r.result;
		},
		on: (n, f) => { (listeners[n] = listeners[n] || []).push(f); },
		removeListener: () => {},
	};
})();`;
const CSP_WATCH = `document.addEventListener("securitypolicyviolation", (e) =>
	window.__x402csp(e.violatedDirective + " " + e.blockedURI));`;

function makeWallet(opt) {
	const account = privateKeyToAccount(opt.key);
	const st = { chainId: opt.chainId, calls: [], sent: [], seen: {}, page: null };
	st.handle = async (text) => {
		const { method, params, status } = JSON.parse(text);
		st.calls.push(method);
		st.seen[method] = status;
		// a screenshot of the page while the wallet is asking
		if (opt.shots && opt.shots[method] && st.page)
			await shot(st.page, opt.shots[method]);
		const err = (code, message) => JSON.stringify({ error: { code, message } });
		switch (method) {
		case "eth_requestAccounts":
		case "eth_accounts":
			// MetaMask answers in lower case.
			return JSON.stringify({ result: [account.address.toLowerCase()] });
		case "eth_chainId":
			return JSON.stringify({ result: "0x" + st.chainId.toString(16) });
		case "wallet_switchEthereumChain":
			if (opt.refuseSwitch) return err(4001, "User rejected the request.");
			st.chainId = parseInt(params[0].chainId, 16);
			return JSON.stringify({ result: null,
			    event: { name: "chainChanged", value: params[0].chainId } });
		case "wallet_addEthereumChain":
			return err(4001, "User rejected the request.");
		case "eth_signTypedData_v4": {
			if (opt.rejectSign)
				return err(4001, "MetaMask Tx Signature: User denied message signature.");
			if (params[0].toLowerCase() !== account.address.toLowerCase())
				return err(4100, "unknown account");
			const td = JSON.parse(params[1]);
			st.typed = td;
			const types = { ...td.types };
			delete types.EIP712Domain;
			// nested structs (Permit2's permitted, witness) too
			const value = (type, v) => {
				if (types[type]) {
					const o = {};
					for (const f of types[type])
						o[f.name] = value(f.type, v[f.name]);
					return o;
				}
				return /^u?int[0-9]*$/.test(type) ? BigInt(v) : v;
			};
			const message = value(td.primaryType, td.message);
			const signature = await account.signTypedData({
				domain: td.domain, types, primaryType: td.primaryType, message,
			});
			return JSON.stringify({ result: signature });
		}
		case "eth_sendTransaction": {
			// a real transaction to anvil, signed with the scenario's key
			const tx = params[0];
			st.sent.push(tx);
			if (opt.rejectSend)
				return err(4001, "MetaMask Tx Signature: User denied transaction signature.");
			if (String(tx.from).toLowerCase() !== account.address.toLowerCase())
				return err(4100, "unknown account");
			try {
				const hash = await walletClientFor(opt.key, RPC_URL).sendTransaction({
					to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : 0n,
					// too little gas: mined, and reverted (out of gas)
					...(opt.failSend ? { gas: 30000n } : {}),
				});
				st.hashes = [...(st.hashes || []), hash];
				return JSON.stringify({ result: hash });
			} catch (e) {
				return err(-32603, e.shortMessage || e.message);
			}
		}
		case "eth_call":
		case "eth_getTransactionReceipt":
		case "eth_blockNumber":
		case "eth_getBalance":
		case "eth_estimateGas":
			// reads go to the wallet's node, as MetaMask does
			try {
				return JSON.stringify({ result: await rpc(method, params) });
			} catch (e) {
				return err(-32603, e.message);
			}
		default:
			return err(4200, `unsupported method ${method}`);
		}
	};
	return st;
}

// Half a second of a 440 Hz tone, 8 kHz 8-bit mono WAV.
function tone() {
	const n = 4000, b = Buffer.alloc(44 + n);
	b.write("RIFF", 0); b.writeUInt32LE(36 + n, 4); b.write("WAVEfmt ", 8);
	b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
	b.writeUInt32LE(8000, 24); b.writeUInt32LE(8000, 28); b.writeUInt16LE(1, 32);
	b.writeUInt16LE(8, 34); b.write("data", 36); b.writeUInt32LE(n, 40);
	for (let i = 0; i < n; i++)
		b[44 + i] = 128 + Math.round(60 * Math.sin(2 * Math.PI * 440 * i / 8000));
	return b;
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	    "--no-first-run", "--disable-background-networking",
	    "--disable-component-update", "--disable-sync",
	    "--disable-dev-shm-usage"],
});

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

// A fresh context (profile) per scenario; returns {page, wallet, problems}.
async function open(path, walletOpt, viewport = DESKTOP) {
	const ctx = await browser.newContext({ viewport, acceptDownloads: false });
	const page = await ctx.newPage();
	const problems = [];
	await page.exposeFunction("__x402csp", (v) => problems.push("CSP violation: " + v));
	page.on("console", (m) => {
		if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text()))
			problems.push("console: " + m.text());
	});
	page.on("pageerror", (e) => problems.push("page error: " + e.message));
	page.on("request", (r) => {
		const u = r.url();
		if (!u.startsWith(BASE + "/") && !u.startsWith("data:") && !u.startsWith("blob:"))
			problems.push("request to another origin: " + u);
	});
	await page.addInitScript(CSP_WATCH);
	let wallet = null;
	if (walletOpt) {
		wallet = makeWallet(walletOpt);
		wallet.page = page;
		await page.exposeFunction("__x402wallet", wallet.handle);
		await page.addInitScript(PROVIDER);
	}
	const resp = await page.goto(BASE + path);
	await page.waitForSelector("main.ready", { timeout: 30000 });
	return { ctx, page, wallet, problems, resp };
}

async function shot(page, name) {
	await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
}
// Waits (60 s at most) until the status line has class cls and its text
// matches re (a final state, not a passing one), then returns the text.
async function statusOf(page, cls, re = /./) {
	await page.waitForFunction(([c, src]) => {
		const s = document.getElementById("status");
		return s && s.classList.contains(c) && new RegExp(src).test(s.textContent);
	}, [cls, re.source], { timeout: 60000 }).catch(() => {});
	return page.textContent("#status");
}
function clean(name, s) {
	ok(s.problems.length === 0, `${name}: no CSP violation, page error or foreign request`,
	    s.problems.join("; "));
}

const CHAIN = 84532;
try {
	// 1. The page itself: 402, HTML, a strict policy, the price.
	{
		const s = await open("/echo", null);
		const h = s.resp.headers();
		ok(s.resp.status() === 402, "the page is a 402", s.resp.status());
		ok(/^text\/html/.test(h["content-type"] || ""), "the page is HTML");
		const csp = h["content-security-policy"] || "";
		ok(/default-src 'none'/.test(csp) && /script-src 'sha256-/.test(csp) &&
		    !/unsafe-inline|unsafe-eval/.test(csp), "strict CSP (hash, no unsafe-inline)", csp);
		ok(!!h["payment-required"], "the page carries PAYMENT-REQUIRED too");
		const text = await s.page.textContent("main");
		ok(/Shouts what you send <loud> & clear/.test(text), "page shows the description");
		ok(/\$0\.001/.test(text) && /1000 atomic units/.test(text), "page shows the price in dollars and atomic units");
		ok(/base-sepolia/.test(text) && /eip155:84532/.test(text), "page shows the network");
		ok(await s.page.isVisible("textarea#input"), "text route has a text box");
		const st = await statusOf(s.page, "info", /wallet/);
		ok(/need a browser wallet/.test(st), "no wallet: the page says a wallet is needed", st);
		await shot(s.page, "01-page-no-wallet-desktop");
		await s.page.click("#pay");
		const st2 = await statusOf(s.page, "err", /No wallet/);
		ok(/No wallet found/.test(st2), "no wallet: pressing pay explains it", st2);
		await shot(s.page, "02-no-wallet-pay");
		clean("page", s);
		await s.ctx.close();
	}

	// 2. Happy path on a phone-sized screen, wallet starting on mainnet:
	// connect (switch chain), pay, the command's real output, chain, spool.
	{
		const b0 = await balance(PAYTO), p0 = await balance(PAYER), r0 = receipts();
		const s = await open("/echo", { key: PAYER_KEY, chainId: 1 }, PHONE);
		await shot(s.page, "03-page-phone");
		await s.page.click("#connect");
		const st = await statusOf(s.page, "ok", /Wallet connected/);
		ok(/Wallet connected/.test(st), "connect: wallet connected", st);
		ok(s.wallet.calls.includes("wallet_switchEthereumChain") && s.wallet.chainId === CHAIN,
		    "connect: asked the wallet to switch to chain 84532", s.wallet.calls.join(","));
		await shot(s.page, "04-connected-phone");
		await s.page.fill("#input", "hello from the browser");
		await s.page.click("#pay");
		const st2 = await statusOf(s.page, "ok", /paid and served/);
		ok(/paid and served/.test(st2), "pay: done", st2);
		const out = await s.page.textContent("#output");
		ok(/paid content/.test(out) && /HELLO FROM THE BROWSER/.test(out),
		    "pay: the page shows the command's real output", out);
		const tx = await s.page.textContent(".tx");
		ok(/0x[0-9a-f]{64}/.test(tx), "pay: the page shows the transaction", tx);
		const href = await s.page.getAttribute(".tx a", "href");
		ok(href && href.startsWith("http://127.0.0.1:5100/tx/0x"),
		    "pay: the transaction links to the block explorer", href);
		await shot(s.page, "05-paid-phone");
		const txh = /0x[0-9a-f]{64}/.exec(tx)[0];
		const rc = await rpc("eth_getTransactionReceipt", [txh]);
		ok(rc && rc.status === "0x1", "chain: the transaction succeeded", JSON.stringify(rc && rc.status));
		ok((await balance(PAYTO)) - b0 === 1000n, "chain: the seller got exactly 1000 atomic units");
		ok(p0 - (await balance(PAYER)) === 1000n, "chain: the buyer paid exactly 1000 atomic units");
		ok(receipts() === r0 + 1, "spool: one more receipt", receipts() - r0);
		const td = s.wallet.typed;
		ok(td && td.domain.name === "USDC" && td.domain.version === "2" &&
		    td.domain.chainId === CHAIN && td.domain.verifyingContract === USDC &&
		    td.message.to === PAYTO && td.message.value === "1000",
		    "the wallet was asked to sign the EIP-3009 authorization of the offer",
		    JSON.stringify(td && td.domain));
		clean("happy path", s);
		await s.ctx.close();
	}

	// 3. Same on a desktop, a file route: upload an image, see it.
	{
		const b0 = await balance(PAYTO), r0 = receipts();
		const s = await open("/image", { key: PAYER_KEY, chainId: CHAIN });
		ok(await s.page.isVisible("input[type=file]#input"), "file route has a file input");
		await s.page.setInputFiles("#input", join(SHOTS, "03-page-phone.png"));
		await s.page.click("#pay");
		const st = await statusOf(s.page, "ok", /paid and served/);
		ok(/paid and served/.test(st), "file: paid and served", st);
		const w = await s.page.$eval("img#output", (i) => i.complete ? i.naturalWidth : -1);
		ok(w === 390, "file: the page shows the returned image", w);
		ok(await s.page.isVisible("a.download"), "file: a download link");
		await shot(s.page, "06-paid-image-desktop");
		ok((await balance(PAYTO)) - b0 === 1000n && receipts() === r0 + 1,
		    "file: paid 1000, one receipt");
		clean("file route", s);
		await s.ctx.close();
	}

	// 3b. Audio comes back as a player, anything else as a download.
	{
		const wav = join(OUT, "tone.wav");
		writeFileSync(wav, tone());
		const s = await open("/audio", { key: PAYER_KEY, chainId: CHAIN });
		await s.page.setInputFiles("#input", wav);
		await s.page.click("#pay");
		await statusOf(s.page, "ok", /paid and served/);
		await s.page.waitForFunction(() => {
			const a = document.querySelector("audio#output");
			return a && a.readyState >= 1;
		}, null, { timeout: 10000 }).catch(() => {});
		const d = await s.page.$eval("audio#output", (a) => a.duration).catch(() => -1);
		ok(Math.abs(d - 0.5) < 0.01, "audio: the page shows a player for the returned sound", d);
		await shot(s.page, "06b-paid-audio");
		clean("audio route", s);
		await s.ctx.close();

		const t = await open("/data", { key: PAYER_KEY, chainId: CHAIN });
		await t.page.setInputFiles("#input", wav);
		await t.page.click("#pay");
		await statusOf(t.page, "ok", /paid and served/);
		ok(await t.page.$("#output") === null && /result/.test(
		    await t.page.getAttribute("a.download", "download")),
		    "other types: only a download link");
		const size = await t.page.textContent("a.download");
		ok(size.includes(`${tone().length} bytes`), "download: the whole answer", size);
		clean("download route", t);
		await t.ctx.close();
	}

	// 4. The command fails: the page says so and nothing was charged.
	{
		const b0 = await balance(PAYER), r0 = receipts();
		const s = await open("/fail", { key: PAYER_KEY, chainId: CHAIN });
		ok(await s.page.isHidden("#input"), "route with input = none has no input box");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /command failed/);
		ok(/command failed, and nothing was charged/.test(st), "failing command: explained, nothing charged", st);
		await shot(s.page, "07-command-failed");
		ok((await balance(PAYER)) === b0 && receipts() === r0, "failing command: no transfer, no receipt");
		clean("failing command", s);
		await s.ctx.close();
	}

	// 5. Wrong network: the wallet is on chain 1 and will not switch.
	{
		const s = await open("/echo", { key: PAYER_KEY, chainId: 1, refuseSwitch: true });
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /Wrong network/);
		ok(/Wrong network/.test(st) && /Ethereum \(chain 1\)/.test(st) && /base-sepolia/.test(st),
		    "wrong network: the page says which network to switch to", st);
		ok(!s.wallet.calls.includes("eth_signTypedData_v4"), "wrong network: nothing was signed");
		await shot(s.page, "08-wrong-network");
		clean("wrong network", s);
		await s.ctx.close();
	}

	// 6. The person rejects the signature.
	{
		const b0 = await balance(PAYER), r0 = receipts();
		const s = await open("/echo", { key: PAYER_KEY, chainId: CHAIN, rejectSign: true });
		await s.page.fill("#input", "never sent");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /rejected/);
		ok(/rejected the signature request/.test(st) && /Nothing was charged/.test(st),
		    "rejected signature: explained, nothing charged", st);
		await shot(s.page, "09-rejected-signature");
		ok((await balance(PAYER)) === b0 && receipts() === r0, "rejected signature: no transfer, no receipt");
		clean("rejected signature", s);
		await s.ctx.close();
	}

	// 7. An unfunded wallet: the facilitator refuses, the page says why.
	{
		const b0 = await balance(PAYTO), r0 = receipts();
		const s = await open("/echo", { key: UNFUNDED_KEY, chainId: CHAIN });
		await s.page.fill("#input", "no money");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /refused/);
		ok(/Payment refused/.test(st) && /does not hold enough USDC to pay \$0\.001 USDC/.test(st) && /Nothing was charged/.test(st),
		    "unfunded wallet: insufficient funds explained, nothing charged", st);
		await shot(s.page, "10-unfunded");
		ok((await balance(PAYTO)) === b0 && receipts() === r0, "unfunded wallet: no transfer, no receipt");
		clean("unfunded wallet", s);
		await s.ctx.close();
	}

	// 8. Metered routes (upto, Permit2).  PAYER3 starts with no Permit2
	// allowance, as a new wallet would: start-chain.sh approved it for the
	// maximum, so take that back first.
	const payer3 = privateKeyToAccount(PAYER3_KEY).address;
	{
		const w = walletClientFor(PAYER3_KEY, RPC_URL);
		const h = await w.writeContract({ address: USDC, abi: [{ type: "function",
		    name: "approve", stateMutability: "nonpayable", inputs: [{ name: "s", type: "address" },
		    { name: "a", type: "uint256" }], outputs: [{ type: "bool" }] }],
		    functionName: "approve", args: [PERMIT2_ADDRESS, 0n] });
		await w.waitForTransactionReceipt({ hash: h, pollingInterval: 50 });
	}
	ok((await allowance(payer3)) === 0n, "upto: the test wallet starts with no Permit2 allowance");
	const MAX = 50000n, APPROVE = 10n * MAX;

	// 8a. The page of a metered route.
	{
		const s = await open("/tts", null);
		const text = await s.page.textContent("main");
		ok(/up to \$0\.05/.test(text) && /charged by usage/.test(text),
		    "upto page: \"up to $0.05, charged by usage\"", text);
		ok(/\$0\.00002 USDC per unit/.test(text) && /50000 atomic units at most/.test(text),
		    "upto page: the unit price and the maximum in atomic units");
		ok((await s.page.textContent("#pay")) === "Pay up to $0.05", "upto page: the button says \"Pay up to $0.05\"");
		ok(/Permit2/.test(await s.page.textContent("footer")), "upto page: the footer explains Permit2");
		await shot(s.page, "11-upto-page");
		clean("upto page", s);
		await s.ctx.close();
	}

	// 8b. Exact and upto on one route: exact is preselected, upto can be chosen.
	{
		const s = await open("/both", null);
		const checked = await s.page.$eval("input[name=offer]:checked", (r) => r.dataset.scheme);
		ok(checked === "exact", "mixed route: the exact offer is preselected", checked);
		ok((await s.page.textContent("#pay")) === "Pay $0.001", "mixed route: the button pays the exact price",
		    await s.page.textContent("#pay"));
		await s.page.check("input[data-scheme=upto]");
		ok((await s.page.textContent("#pay")) === "Pay up to $0.05", "mixed route: choosing upto relabels the button",
		    await s.page.textContent("#pay"));
		await shot(s.page, "12-upto-mixed-route");
		clean("mixed route", s);
		await s.ctx.close();
	}

	// 8c. The person rejects the approval: nothing signed, nothing moved.
	{
		const b0 = await balance(payer3), r0 = receipts(UPTO_SPOOL);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN, rejectSend: true });
		await s.page.fill("#input", "hello world");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /rejected/);
		ok(/rejected the approval/.test(st) && /Nothing was charged/.test(st),
		    "approval rejected: explained, nothing charged", st);
		ok(s.wallet.sent.length === 1 && !s.wallet.calls.includes("eth_signTypedData_v4"),
		    "approval rejected: asked once, nothing signed", s.wallet.calls.join(","));
		await shot(s.page, "13-upto-approval-rejected");
		ok((await balance(payer3)) === b0 && (await allowance(payer3)) === 0n &&
		    receipts(UPTO_SPOOL) === r0, "approval rejected: no transfer, no allowance, no receipt");
		clean("approval rejected", s);
		await s.ctx.close();
	}

	// 8d. The approval transaction fails on chain (out of gas, reverted).
	{
		const b0 = await balance(payer3), r0 = receipts(UPTO_SPOOL);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN, failSend: true });
		await s.page.fill("#input", "hello world");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /approval failed/);
		ok(/approval failed/.test(st) && /reverted/.test(st) && /Nothing was charged/.test(st),
		    "approval failed: explained, nothing charged", st);
		const h = (s.wallet.hashes || [])[0];
		const rc = h ? await rpc("eth_getTransactionReceipt", [h]) : null;
		ok(rc && rc.status === "0x0", "approval failed: the transaction really reverted on chain",
		    JSON.stringify(rc && rc.status));
		ok(!s.wallet.calls.includes("eth_signTypedData_v4"), "approval failed: nothing signed");
		await shot(s.page, "14-upto-approval-failed");
		ok((await balance(payer3)) === b0 && (await allowance(payer3)) === 0n &&
		    receipts(UPTO_SPOOL) === r0, "approval failed: no transfer, no allowance, no receipt");
		clean("approval failed", s);
		await s.ctx.close();
	}

	// 8e. Happy path with the approval step: 11 characters at 20 = 220.
	{
		const b0 = await balance(PAYTO), p0 = await balance(payer3), r0 = receipts(UPTO_SPOOL);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN, shots: {
		    eth_sendTransaction: "15-upto-approval-asked", eth_signTypedData_v4: "16-upto-signature-asked" } });
		await s.page.fill("#input", "hello world");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "ok", /paid and served/);
		ok(/paid and served/.test(st) && /Charged \$0\.00022 USDC of at most \$0\.05 USDC/.test(st),
		    "upto pay: done, charged $0.00022 of at most $0.05", st);
		const tx = s.wallet.sent[0];
		ok(s.wallet.sent.length === 1 && tx.to.toLowerCase() === USDC.toLowerCase() &&
		    tx.data === "0x095ea7b3" + word(PERMIT2_ADDRESS) + APPROVE.toString(16).padStart(64, "0"),
		    "upto pay: the wallet was asked to approve(Permit2, 10 x the maximum)", JSON.stringify(tx));
		ok(/Permit2 move up to \$0\.5 USDC/.test(s.wallet.seen.eth_sendTransaction || ""),
		    "upto pay: the page showed the approved amount before the wallet asked",
		    s.wallet.seen.eth_sendTransaction);
		ok(s.wallet.calls.indexOf("eth_sendTransaction") < s.wallet.calls.indexOf("eth_signTypedData_v4"),
		    "upto pay: approval before the signature");
		const out = await s.page.textContent("#output");
		ok(out.trim() === "spoken: hello world", "upto pay: the page shows the command's output", out);
		const txt = await s.page.textContent(".tx");
		ok(/Charged \$0\.00022 USDC of at most \$0\.05 USDC \(220 of 50000 atomic units\)/.test(txt) &&
		    /0x[0-9a-f]{64}/.test(txt), "upto pay: the charge, the maximum and the transaction", txt);
		await shot(s.page, "17-upto-paid-after-approval");
		ok((await balance(PAYTO)) - b0 === 220n, "chain: the seller got exactly the metered 220");
		ok(p0 - (await balance(payer3)) === 220n, "chain: the buyer paid exactly the metered 220");
		ok((await allowance(payer3)) === APPROVE - 220n, "chain: allowance set, less what Permit2 moved",
		    String(await allowance(payer3)));
		ok(receipts(UPTO_SPOOL) === r0 + 1, "spool: one more receipt");
		const td = s.wallet.typed;
		const m = td && td.message;
		ok(td && td.primaryType === "PermitWitnessTransferFrom" && td.domain.name === "Permit2" &&
		    td.domain.version === undefined && td.domain.chainId === CHAIN &&
		    td.domain.verifyingContract === PERMIT2_ADDRESS &&
		    JSON.stringify(td.types.Witness) === JSON.stringify([{ name: "to", type: "address" },
		    { name: "facilitator", type: "address" }, { name: "validAfter", type: "uint256" }]) &&
		    m.permitted.token === USDC && m.permitted.amount === "50000" &&
		    m.spender === UPTO_PROXY_ADDRESS && m.witness.to === PAYTO &&
		    m.witness.facilitator.toLowerCase() === FACILITATOR.toLowerCase() &&
		    m.witness.validAfter === "0" && /^[0-9]+$/.test(m.nonce),
		    "the wallet signed the Permit2 witness transfer of the official upto client",
		    JSON.stringify(td));
		clean("upto pay", s);
		await s.ctx.close();
	}

	// 8f. A second payment: the allowance is there, no approval asked.
	{
		const b0 = await balance(PAYTO), a0 = await allowance(payer3);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN });
		await s.page.fill("#input", "hi");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "ok", /paid and served/);
		ok(/Charged \$0\.00004 USDC of at most \$0\.05 USDC/.test(st), "second upto payment: charged 40", st);
		ok(s.wallet.sent.length === 0 && s.wallet.calls.includes("eth_call"),
		    "second upto payment: allowance read, no approval asked", s.wallet.calls.join(","));
		ok((await balance(PAYTO)) - b0 === 40n && a0 - (await allowance(payer3)) === 40n,
		    "second upto payment: exactly 40 moved through Permit2");
		await shot(s.page, "18-upto-paid-again");
		clean("second upto payment", s);
		await s.ctx.close();
	}

	// 8f'. The upto offer of a mixed route, chosen on the page.
	{
		const b0 = await balance(PAYTO);
		const s = await open("/both", { key: PAYER3_KEY, chainId: CHAIN });
		await s.page.check("input[data-scheme=upto]");
		await s.page.fill("#input", "hey");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "ok", /paid and served/);
		ok(/Charged \$0\.00006 USDC of at most \$0\.05 USDC/.test(st) &&
		    s.wallet.typed && s.wallet.typed.primaryType === "PermitWitnessTransferFrom",
		    "mixed route, upto chosen: paid through Permit2, charged 60", st);
		ok((await balance(PAYTO)) - b0 === 60n, "mixed route, upto chosen: exactly 60 moved");
		clean("mixed route upto", s);
		await s.ctx.close();
	}

	// 8g. Zero usage: charged nothing, no transaction.
	{
		const b0 = await balance(PAYTO);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN });
		await s.page.click("#pay");
		const st = await statusOf(s.page, "ok", /paid and served/);
		ok(/Charged nothing/.test(st) && /No transaction/.test(await s.page.textContent(".tx")),
		    "zero usage: the page says nothing was charged", st);
		ok((await balance(PAYTO)) === b0, "zero usage: nothing moved");
		await shot(s.page, "19-upto-zero-usage");
		clean("zero usage", s);
		await s.ctx.close();
	}

	// 8h. The person rejects the Permit2 signature.
	{
		const b0 = await balance(payer3), a0 = await allowance(payer3), r0 = receipts(UPTO_SPOOL);
		const s = await open("/tts", { key: PAYER3_KEY, chainId: CHAIN, rejectSign: true });
		await s.page.fill("#input", "never sent");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /rejected/);
		ok(/rejected the signature request/.test(st) && /Nothing was charged/.test(st),
		    "upto signature rejected: explained, nothing charged", st);
		await shot(s.page, "20-upto-signature-rejected");
		ok((await balance(payer3)) === b0 && (await allowance(payer3)) === a0 &&
		    receipts(UPTO_SPOOL) === r0, "upto signature rejected: no transfer, no receipt");
		clean("upto signature rejected", s);
		await s.ctx.close();
	}

	// 8i. Balance short: no approval, nothing signed.
	{
		const s = await open("/tts", { key: UNFUNDED_KEY, chainId: CHAIN });
		await s.page.fill("#input", "no money");
		await s.page.click("#pay");
		const st = await statusOf(s.page, "err", /Balance too low/);
		ok(/Balance too low: your wallet holds \$0 USDC, but this payment may charge up to \$0\.05 USDC/.test(st) &&
		    /Nothing was charged/.test(st), "upto balance short: explained", st);
		ok(s.wallet.sent.length === 0 && !s.wallet.calls.includes("eth_signTypedData_v4"),
		    "upto balance short: no approval, nothing signed");
		await shot(s.page, "21-upto-balance-short");
		clean("upto balance short", s);
		await s.ctx.close();
	}
} catch (e) {
	ok(false, "browser test ran to the end", e.stack || String(e));
} finally {
	await browser.close();
}
writeFileSync(join(OUT, "browser-test.result"), `${passed} passed, ${failed} failed\n`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
