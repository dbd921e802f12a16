// route-pages.mjs - opens the paywall page of each route in headless
// Chromium (Debian's /usr/bin/chromium, driven by playwright-core), as a
// person would (the browser's own Accept and User-Agent), saves a
// screenshot OUT/NAME.png and prints one line per route:
//   NAME input=file|text|query|none
// (the form field the page offers), or "NAME error: ...".
//   node route-pages.mjs BASE OUT NAME...
import { chromium } from "playwright-core";
import { join } from "node:path";

const [BASE, OUT, ...NAMES] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
	headless: true,
	args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	    "--disable-background-networking", "--disable-component-update",
	    "--disable-sync", "--disable-dev-shm-usage"],
});
let rc = 0;
for (const name of NAMES) {
	const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
	const page = await ctx.newPage();
	try {
		const resp = await page.goto(BASE + "/" + name);
		if (resp.status() !== 402)
			throw new Error("status " + resp.status());
		await page.waitForSelector("main.ready", { timeout: 30000 });
		await page.screenshot({ path: join(OUT, name + ".png"), fullPage: true });
		const input = await page.evaluate(() => {
			if (document.querySelector("input[type=file]#input"))
				return "file";
			if (document.querySelector("textarea#input"))
				return "text";
			if (document.querySelector("input[data-param]"))
				return "query";
			return "none";
		});
		console.log(name + " input=" + input);
	} catch (e) {
		console.log(name + " error: " + e.message);
		rc = 1;
	}
	await ctx.close();
}
await browser.close();
process.exit(rc);
