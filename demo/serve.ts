/**
 * `npm start`: starts the simulated network (simnet's demo topology: a wallet, a shop and
 * four routing nodes, each a commando listener on 127.0.0.1) and serves the demo page, which
 * talks BOLT 8 + commando to those nodes from the browser exactly as it would to Core Lightning.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimnet } from '@ampkit/simnet';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const simnetPort = process.env.SIMNET_PORT ? Number(process.env.SIMNET_PORT) : 0;

const simnet = await startSimnet({ topology: 'demo', seed: Number(process.env.SEED ?? 1), host, port: simnetPort });
const connectSrc = ["'self'", ...simnet.nodes.map((n) => n.ws_url)].join(' ');

const http = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ default: 'wallet', nodes: simnet.nodes }));
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
      'content-security-policy': `default-src 'self'; connect-src ${connectSrc}`,
    });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});

await new Promise<void>((resolve) => http.listen(port, host, resolve));
console.log(`ampkit demo: http://${host}:${port}  (simnet: ${simnet.nodes.map((n) => `${n.alias} ${n.ws_url}`).join(', ')})`);
const stop = () => {
  void simnet.stop().then(() => http.close(() => process.exit(0)));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
