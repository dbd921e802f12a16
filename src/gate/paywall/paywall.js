/*
 * paywall.js - the browser side of the x402-gate paywall page.
 *
 * Plain JavaScript, no framework, no build step: x402-gate embeds this
 * file and serves it inline under a Content-Security-Policy that allows
 * exactly this script (by its SHA-256) and nothing else.
 *
 * It talks to the wallet through the standard EIP-1193 provider
 * (window.ethereum): eth_requestAccounts, eth_chainId,
 * wallet_switchEthereumChain / wallet_addEthereumChain and
 * eth_signTypedData_v4 for the EIP-3009 TransferWithAuthorization of the
 * chosen offer.  It then fetches this same URL with the PAYMENT-SIGNATURE
 * header (x402 v2) and shows the answer by its Content-Type.
 *
 * An `upto` offer (usage-based price) is paid through Permit2, as the
 * official upto client pays it: the script reads the token balance and
 * the allowance the account gave Permit2 (eth_call through the wallet);
 * when the allowance is short it asks the wallet to send
 * approve(Permit2, APPROVE_PAYMENTS times the maximum), an amount it shows
 * first, and waits for the transaction; then it has the wallet sign the
 * Permit2 PermitWitnessTransferFrom with the upto witness {to,
 * facilitator, validAfter} for the maximum, and shows what was actually
 * charged (PAYMENT-RESPONSE amount) next to that maximum.
 */
