/**
 * `npm start`: serves the demo page and runs a local commando node on the same port, so the
 * page talks BOLT 8 + commando to it from the browser exactly as it would to Core Lightning.
 * Until the simulated network lands, the node answers a few methods of its own (getinfo,
 * help, echo, checkrune, showrunes); everything else gets Core Lightning's unknown-command error.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcError, auditRune, createRune, createRuneChecker } from '@ampkit/wire';
import { serveCommando } from '@ampkit/wire/node';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
// A fixed demo identity, so a reload keeps the same node id. Never use these keys for money.
const privateKey = new Uint8Array(32).fill(0xd0);
const masterSecret = new Uint8Array(32).fill(0xde);
const runes = {
  admin: createRune({ masterSecret, uniqueId: 0 }),
  readonly: createRune({ masterSecret, uniqueId: 1, restrictions: ['method^list|method^get|method=summary|method=help|method=echo|method=checkrune', 'method/listdatastore'] }),
};
const checker = createRuneChecker({ masterSecret });

const http = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ nodeId: node.nodeId, url: `ws://${host}:${port}`, runes }));
    return;
  }
  const file = path === '/' ? 'demo/index.html' : normalize(path.slice(1));
  if (!(file.startsWith('demo/') || file.startsWith('dist/')) || file.includes('..')) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    const body = await readFile(join(root, file));
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
    res.writeHead(200, {
      'content-type': `${types[extname(file)] ?? 'application/octet-stream'}; charset=utf-8`,
      'content-security-policy': `default-src 'self'; connect-src 'self' ws://${host}:${port}`,
    });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});

const methods: Record<string, (params: Record<string, unknown> | unknown[], peerId: string) => unknown> = {
  getinfo: () => ({ id: node.nodeId, alias: 'ampkit-wire-demo', color: node.nodeId.slice(2, 8), num_peers: 0, version: 'ampkit-wire-demo', network: 'regtest', our_features: { init: '' } }),
  help: () => ({ help: Object.keys(methods).sort().map((command) => ({ command })) }),
  echo: (params) => ({ params }),
  checkrune: (params, peerId) => {
    const p = Array.isArray(params) ? { rune: params[0], method: params[2], params: params[3] } : params;
    if (typeof p.rune !== 'string') throw new RpcError('checkrune', -32602, 'rune: should be a string');
    const verdict = checker.check(p.rune, { method: String(p.method ?? ''), params: (p.params as object) ?? {}, peerId });
    if (!verdict.ok) throw new RpcError('checkrune', 1502, `Not permitted: ${verdict.reason}`);
    return { valid: true };
  },
  showrunes: () => ({
    runes: Object.entries(runes).map(([, rune]) => {
      const audit = auditRune(rune);
      return { rune, unique_id: audit.uniqueId, restrictions_as_english: audit.restrictionsAsEnglish };
    }),
  }),
};

await new Promise<void>((resolve) => http.listen(port, host, resolve));
const node = await serveCommando({
  server: http,
  privateKey,
  masterSecret,
  handler(method, params, { peerId }) {
    const fn = methods[method];
    if (!fn) throw new RpcError(method, -32601, `Unknown command '${method}'`);
    return fn(params, peerId);
  },
});

console.log(`ampkit demo: http://${host}:${port}  (commando node ${node.nodeId} on ws://${host}:${port})`);
const stop = () => {
  void node.close().then(() => http.close(() => process.exit(0)));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
