/**
 * `npm start`: starts the simulated network (demo/network.ts: simnet's demo topology, a
 * wallet, a shop and four routing nodes, each a commando listener on 127.0.0.1, and beside
 * them an LND wallet and an LND shop, reached only over LNC through simnet's mailbox) and
 * serves the demo, whose pages talk BOLT 8 + commando (Core Lightning) or LNC (LND) to those
 * nodes from the browser exactly as they would to real ones:
 *
 * - `/`: a shop checkout (`<ampkit-invoice>` on the shop, with a rune or an LNC session that
 *   may only make and follow plain invoices) beside a wallet (`<ampkit-pay>` on the wallet),
 *   and a fault panel; `?wallet=lnd` and `?shop=lnd` choose the LND nodes;
 * - `/console.html`: a node console (raw calls, and the engine's payments, partial payments,
 *   invoices and partial invoices, live).
 *
 * `POST /lnc-session { "role": "wallet" | "shop" }` opens a new LNC session on that LND node
 * and answers its pairing phrase and mailbox, as Lightning Terminal shows a user: the
 * wallet's may do everything (an admin session), the shop's only CHECKOUT_PERMISSIONS.
 *
 * Ctrl-C (SIGINT) or SIGTERM stops the web server and every simnet node it started.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runControl, startSimnet } from '@ampkit/simnet';
import { CHECKOUT_PERMISSIONS, DEMO_NETWORK, LND } from './network.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const simnetPort = process.env.SIMNET_PORT ? Number(process.env.SIMNET_PORT) : 0;

/**
 * What the checkout page may do with the shop's node: make plain invoices and follow their
 * parts; never spend, and nothing of hold invoices. The checkout runs in the payer's
 * browser, and a hold invoice's preimage lives in the engine that makes it, so hold
 * invoices belong to the shop's own engine (docs/design.md, "Trust"); a checkout asking for one
 * is refused by the node (PERMISSION). A plain invoice's preimage never leaves the node.
 */
const CHECKOUT_RESTRICTIONS = ['method=invoice|method=listinvoices|method=listhtlcs|method=wait'];

/**
 * The fault panel's switches: each a simnet control line to switch it on and one to switch
 * it off (none for a one-off action).
 */
const ROUTERS = ['alice', 'bob', 'carol', 'dave'];
const FAULTS = {
  drop: { label: 'Drop the widgets\u2019 connections', on: ['drop wallet', 'drop shop', `drop ${LND.wallet}`, `drop ${LND.shop}`] },
  slow: { label: 'Slow every routing hop (1.5 s)', on: ROUTERS.map((r) => `latency ${r} 1500`), off: ROUTERS.map((r) => `latency ${r} 0`) },
  offline: { label: 'Take bob offline', on: ['offline bob'], off: ['online bob'] },
  // The shop's channels fill up as it sells: this puts every balance back, so the espresso machine can be bought again.
  refill: { label: 'Refill every channel (balances as at the start)', on: ['refill all'] },
} as const satisfies Record<string, { label: string; on: readonly string[]; off?: readonly string[] }>;
type Fault = keyof typeof FAULTS;

/**
 * A fresh network each start unless SEED is given: the same seed gives the same keys and
 * preimages, and so the same first invoice, which a browser's journal would find already paid.
 */