(function () {
	"use strict";

	var main = document.getElementById("x402");
	var statusEl = document.getElementById("status");
	var resultEl = document.getElementById("result");
	var connectBtn = document.getElementById("connect");
	var payBtn = document.getElementById("pay");
	var form = document.getElementById("form");
	var walletEl = document.getElementById("wallet");
	var account = null;
	var busy = false;
	var lastBlobUrl = null;

	/* Canonical addresses, the same on every chain (CREATE2). */
	var PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
	var UPTO_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";
	/* An approval covers this many payments at the maximum. */
	var APPROVE_PAYMENTS = 10n;
	/* How long to wait for the approval transaction, in seconds. */
	var APPROVE_WAIT = 180;

	var CHAINS = {
		1: "Ethereum", 10: "Optimism", 137: "Polygon", 8453: "Base",
		84532: "Base Sepolia", 42161: "Arbitrum One",
		43114: "Avalanche", 43113: "Avalanche Fuji", 11155111: "Sepolia"
	};

	function b64decode(s) {
		var bin = atob(s), u = new Uint8Array(bin.length), i;

		for (i = 0; i < bin.length; i++)
			u[i] = bin.charCodeAt(i);
		return new TextDecoder().decode(u);
	}

	function b64encode(str) {
		var u = new TextEncoder().encode(str), bin = "", i;

		for (i = 0; i < u.length; i++)
			bin += String.fromCharCode(u[i]);
		return btoa(bin);
	}

	function hex(bytes) {
		var s = "0x", i;

		for (i = 0; i < bytes.length; i++)
			s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
		return s;
	}

	/* ABI words: an address or an unsigned integer, 32 bytes. */
	function word(v) {
		var h = typeof v === "bigint" ? v.toString(16) :
		    String(v).replace(/^0x/, "").toLowerCase();

		return "0".repeat(64 - h.length) + h;
	}

	/* Atomic units as a decimal amount ("220", 6 -> "0.00022"). */
	function units(atomic, decimals) {
		var s = atomic.toString(), d = Number(decimals) || 0, i, f;

		if (d === 0)
			return s;
		s = "0".repeat(Math.max(0, d + 1 - s.length)) + s;
		i = s.slice(0, s.length - d);
		f = s.slice(s.length - d).replace(/0+$/, "");
		return f ? i + "." + f : i;
	}

	/* An amount of the chosen offer's token, as the page shows prices. */
	function money(atomic) {
		var info = offerInfo();

		return (info.usd ? "$" : "") + units(atomic, info.decimals) +
		    " " + (info.symbol || "");
	}

	function sleep(ms) {
		return new Promise(function (ok) { setTimeout(ok, ms); });
	}

	var required = null;
	try {
		required = JSON.parse(b64decode(main.dataset.pr));
	} catch (e) {
		required = null;
	}

	function offerIndex() {
		var r = document.querySelector("input[name=offer]:checked");

		return r ? Number(r.value) : 0;
	}

	function offerInfo() {
		var r = document.querySelector("input[name=offer]:checked");

		return r ? r.dataset : {};
	}

	function chainName(id) {
		return CHAINS[id] ? CHAINS[id] + " (chain " + id + ")" :
		    "chain " + id;
	}

	function say(kind, text, detail) {
		statusEl.className = kind;
		statusEl.textContent = "";
		var p = document.createElement("span");
		p.textContent = text;
		statusEl.appendChild(p);
		if (detail) {
			var d = document.createElement("small");
			d.textContent = detail;
			statusEl.appendChild(d);
		}
		statusEl.hidden = false;
	}

	function setBusy(on) {
		busy = on;
		connectBtn.disabled = on;
		payBtn.disabled = on;
		main.classList.toggle("busy", on);
	}

	/* An EIP-1193 error as words, or null when it is not one we know. */
	function walletWords(e, what) {
		var code = e && typeof e.code === "number" ? e.code : null;

		if (code === 4001)
			return "You rejected the " + what + " in your wallet. " +
			    "Nothing was charged.";
		if (code === 4100)
			return "Your wallet did not allow this site to use the " +
			    "account. Unlock the wallet and try again.";
		if (code === -32002)
			return "Your wallet already has a request waiting. Open " +
			    "the wallet, answer it, and try again.";
		return null;
	}

	function provider() {
		return window.ethereum && typeof window.ethereum.request ===
		    "function" ? window.ethereum : null;
	}

	async function ensureChain(eth, accepted) {
		var want = Number(String(accepted.network).split(":")[1]);
		var wantHex = "0x" + want.toString(16);
		var info = offerInfo();
		var have = parseInt(await eth.request({ method: "eth_chainId" }),
		    16);

		if (have === want)
			return true;
		say("busy", "Asking your wallet to switch to " +
		    chainName(want) + "...");
		try {
			await eth.request({ method: "wallet_switchEthereumChain",
			    params: [{ chainId: wantHex }] });
		} catch (e) {
			if (e && e.code === 4902 && info.rpc) {
				try {
					await eth.request({
					    method: "wallet_addEthereumChain",
					    params: [{ chainId: wantHex,
					    chainName: info.chain || chainName(want),
					    nativeCurrency: { name: "Ether",
					    symbol: "ETH", decimals: 18 },
					    rpcUrls: [info.rpc] }] });
				} catch (e2) {
					/* fall through to the check below */
				}
			}
		}
		try {
			have = parseInt(await eth.request({
			    method: "eth_chainId" }), 16);
		} catch (e3) {
			/* keep the old answer */
		}
		if (have === want)
			return true;
		say("err", "Wrong network: your wallet is on " +
		    chainName(have) + ", but this payment is on " +
		    (info.chain || chainName(want)) + " (chain " + want +
		    "). Switch your wallet to that network and try again.",
		    "Nothing was charged.");
		return false;
	}

	/* quiet: part of a payment, say nothing when all is well. */
	async function connect(quiet) {
		var eth = provider();

		if (eth === null) {
			say("err", "No wallet found. Install a browser wallet " +
			    "such as MetaMask (or open this page in a wallet's " +
			    "browser), then reload this page.");
			return false;
		}
		setBusy(true);
		try {
			say("busy", "Asking your wallet for an account...");
			var accts = await eth.request({
			    method: "eth_requestAccounts" });
			if (!accts || accts.length === 0)
				throw { code: 4100 };
			account = accts[0];
			walletEl.textContent = "Wallet: " + account;
			walletEl.hidden = false;
			if (required === null) {
				say("err", "This page could not read the payment " +
				    "terms. Reload it and try again.");
				return false;
			}
			if (!await ensureChain(eth, required.accepts[offerIndex()]))
				return false;
			connectBtn.textContent = "Wallet connected";
			if (quiet === true)
				return true;
			say("ok", "Wallet connected. Press \u201c" +
			    payBtn.textContent + "\u201d to pay and get the " +
			    "result.");
			return true;
		} catch (e) {
			account = null;
			say("err", walletWords(e, "connection request") ||
			    "Your wallet could not connect.", e && e.message ?
			    e.message : "");
			return false;
		} finally {
			setBusy(false);
		}
	}

	function typedData(from, accepted) {
		var now = Math.floor(Date.now() / 1000);
		var nonce = new Uint8Array(32);

		crypto.getRandomValues(nonce);
		return {
			types: {
				EIP712Domain: [
					{ name: "name", type: "string" },
					{ name: "version", type: "string" },
					{ name: "chainId", type: "uint256" },
					{ name: "verifyingContract",
					    type: "address" }
				],
				TransferWithAuthorization: [
					{ name: "from", type: "address" },
					{ name: "to", type: "address" },
					{ name: "value", type: "uint256" },
					{ name: "validAfter", type: "uint256" },
					{ name: "validBefore", type: "uint256" },
					{ name: "nonce", type: "bytes32" }
				]
			},
			primaryType: "TransferWithAuthorization",
			domain: {
				name: accepted.extra.name,
				version: accepted.extra.version,
				chainId: Number(String(accepted.network)
				    .split(":")[1]),
				verifyingContract: accepted.asset
			},
			message: {
				from: from,
				to: accepted.payTo,
				value: String(accepted.amount),
				validAfter: "0",
				validBefore: String(now +
				    Number(accepted.maxTimeoutSeconds || 300)),
				nonce: hex(nonce)
			}
		};
	}

	/*
	 * The Permit2 PermitWitnessTransferFrom of an upto offer, with the
	 * domain, types and values of the official upto client (@x402/evm
	 * 2.27: validAfter "0", a random 256-bit decimal nonce, deadline
	 * now + maxTimeoutSeconds, permitted.amount the maximum).
	 */
	function uptoTypedData(from, accepted) {
		var now = Math.floor(Date.now() / 1000);
		var nonce = new Uint8Array(32);

		crypto.getRandomValues(nonce);
		return {
			types: {
				EIP712Domain: [
					{ name: "name", type: "string" },
					{ name: "chainId", type: "uint256" },
					{ name: "verifyingContract",
					    type: "address" }
				],
				PermitWitnessTransferFrom: [
					{ name: "permitted",
					    type: "TokenPermissions" },
					{ name: "spender", type: "address" },
					{ name: "nonce", type: "uint256" },
					{ name: "deadline", type: "uint256" },
					{ name: "witness", type: "Witness" }
				],
				TokenPermissions: [
					{ name: "token", type: "address" },
					{ name: "amount", type: "uint256" }
				],
				Witness: [
					{ name: "to", type: "address" },
					{ name: "facilitator", type: "address" },
					{ name: "validAfter", type: "uint256" }
				]
			},
			primaryType: "PermitWitnessTransferFrom",
			domain: {
				name: "Permit2",
				chainId: Number(String(accepted.network)
				    .split(":")[1]),
				verifyingContract: PERMIT2
			},
			message: {
				permitted: {
					token: accepted.asset,
					amount: String(accepted.amount)
				},
				spender: UPTO_PROXY,
				nonce: BigInt(hex(nonce)).toString(),
				deadline: String(now +
				    Number(accepted.maxTimeoutSeconds || 300)),
				witness: {
					to: accepted.payTo,
					facilitator: accepted.extra &&
					    accepted.extra.facilitatorAddress,
					validAfter: "0"
				}
			}
		};
	}

	/* v 0/1 (some hardware wallets) becomes 27/28, as tokens expect. */
	function normalizeSig(sig) {
		if (typeof sig !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(sig))
			return sig;
		var v = parseInt(sig.slice(130), 16);
		if (v < 27)
			sig = sig.slice(0, 130) + (v + 27).toString(16);
		return sig;
	}

	/* A uint256 view of the token, read through the wallet. */
	async function tokenCall(eth, asset, data) {
		var r = await eth.request({ method: "eth_call",
		    params: [{ to: asset, data: data }, "latest"] });

		if (typeof r !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(r))
			throw new Error("unexpected answer " + String(r));
		return BigInt(r);
	}

	/*
	 * Before an upto payment: the balance must cover the maximum (the
	 * facilitator checks it too), and Permit2 must be allowed to move the
	 * maximum.  When it is not, asks the wallet to approve
	 * APPROVE_PAYMENTS times the maximum, saying so first, and waits for
	 * the transaction.  Returns true, or says why not and returns false.
	 */
	async function ensurePermit2(eth, accepted) {
		var max = BigInt(accepted.amount), asset = accepted.asset;
		var sym = offerInfo().symbol || "token";
		var bal, allow, want, hash, rc = null, t;

		say("busy", "Checking your " + sym + " balance and your " +
		    "Permit2 allowance...");
		try {
			bal = await tokenCall(eth, asset, "0x70a08231" +
			    word(account));
			allow = await tokenCall(eth, asset, "0xdd62ed3e" +
			    word(account) + word(PERMIT2));
		} catch (e) {
			say("err", "Your wallet could not read your " + sym +
			    " balance. Nothing was charged; try again.",
			    e && e.message ? e.message : "");
			return false;
		}
		if (bal < max) {
			say("err", "Balance too low: your wallet holds " +
			    money(bal) + ", but this payment may charge up to " +
			    money(max) + ". Add " + sym + " to your wallet and " +
			    "try again.", "Nothing was charged.");
			return false;
		}
		if (allow >= max)
			return true;
		want = max * APPROVE_PAYMENTS;
		say("busy", "First, an approval: please confirm in your " +
		    "wallet a transaction that lets Permit2 move up to " +
		    money(want) + " of your " + sym + " (enough for " +
		    APPROVE_PAYMENTS + " payments of at most " + money(max) +
		    "; each payment still needs your signature). It costs a " +
		    "little gas.");
		try {
			hash = await eth.request({ method: "eth_sendTransaction",
			    params: [{ from: account, to: asset,
			    data: "0x095ea7b3" + word(PERMIT2) + word(want) }] });
		} catch (e) {
			say("err", walletWords(e, "approval") || "The approval " +
			    "failed: your wallet could not send it. Nothing was " +
			    "charged.", e && e.message ? e.message : "");
			return false;
		}
		say("busy", "Waiting for the approval to be confirmed on " +
		    "chain...", "Transaction " + hash);
		for (t = 0; t < APPROVE_WAIT * 2 && !rc; t++) {
			try {
				rc = await eth.request({ method:
				    "eth_getTransactionReceipt", params: [hash] });
			} catch (e) {
				rc = null;
			}
			if (!rc)
				await sleep(500);
		}
		if (!rc) {
			say("err", "The approval was not confirmed within " +
			    APPROVE_WAIT / 60 + " minutes. Nothing was charged; " +
			    "check the transaction in your wallet and pay again " +
			    "once it is confirmed.", "Transaction " + hash);
			return false;
		}
		if (Number(rc.status) !== 1) {
			say("err", "The approval failed: its transaction was " +
			    "reverted on chain. Nothing was charged for the " +
			    "service (the transaction's gas was spent).",
			    "Transaction " + hash);
			return false;
		}
		try {
			allow = await tokenCall(eth, asset, "0xdd62ed3e" +
			    word(account) + word(PERMIT2));
		} catch (e) {
			allow = want;
		}
		if (allow < max) {
			say("err", "The approval failed: after it, Permit2 may " +
			    "still move only " + money(allow) + ". Nothing was " +
			    "charged.", "Transaction " + hash);
			return false;
		}
		return true;
	}

	/* What the form sends: {query, body, type}. */
	async function formInput() {
		var kind = main.dataset.input, out = { query: "", body: null,
		    type: null };

		if (kind === "text") {
			var t = document.getElementById("input").value;
			if (t !== "") {
				out.body = t;
				out.type = "text/plain; charset=utf-8";
			}
		} else if (kind === "file") {
			var f = document.getElementById("input").files[0];
			if (!f)
				throw new Error("Choose a file first.");
			out.body = f;
			out.type = f.type || "application/octet-stream";
		} else if (kind === "query") {
			var ps = new URLSearchParams();
			var els = form.querySelectorAll("input[data-param]");
			for (var i = 0; i < els.length; i++)
				if (els[i].value !== "")
					ps.append(els[i].name, els[i].value);
			out.query = ps.toString();
		}
		return out;
	}

	var REASONS = [
		[/insufficient_(funds|balance)/, "Your wallet does not hold " +
		    "enough %SYMBOL% to pay %PRICE%."],
		[/nonce_(already_)?used|duplicate_settlement/, "This payment " +
		    "authorization was already used. Press pay again to sign " +
		    "a new one."],
		[/valid_before|expired/, "The payment authorization expired " +
		    "before the server could use it. Check that your " +
		    "computer's clock is right and try again."],
		[/valid_after|not_yet_valid/, "The payment authorization is " +
		    "not valid yet. Check that your computer's clock is right " +
		    "and try again."],
		[/permit2_allowance|allowance_required/, "Your wallet has " +
		    "not allowed Permit2 to move enough %SYMBOL%. Press pay " +
		    "again to approve it."],
		[/upto_facilitator_mismatch/, "The payment named another " +
		    "facilitator than the server's. Reload the page and try " +
		    "again."],
		[/signature/, "The server could not verify your wallet's " +
		    "signature for this account."],
		[/value|amount/, "The signed amount does not match the price."],
		[/recipient/, "The payment was addressed to the wrong " +
		    "recipient."],
		[/network/, "The payment was signed for another network."],
		[/token_name|token_version|eip712_domain/, "Your wallet " +
		    "signed for a different token contract."],
		[/No matching payment requirements|Unable to find matching/,
		    "The payment did not match any price this page offers; " +
		    "the price may have changed. Reload the page and try " +
		    "again."]
	];

	function reasonWords(reason) {
		var i;

		var info = offerInfo();

		for (i = 0; i < REASONS.length; i++)
			if (REASONS[i][0].test(reason))
				return REASONS[i][1]
				    .replace("%SYMBOL%", info.symbol || "money")
				    .replace("%PRICE%", info.price || "the price");
		return "The payment was refused.";
	}

	async function errorText(resp) {
		var ct = resp.headers.get("Content-Type") || "";
		var text = "";

		try {
			text = await resp.text();
		} catch (e) {
			return "";
		}
		if (ct.indexOf("json") >= 0) {
			try {
				var o = JSON.parse(text);
				if (o && typeof o.error === "string")
					return o.error;
			} catch (e2) {
				/* not JSON after all */
			}
		}
		return text.slice(0, 500);
	}

	function decodeHeader(resp, name) {
		var h = resp.headers.get(name);

		if (!h)
			return null;
		try {
			return JSON.parse(b64decode(h));
		} catch (e) {
			return null;
		}
	}

	/* "Charged $X of at most $MAX" for an upto payment, else "". */
	function chargedText(st, accepted) {
		if (!accepted || accepted.scheme !== "upto" || !st ||
		    !/^[0-9]{1,78}$/.test(String(st.amount)))
			return "";
		var amt = BigInt(st.amount), max = BigInt(accepted.amount);

		if (amt === 0n)
			return "Charged nothing: the command used nothing (at " +
			    "most " + money(max) + " was authorized).";
		return "Charged " + money(amt) + " of at most " + money(max) +
		    " (" + amt + " of " + max + " atomic units).";
	}

	function showSettlement(st, accepted) {
		var box = document.createElement("p");
		var info = offerInfo();
		var charged = chargedText(st, accepted);

		box.className = "tx";
		if (!st || !st.transaction) {
			box.textContent = charged ? charged + " No transaction." :
			    "Paid.";
			return box;
		}
		box.appendChild(document.createTextNode((charged ? charged +
		    " " : "Paid " + (info.price || "") + ". ") + "Transaction: "));
		if (info.explorer) {
			var a = document.createElement("a");
			a.href = info.explorer + st.transaction;
			a.rel = "noopener noreferrer";
			a.target = "_blank";
			a.textContent = st.transaction;
			box.appendChild(a);
		} else {
			var c = document.createElement("code");
			c.textContent = st.transaction;
			box.appendChild(c);
		}
		return box;
	}

	function fileName(resp, ct) {
		var cd = resp.headers.get("Content-Disposition") || "";
		var m = /filename="?([^";]+)"?/.exec(cd);
		var ext = { "application/pdf": ".pdf", "application/json":
		    ".json", "text/plain": ".txt", "text/csv": ".csv",
		    "image/png": ".png", "image/jpeg": ".jpg", "audio/mpeg":
		    ".mp3", "audio/wav": ".wav", "audio/ogg": ".ogg" };

		if (m)
			return m[1].replace(/[\/\\]/g, "_");
		return "result" + (ext[ct] || "");
	}

	async function showResult(resp) {
		var ct = (resp.headers.get("Content-Type") || "")
		    .split(";")[0].trim().toLowerCase();
		var blob = await resp.blob();
		var box = document.createElement("div");

		if (lastBlobUrl)
			URL.revokeObjectURL(lastBlobUrl);
		lastBlobUrl = URL.createObjectURL(blob);
		box.className = "output";
		if (ct.indexOf("text/") === 0 || ct === "application/json" ||
		    ct === "") {
			var pre = document.createElement("pre");
			pre.id = "output";
			pre.textContent = await blob.text();
			box.appendChild(pre);
		} else if (ct.indexOf("image/") === 0 && ct !== "image/svg+xml") {
			var img = document.createElement("img");
			img.id = "output";
			img.alt = "The result image";
			img.src = lastBlobUrl;
			box.appendChild(img);
		} else if (ct.indexOf("audio/") === 0) {
			var au = document.createElement("audio");
			au.id = "output";
			au.controls = true;
			au.src = lastBlobUrl;
			box.appendChild(au);
		} else if (ct.indexOf("video/") === 0) {
			var vi = document.createElement("video");
			vi.id = "output";
			vi.controls = true;
			vi.src = lastBlobUrl;
			box.appendChild(vi);
		}
		var dl = document.createElement("a");
		dl.href = lastBlobUrl;
		dl.download = fileName(resp, ct);
		dl.className = "download";
		dl.textContent = "Download the result (" + (ct || "data") +
		    ", " + blob.size + " bytes)";
		box.appendChild(dl);
		return box;
	}

	async function pay(ev) {
		if (ev)
			ev.preventDefault();
		if (busy)
			return;
		say("busy", "Preparing the payment...");
		if (account === null && !await connect(true))
			return;
		if (required === null || !required.accepts ||
		    !required.accepts[offerIndex()]) {
			say("err", "This page could not read the payment terms. " +
			    "Reload it and try again.");
			return;
		}
		var eth = provider();
		var accepted = required.accepts[offerIndex()];
		var input;

		resultEl.hidden = true;
		resultEl.textContent = "";
		try {
			input = await formInput();
		} catch (e) {
			say("err", e.message);
			return;
		}
		setBusy(true);
		try {
			if (!await ensureChain(eth, accepted))
				return;
			var upto = accepted.scheme === "upto";
			if (upto && !(accepted.extra &&
			    accepted.extra.facilitatorAddress)) {
				say("err", "This page cannot pay this price: the " +
				    "server named no facilitator for it. Nothing " +
				    "was charged.");
				return;
			}
			if (upto && !await ensurePermit2(eth, accepted))
				return;
			say("busy", "Please sign the payment of " + (upto ?
			    "up to " : "") + (offerInfo().price || "") +
			    " in your wallet...");
			var td = upto ? uptoTypedData(account, accepted) :
			    typedData(account, accepted);
			var sig;
			try {
				sig = await eth.request({
				    method: "eth_signTypedData_v4",
				    params: [account, JSON.stringify(td)] });
			} catch (e) {
				say("err", walletWords(e, "signature request") ||
				    "Your wallet could not sign the payment. " +
				    "Nothing was charged.", e && e.message ?
				    e.message : "");
				return;
			}
			var m = td.message;
			var payload = {
				x402Version: 2,
				payload: upto ? {
					signature: normalizeSig(sig),
					permit2Authorization: {
						from: account,
						permitted: m.permitted,
						spender: m.spender,
						nonce: m.nonce,
						deadline: m.deadline,
						witness: m.witness
					}
				} : {
					authorization: m,
					signature: normalizeSig(sig)
				},
				resource: required.resource,
				accepted: accepted
			};
			var headers = { "PAYMENT-SIGNATURE":
			    b64encode(JSON.stringify(payload)) };
			if (input.type)
				headers["Content-Type"] = input.type;
			say("busy", "Paying and running the command...");
			var resp;
			try {
				resp = await fetch(location.pathname +
				    (input.query ? "?" + input.query : ""), {
				    method: input.body !== null ? "POST" : "GET",
				    headers: headers, body: input.body,
				    credentials: "same-origin", cache: "no-store" });
			} catch (e) {
				say("err", "The server could not be reached. " +
				    "Nothing was charged; try again.", e.message);
				return;
			}
			var st = decodeHeader(resp, "PAYMENT-RESPONSE");
			var charged = st !== null && st.success === true;
			if (resp.ok) {
				var box = await showResult(resp);
				resultEl.appendChild(showSettlement(st, accepted));
				resultEl.appendChild(box);
				resultEl.hidden = false;
				say("ok", "Done: paid and served." + (upto ?
				    " " + chargedText(st, accepted) : ""));
				return;
			}
			if (resp.status === 402) {
				var pr = decodeHeader(resp, "PAYMENT-REQUIRED");
				var why = await errorText(resp);
				var reason = pr && pr.error ? pr.error : why;
				if (st && st.errorReason)
					reason = st.errorReason;
				say("err", "Payment refused: " +
				    reasonWords(reason) + " Nothing was charged.",
				    "Reason given by the server: " + reason);
				return;
			}
			var msg = await errorText(resp);
			if (charged) {
				say("err", "The command failed after the " +
				    "payment was taken (HTTP " + resp.status +
				    "). Keep the transaction below and contact " +
				    "the seller.", msg);
				resultEl.appendChild(showSettlement(st, accepted));
				resultEl.hidden = false;
			} else if (resp.status >= 500 && /charged/.test(msg) &&
			    !/settled/.test(msg)) {
				say("err", "The command failed, and nothing was " +
				    "charged.", msg);
			} else if (resp.status >= 500 && /settled/.test(msg)) {
				say("err", "The command failed after the payment " +
				    "settled. Keep this message and contact the " +
				    "seller.", msg);
			} else if (resp.status === 413) {
				say("err", "Your input is too large for this " +
				    "service. Nothing was charged.", msg);
			} else {
				say("err", "The request failed (HTTP " +
				    resp.status + "), and nothing was charged.",
				    msg);
			}
		} catch (e) {
			say("err", "Something went wrong: " + (e && e.message ?
			    e.message : String(e)) + ". Nothing was charged.");
		} finally {
			setBusy(false);
		}
	}

	connectBtn.addEventListener("click", function () {
		connect();
	});
	form.addEventListener("submit", pay);
	/* With a choice of prices, the button says which one it pays. */
	var radios = document.querySelectorAll("input[name=offer]");
	function payLabel() {
		var info = offerInfo();

		payBtn.textContent = "Pay " + (info.scheme === "upto" ?
		    "up to " : "") + (info.usd ? info.price.replace(/ .*/, "") :
		    info.price);
	}
	if (radios.length > 1) {
		for (var ri = 0; ri < radios.length; ri++)
			radios[ri].addEventListener("change", payLabel);
		payLabel();
	}
	payBtn.disabled = false;
	connectBtn.disabled = false;
	if (provider() === null) {
		say("info", "To pay here you need a browser wallet (for " +
		    "example MetaMask) holding the token shown above.");
	} else if (typeof window.ethereum.on === "function") {
		window.ethereum.on("accountsChanged", function (a) {
			account = a && a.length ? a[0] : null;
			walletEl.textContent = account ? "Wallet: " + account : "";
			walletEl.hidden = account === null;
		});
	}
	main.classList.add("ready");
})();
