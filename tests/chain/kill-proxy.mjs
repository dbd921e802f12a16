// kill-proxy.mjs - an HTTP proxy that kills the x402-gate worker between
// settlement and receipt, for tests/integration/recover.sh.
//
//   node kill-proxy.mjs --port P --target URL --claims DIR[,DIR...] --arm FILE
//        [--match settle|eth_sendRawTransaction] [--hold FILE] [--log FILE]
//
// Forwards every request to TARGET and returns its answer, except, while
// FILE exists, the first request that matches (POST /settle, or a
// JSON-RPC call of that method): it is forwarded, the real answer is
// awaited (the payment is then settled on chain), every worker holding an
// in-flight claim in DIR (the claim file's "inflight PID ..." line) gets
// SIGKILL, FILE is removed and the client's connection is dropped without
// an answer.  With --hold FILE the order is reversed, like a facilitator
// that is still holding the settlement when the worker dies: the worker
// is killed first, and the request is forwarded only once FILE exists
// ("forwarded late: ANSWER").  Prints "kill-proxy listening on
// 127.0.0.1:P" when ready and "killed PID after MATCH" per kill.  Listens
// on 127.0.0.1 only.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const port = Number(arg('port', '0'));
const target = new URL(arg('target'));
const claims = arg('claims').split(',');
const arm = arg('arm');
const match = arg('match', 'settle');
const logf = arg('log');
const hold = arg('hold');

const log = (s) => {
  console.log(s);
  if (logf) fs.appendFileSync(logf, s + '\n');
};

function matches(req, body) {
  if (match === 'settle')
    return req.method === 'POST' && req.url.replace(/\?.*/, '').endsWith('/settle');
  try {
    const j = JSON.parse(body.toString('utf8'));
    const calls = Array.isArray(j) ? j : [j];
    return calls.some((c) => c && c.method === match);
  } catch {
    return false;
  }
}

function inflightPids() {
  const pids = [];
  for (const dir of claims) {
    let names;
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const n of names) {
      if (!/^[0-9a-f]{64}$/.test(n)) continue;
      let t;
      try { t = fs.readFileSync(path.join(dir, n), 'utf8'); } catch { continue; }
      const m = /^inflight (\d+) /.exec(t);
      if (m) pids.push(Number(m[1]));
    }
  }
  return pids;
}

function killWorkers() {
  for (const pid of inflightPids()) {
    try { process.kill(pid, 'SIGKILL'); log(`killed ${pid} after ${match}`); } catch (e) { log(`kill ${pid}: ${e.code}`); }
  }
  try { fs.unlinkSync(arm); } catch { /* gone */ }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const kill = fs.existsSync(arm) && matches(req, body);
    if (kill && hold) {
      killWorkers();
      while (!fs.existsSync(hold)) await new Promise((r) => setTimeout(r, 100));
    }
    const headers = { ...req.headers, host: target.host };
    delete headers['content-length'];
    headers['content-length'] = String(body.length);
    const up = http.request({
      host: target.hostname, port: target.port,
      path: (target.pathname === '/' ? '' : target.pathname.replace(/\/$/, '')) + req.url,
      method: req.method, headers,
    }, (ur) => {
      const rc = [];
      ur.on('data', (c) => rc.push(c));
      ur.on('end', () => {
        const answer = Buffer.concat(rc);
        if (kill && hold) {
          log(`forwarded late: ${answer.toString('utf8').slice(0, 300)}`);
          req.socket.destroy();
          return;
        }
        if (kill) {
          killWorkers();
          log(`answer withheld: ${answer.toString('utf8').slice(0, 300)}`);
          req.socket.destroy();
          return;
        }
        res.writeHead(ur.statusCode, ur.headers);
        res.end(answer);
      });
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    up.end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  log(`kill-proxy listening on 127.0.0.1:${server.address().port}`);
});