const seed = process.env.SEED ? Number(process.env.SEED) : 1 + Math.floor(Math.random() * 2 ** 31);
console.log(
  `ampkit demo: starting the simulated network (${DEMO_NETWORK.nodes.length} nodes, seed ${seed}: SEED=${seed} npm start to get it again; opening and announcing their channels)…`,
);
const started = performance.now();
const simnet = await startSimnet({
  topology: DEMO_NETWORK,
  lnd: [LND.wallet, LND.shop],
  seed,
  host,
  port: simnetPort,
});
console.log(`ampkit demo: simulated network up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
const switched = new Set<Fault>();
/** This run of the server: the checkout keeps its LNC keys per run, since a new run's sessions are new. */
const run = Date.now().toString(36);
const mailbox = simnet.lnd[0]!.lnc.mailbox;
const connectSrc = ["'self'", ...simnet.nodes.map((n) => n.ws_url), mailbox].join(' ');
const CSP = `default-src 'self'; connect-src ${connectSrc}; worker-src 'self' blob:; img-src 'self' data:`;
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

function config() {
  const shop = simnet.node('shop');
  return {
    default: 'wallet',
    nodes: simnet.nodes,
    checkout: { alias: 'shop', rune: shop.makeRune(CHECKOUT_RESTRICTIONS) },
    // No pairing phrase here: each is made on request (POST /lnc-session) and pairs once.
    lnd: { run, mailbox, wallet: LND.wallet, shop: LND.shop },
    faults: Object.entries(FAULTS).map(([name, f]) => ({ name, label: f.label, toggle: 'off' in f, on: switched.has(name as Fault) })),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function body(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) throw new Error('body too large');
  }
  return JSON.parse(text);
}

/** Sessions opened on request, at most this many per LND node (each is an endpoint on the mailbox). */
const MAX_SESSIONS = 100;
const sessions = new Map<string, number>();

/**
 * `POST /lnc-session { role }`: a new LNC session on the LND wallet (all permissions) or the
 * LND shop (CHECKOUT_PERMISSIONS only), as `{ pairingPhrase, mailbox }`. JSON only, like /fault.
 */
async function lncSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers['content-type'] !== 'application/json') return json(res, 415, { error: 'send JSON' });
  let role: unknown;
  try {
    role = ((await body(req)) as { role?: unknown })?.role;
  } catch {
    return json(res, 400, { error: 'send { "role": "wallet" | "shop" }' });
  }
  if (role !== 'wallet' && role !== 'shop') return json(res, 400, { error: 'role must be "wallet" or "shop"' });
  const alias = LND[role];
  const count = sessions.get(alias) ?? 0;
  if (count >= MAX_SESSIONS) return json(res, 429, { error: `${MAX_SESSIONS} sessions on ${alias} already: restart the demo` });
  sessions.set(alias, count + 1);
  let session;
  try {
    session = await simnet.lncSession(alias, role === 'shop' ? { permissions: CHECKOUT_PERMISSIONS } : {});
  } catch (error) {
    return json(res, 500, { error: `no session on ${alias}: ${(error as Error).message}` });
  }
  console.log(`ampkit demo: a new LNC session on ${alias}${role === 'shop' ? ' (plain invoices only)' : ''}`);
  return json(res, 200, session);
}

/** `POST /fault { name, on }`: only JSON (a cross-site form cannot send it without a preflight this server refuses). */
async function fault(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.headers['content-type'] !== 'application/json') return json(res, 415, { error: 'send JSON' });
  let request: { name?: unknown; on?: unknown };
  try {
    request = (await body(req)) as typeof request;
  } catch {
    return json(res, 400, { error: 'send { "name": …, "on": true|false }' });
  }
  const name = request?.name as Fault;
  const entry: { on: readonly string[]; off?: readonly string[] } | undefined = Object.hasOwn(FAULTS, name) ? FAULTS[name] : undefined;
  if (!entry || typeof request.on !== 'boolean') return json(res, 400, { error: `unknown fault ${String(request?.name)}` });
  const lines = request.on ? entry.on : (entry.off ?? []);
  const replies = [];
  for (const line of lines) replies.push(await runControl(simnet, line));
  if (entry.off) {
    if (request.on) switched.add(name);
    else switched.delete(name);
  }
  console.log(`ampkit demo: fault ${name} ${request.on ? 'on' : 'off'}: ${replies.join('; ')}`);
  return json(res, 200, { name, on: switched.has(name), replies });
}

const PAGES: Record<string, string> = { '/': 'demo/index.html', '/console.html': 'demo/console.html' };

const http = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/config.json') return json(res, 200, config());
  if (path === '/fault' && req.method === 'POST') return fault(req, res);
  if (path === '/lnc-session' && req.method === 'POST') return lncSession(req, res);
  const file = PAGES[path] ?? normalize(path.slice(1));
  if (!(file.startsWith('demo/') || file.startsWith('dist/')) || file.includes('..') || file.endsWith('.ts')) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    const content = await readFile(join(root, file));
    res.writeHead(200, {
      'content-type': `${TYPES[extname(file)] ?? 'application/octet-stream'}; charset=utf-8`,
      'content-security-policy': CSP,
      'cache-control': 'no-cache',
    });
    res.end(content);
  } catch {
    res.writeHead(404).end('not found');
  }
});

await new Promise<void>((resolve) => http.listen(port, host, resolve));
console.log(
  `ampkit demo: http://${host}:${port}  (node console: http://${host}:${port}/console.html; simnet: ${simnet.nodes.map((n) => `${n.alias} ${n.ws_url}`).join(', ')}; over LNC through the mailbox ${mailbox}: ${simnet.lnd.map((n) => n.alias).join(', ')})`,
);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  http.closeAllConnections();
  void simnet.stop().then(() => http.close(() => process.exit(0)));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
