// conformance.mjs - field-by-field comparison of two JSON documents, for
// conformance.sh.  Prints every difference; fails (exit 1) on any that is
// not in the allow-list.
//
//   node conformance.mjs LABEL OFFICIAL.json GATE.json [PATH=REASON]...
//
// A PATH is a dotted path (array indexes as numbers); "*" matches one
// segment.  A documented difference is printed as "documented".
import { readFileSync } from "node:fs";

const [label, fa, fb, ...allow] = process.argv.slice(2);
const A = JSON.parse(readFileSync(fa, "utf8"));
const B = JSON.parse(readFileSync(fb, "utf8"));
const rules = allow.map((s) => {
	const i = s.indexOf("=");
	return { path: s.slice(0, i).split("."), why: s.slice(i + 1) };
});
const diffs = [];

function walk(a, b, path) {
	const ta = Array.isArray(a) ? "array" : a === null ? "null" : typeof a;
	const tb = Array.isArray(b) ? "array" : b === null ? "null" : typeof b;
	if (ta !== tb) return diffs.push({ path, a, b });
	if (ta === "object" || ta === "array") {
		const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
		for (const k of keys) {
			if (!(k in a)) diffs.push({ path: [...path, k], a: undefined, b: b[k] });
			else if (!(k in b)) diffs.push({ path: [...path, k], a: a[k], b: undefined });
			else walk(a[k], b[k], [...path, k]);
		}
		return;
	}
	if (a !== b) diffs.push({ path, a, b });
}
walk(A, B, []);

function documented(path) {
	for (const r of rules) {
		if (r.path.length > path.length) continue;
		if (r.path.every((s, i) => s === "*" || s === String(path[i]))) return r.why;
	}
	return null;
}
let bad = 0;
for (const d of diffs) {
	const why = documented(d.path);
	const p = d.path.join(".") || "(root)";
	const show = (v) => (v === undefined ? "(absent)" : JSON.stringify(v));
	console.log(`${label}: ${p}: official ${show(d.a)}, gate ${show(d.b)}: ${why ? "documented (" + why + ")" : "UNDOCUMENTED"}`);
	if (!why) bad++;
}
console.log(`${label}: ${diffs.length} difference(s), ${bad} undocumented`);
process.exit(bad ? 1 : 0);
