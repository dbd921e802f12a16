// node freeport.mjs [N]
// Prints N (default 1) free TCP ports on 127.0.0.1, one per line. The ports are found by binding
// port 0 and closing again, all N held open at once so they are distinct. Another process could
// still grab a port before you bind it; the window is tiny and tests retry-free in practice.
import { createServer } from "node:net";

export async function freePorts(n = 1) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise((res, rej) => {
        s.once("error", rej);
        s.listen(0, "127.0.0.1", res);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] || 1);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    console.error("usage: node freeport.mjs [N]");
    process.exit(2);
  }
  for (const p of await freePorts(n)) console.log(p);
}
