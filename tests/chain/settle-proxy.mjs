// settle-proxy.mjs - an HTTP proxy in front of a facilitator that loses
// the answer of POST /settle after forwarding it, for
// tests/integration/pending.sh.
//
//   node settle-proxy.mjs --port P --target URL [--log FILE]
//
// The first path segment names the fault and is stripped:
//   /pass/...   every request forwarded, every answer returned;
//   /delay/...  /settle forwarded, its answer held back 5 s (past the
//               gate's timeout), then returned;
//   /cut/...    /settle forwarded, its answer awaited (the transfer is on
//               chain), then the connection dropped with no answer;
//   /bad/...    /settle forwarded, its answer awaited, then "502 Bad
//               Gateway" with an HTML body sent instead.
// Any other request is forwarded as /pass.  Prints "settle-proxy
// listening on 127.0.0.1:P" when ready and one line per lost answer.
// Listens on 127.0.0.1 only.
import http from 'node:http';
import fs from 'node:fs';

const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const port = Number(arg('port', '0'));
const target = new URL(arg('target'));
const logf = arg('log');

const log = (s) => {
  console.log(s);
  if (logf) fs.appendFileSync(logf, s + '\n');
};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const m = /^\/(pass|delay|cut|bad)(\/.*)$/.exec(req.url);
    const mode = m ? m[1] : 'pass';
    const rest = m ? m[2] : req.url;
    const settle = req.method === 'POST' &&
        rest.replace(/\?.*/, '').endsWith('/settle');
    const headers = { ...req.headers, host: target.host };
    headers['content-length'] = String(body.length);
    const up = http.request({
      host: target.hostname, port: target.port,
      path: (target.pathname === '/' ? '' : target.pathname.replace(/\/$/, '')) + rest,
      method: req.method, headers,
    }, (ur) => {
      const rc = [];
      ur.on('data', (c) => rc.push(c));
      ur.on('end', () => {
        const answer = Buffer.concat(rc);
        const send = () => {
          try {
            res.writeHead(ur.statusCode, ur.headers);
            res.end(answer);
          } catch { /* the client gave up */ }
        };
        if (!settle || mode === 'pass') {
          send();
          return;
        }
        log(`${mode}: ${answer.toString('utf8').slice(0, 200)}`);
        if (mode === 'delay')
          setTimeout(send, 5000);
        else if (mode === 'cut')
          req.socket.destroy();
        else {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<html><body>502 Bad Gateway</body></html>');
        }
      });
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    up.end(body);
  });
});
server.listen(port, '127.0.0.1', () => {
  log(`settle-proxy listening on 127.0.0.1:${server.address().port}`);
});
