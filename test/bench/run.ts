/**
 * `npm run bench [-- section...] [--json]`: ampkit's wire layer against lnmessage on the same
 * local server in one run (the same warm-up for both, then repeats taking turns; medians and
 * p90s; `--skip-slow` leaves out lnmessage's 16 MiB reply), against the raw cipher, and
 * bundle sizes of pages each checked to load in Chromium; simnet's graph load and
 * payment rate; the engine's journal in Chromium; receiving latency; the elements; the local
 * pay planner on the mainnet graph. Sections: handshake, requests,
 * big-reply, transport, bundle, journal, receive, graph, payments, elements, pay,
 * pay-engine (the whole pay() on simnet's mainnet graph, local and node planner), lnc
 * (Lightning Node Connect: bundle, pairing and reconnect in Chromium, calls vs commando)
 * (default: all; `pay --quick` for fewer payments). Timings are printed, never asserted.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import LnMessage from 'lnmessage';
import { connect, NoiseTransport } from '@ampkit/wire';
import { NodeWebSocket, serveCommando } from '@ampkit/wire/node';
import { createRune } from '../../packages/wire/src/runes.ts';
import { DEFAULT_GRAPH, startSimnet } from '@ampkit/simnet';

const args = process.argv.slice(2);
const json = args.includes('--json');
const wanted = args.filter((a) => !a.startsWith('--'));
const WIRE = ['handshake', 'requests', 'big-reply', 'transport', 'bundle', 'lnc'];
const CORE = ['journal', 'receive', 'worker', 'elements', 'pay', 'pay-engine', 'first-pay'];
const run = (section: string) =>
  wanted.length === 0 ||
  wanted.includes(section) ||
  (wanted.includes('wire') && WIRE.includes(section)) ||
  (wanted.includes('simnet') && !WIRE.includes(section) && !CORE.includes(section)) ||
  (wanted.includes('core') && CORE.includes(section));
const results: Record<string, unknown> = {};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
/** The value nine in ten of `values` are at or below. */
function p90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)]!;
}
/** Median and p90 of a contender's repeats, and how many there were. */
const spread = (values: number[]) => ({ median: median(values), p90: p90(values), runs: values.length });

/**
 * Times ampkit (`ours`) against a peer (`theirs`) fairly: the same warm-up calls for both,
 * then `repeats` rounds in which they take turns going first (A,B then B,A, then A,B...), so
 * a change in the machine's load over the run falls on both alike. Garbage is collected
 * before each call (with --expose-gc), so neither pays for the other's. Each call returns its
 * own figure (ms taken, or a rate); the figures of the warm-up are dropped.
 */
async function interleave(
  repeats: number,
  warmup: number,
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
): Promise<{ ours: number[]; theirs: number[] }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const figures = { ours: [] as number[], theirs: [] as number[] };
  for (let round = 0; round < warmup + repeats; round++) {
    const order = round % 2 === 0 ? (['ours', 'theirs'] as const) : (['theirs', 'ours'] as const);
    for (const who of order) {
      gc?.();
      const figure = await (who === 'ours' ? ours() : theirs());
      if (round >= warmup) figures[who].push(figure);
    }
  }
  return figures;
}
const fmt = (n: number, digits = 2) => n.toFixed(digits);
function line(text: string): void {
  if (!json) console.log(text);
}

const privateKey = new Uint8Array(32).fill(0x5a);
const masterSecret = new Uint8Array(32).fill(0xa5);
const rune = createRune({ masterSecret, uniqueId: 0 });
const BIG = 16 * 1024 * 1024;
const bigText = 'x'.repeat(BIG);

const server = await serveCommando({
  privateKey,
  masterSecret,
  port: 0,
  handler(method) {
    if (method === 'getinfo') return { id: 'bench', alias: 'bench', num_peers: 0, blockheight: 1 };
    if (method === 'big') return { blob: bigText };
    return {};
  },
});
const port = server.port;

function lnmessage(): LnMessage {
  return new LnMessage({ remoteNodePublicKey: server.nodeId, ip: '127.0.0.1', port, wsProtocol: 'ws:' });
}
const ampkit = () => connect({ nodeId: server.nodeId, url: server.url, rune, WebSocket: NodeWebSocket, keepaliveInterval: 0 });

async function pool(total: number, width: number, call: () => Promise<unknown>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (started < total) {
        started++;
        await call();
      }
    }),
  );
}

line(`ampkit wire bench — node ${process.version}, ${new Date().toISOString()}`);

if (run('handshake')) {
  const rounds = 30;
  const timeConnect = async (open: () => Promise<() => void>) => {
    const t = performance.now();
    const close = await open();
    const ms = performance.now() - t;
    close();
    return ms;
  };
  const { ours, theirs } = await interleave(
    rounds,
    3,
    () =>
      timeConnect(async () => {
        const c = await ampkit();
        return () => c.close();
      }),
    () =>
      timeConnect(async () => {
        const ln = lnmessage();
        await ln.connect(false);
        return () => ln.disconnect();
      }),
  );
  const o = spread(ours);
  const l = spread(theirs);
  results.handshake = {
    ampkit_ms: o.median,
    ampkit_p90_ms: o.p90,
    lnmessage_ms: l.median,
    lnmessage_p90_ms: l.p90,
    runs: rounds,
    warmup: 3,
    speedup: l.median / o.median,
  };
  line(
    `handshake (connect to open; 3 warm-up, then ${rounds} each, taking turns): ampkit median ${fmt(o.median)} ms (p90 ${fmt(o.p90)}), lnmessage ${fmt(l.median)} ms (p90 ${fmt(l.p90)}) → ${fmt(l.median / o.median, 1)}x faster (target < 5 ms)`,
  );
}

if (run('requests')) {
  const repeats = 7;
  const count = 1000;
  const c = await ampkit();
  const ln = lnmessage();
  await ln.connect(false);
  const call = () => c.request('getinfo');
  const lnCall = () => ln.commando({ method: 'getinfo', params: {}, rune });
  const rate = async (f: () => Promise<unknown>, width: number) => {
    const t = performance.now();
    if (width === 1) for (let i = 0; i < count; i++) await f();
    else await pool(count, width, f);
    return count / ((performance.now() - t) / 1000);
  };
  // A rate's p90 is its slow end: nine runs in ten were at least this fast.
  const slowEnd = (rates: number[]) => -p90(rates.map((r) => -r));
  const figures: Record<string, unknown> = {};
  for (const width of [1, 32]) {
    const { ours, theirs } = await interleave(
      repeats,
      1,
      () => rate(call, width),
      () => rate(lnCall, width),
    );
    const o = spread(ours);
    const l = spread(theirs);
    figures[width === 1 ? 'sequential' : 'concurrent_32'] = {
      ampkit_per_s: o.median,
      ampkit_p90_per_s: slowEnd(ours),
      lnmessage_per_s: l.median,
      lnmessage_p90_per_s: slowEnd(theirs),
      runs: repeats,
      warmup: 1,
      ratio: o.median / l.median,
    };
    line(
      `${count.toLocaleString('en')} small requests ${width === 1 ? 'sequential' : `${width} at a time`} (1 warm-up, then median of ${repeats} each, taking turns): ampkit ${fmt(o.median, 0)}/s (p90 ${fmt(slowEnd(ours), 0)}/s), lnmessage ${fmt(l.median, 0)}/s (p90 ${fmt(slowEnd(theirs), 0)}/s) → ${fmt(o.median / l.median, 1)}x`,
    );
  }
  results.requests = figures;
  c.close();
  ln.disconnect();
}

if (run('big-reply')) {
  // Both get one warm-up and the same repeats on one open connection, taking turns;
  // --skip-slow leaves lnmessage out.
  const repeats = 5;
  const c = await ampkit();
  const ours = async () => {
    const t = performance.now();
    const r = await c.request('big', {}, { timeout: 120_000 });
    const ms = performance.now() - t;
    if (r.blob.length !== BIG) throw new Error('16 MiB reply came back wrong');
    return ms;
  };
  let times: { ours: number[]; theirs: number[] };
  if (args.includes('--skip-slow')) {
    times = await interleave(repeats, 1, ours, async () => NaN);
  } else {
    const ln = lnmessage();
    await ln.connect(false);
    times = await interleave(repeats, 1, ours, async () => {
      const t = performance.now();
      const r = (await ln.commando({ method: 'big', params: {}, rune })) as { blob: string };
      const ms = performance.now() - t;
      if (r.blob.length !== BIG) throw new Error('lnmessage got a wrong 16 MiB reply');
      return ms;
    });
    ln.disconnect();
  }
  c.close();
  // The server's share: JSON.stringify plus encrypting 16 MiB into 259 frames.
  const t0 = performance.now();
  const enc = new NoiseTransport(new Uint8Array(32), new Uint8Array(32), new Uint8Array(32), new Uint8Array(33));
  const body = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { blob: bigText } }));
  for (let at = 0; at < body.length; at += 65000) enc.encrypt(body.subarray(at, at + 65000));
  const serverMs = performance.now() - t0;
  const o = spread(times.ours);
  const l = spread(times.theirs);
  results.big_reply = {
    ampkit_ms: o.median,
    ampkit_p90_ms: o.p90,
    server_share_ms: serverMs,
    client_ms: o.median - serverMs,
    lnmessage_ms: l.median,
    lnmessage_p90_ms: l.p90,
    runs: repeats,
    warmup: 1,
    speedup: l.median / o.median,
  };
  line(
    `16 MiB reply (request to parsed result; 1 warm-up, then ${repeats} each, taking turns): ampkit median ${fmt(o.median, 0)} ms (p90 ${fmt(o.p90, 0)}; about ${fmt(serverMs, 0)} ms of it the server's stringify+encrypt, so ~${fmt(o.median - serverMs, 0)} ms client), ${Number.isNaN(l.median) ? 'lnmessage left out (--skip-slow)' : `lnmessage ${fmt(l.median, 0)} ms (p90 ${fmt(l.p90, 0)}) → ${fmt(l.median / o.median, 1)}x`} (target < 300 ms)`,
  );
}

if (run('transport')) {
  const size = 65_000;
  const count = 300;
  const message = new Uint8Array(size).fill(7);
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(12);
  // The limit: the cipher alone, encrypting and decrypting the same bytes.
  let t = performance.now();
  for (let i = 0; i < count; i++) {
    const sealed = chacha20poly1305(key, nonce).encrypt(message);
    chacha20poly1305(key, nonce).decrypt(sealed);
  }
  const cipher = (size * count) / 1e6 / ((performance.now() - t) / 1000);
  const a = new NoiseTransport(key, key, key, new Uint8Array(33));
  const b = new NoiseTransport(key, key, key, new Uint8Array(33));
  t = performance.now();
  for (let i = 0; i < count; i++) {
    const frame = a.encrypt(message);
    const length = b.decryptLength(frame.subarray(0, 18));
    b.decryptBody(frame.subarray(18, 18 + length + 16));
  }
  const transport = (size * count) / 1e6 / ((performance.now() - t) / 1000);
  results.transport = { transport_MBps: transport, cipher_MBps: cipher, ratio: transport / cipher };
  line(
    `BOLT 8 transport on 65 kB messages (encrypt+decrypt): ${fmt(transport, 1)} MB/s vs raw ChaCha20-Poly1305 ${fmt(cipher, 1)} MB/s → ${fmt(transport / cipher)} of the limit (target ≥ 0.5)`,
  );
}

if (run('bundle')) {
  const size = (file: string) => {
    if (!existsSync(file)) return undefined;
    const bytes = readFileSync(file);
    return { min_bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
  };
  const page = size('dist/bench/connect-only.js');
  const whole = size('dist/ampkit-wire.js');
  const peer = size('dist/bench/lnmessage-only.js');
  const enginePage = size('dist/bench/engine-page.js');
  const core = size('dist/ampkit-core.js');
  const client = size('dist/ampkit.js');
  const worker = size('dist/ampkit-worker.js');
  const planner = size('dist/ampkit-worker-planner.js');
  const bitcoinConnect = size('dist/bench/bitcoin-connect-page.js');
  // lnc-web ships one webpack bundle; its WASM (the Go LNC client) is not in the npm
  // package but fetched at run time from lightning.engineering, so it cannot be weighed here.
  const lncWeb = size('node_modules/@lightninglabs/lnc-web/dist/index.js');
  // A page that cannot load is no measure: each page is opened in Chromium and does its job.
  const { checkPagesLoad } = await import('./page-loads.ts');
  const loads = await checkPagesLoad({ nodeId: server.nodeId, url: server.url, port, rune });
  const loaded = (name: 'connect-only' | 'lnmessage-only' | 'bitcoin-connect-page') =>
    loads === undefined ? 'loads: not checked, no Chromium' : loads[name].loads ? 'loads: yes' : `loads: NO, ${loads[name].detail}`;
  // ampkit's connect page as a share of lnmessage's (below 1: ours is smaller).
  const share = (key: 'min_bytes' | 'gzip_bytes') => (page && peer ? page[key] / peer[key] : undefined);
  results.bundle = {
    connect_only: page,
    wire_all: whole,
    lnmessage_only: peer,
    engine_page: enginePage,
    core_all: core,
    ampkit_page: client,
    ampkit_worker: worker,
    ampkit_worker_planner: planner,
    bitcoin_connect_page: bitcoinConnect,
    lnc_web_js: lncWeb,
    connect_only_vs_lnmessage: { min_ratio: share('min_bytes'), gzip_ratio: share('gzip_bytes') },
    loads,
  };
  const kb = (n?: number) => (n === undefined ? 'n/a' : `${fmt(n / 1000, 1)} kB`);
  const times = (n?: number) => (n === undefined ? 'n/a' : fmt(n));
  line(
    `bundle, page that imports connect: ${kb(page?.min_bytes)} min, ${kb(page?.gzip_bytes)} gzip (target ≤ 15 kB gzip; ${loaded('connect-only')}); lnmessage's same page with the buffer polyfill it imports: ${kb(peer?.min_bytes)} min, ${kb(peer?.gzip_bytes)} gzip (${loaded('lnmessage-only')}) → ours is ${times(share('min_bytes'))} of it min, ${times(share('gzip_bytes'))} gzip`,
  );
  line(`bundle, all of @ampkit/wire: ${kb(whole?.min_bytes)} min, ${kb(whole?.gzip_bytes)} gzip`);
  line(
    `bundle, page that sends partial payments (connect + engine + IndexedDB journal): ${kb(enginePage?.min_bytes)} min, ${kb(enginePage?.gzip_bytes)} gzip; all of @ampkit/core: ${kb(core?.gzip_bytes)} gzip`,
  );
  line(
    `bundle, dist/ampkit.js (what the page loads): ${kb(client?.min_bytes)} min, ${kb(client?.gzip_bytes)} gzip (target ≤ 25 kB gzip); dist/ampkit-worker.js: ${kb(worker?.min_bytes)} min, ${kb(worker?.gzip_bytes)} gzip (target ≤ 45 kB gzip); both: ${kb((client?.gzip_bytes ?? 0) + (worker?.gzip_bytes ?? 0))} gzip; on the first pay() the worker plans: dist/ampkit-worker-planner.js ${kb(planner?.min_bytes)} min, ${kb(planner?.gzip_bytes)} gzip`,
  );
  const ratio = (other?: { gzip_bytes: number }) =>
    other && client && worker ? `${fmt(other.gzip_bytes / (client.gzip_bytes + worker.gzip_bytes), 1)}x ampkit.js + worker` : 'n/a';
  line(
    `bundle, peers: lnmessage page ${kb(peer?.min_bytes)} min, ${kb(peer?.gzip_bytes)} gzip (connect only, no engine: ${ratio(peer)}); @getalby/bitcoin-connect page ${kb(bitcoinConnect?.min_bytes)} min, ${kb(bitcoinConnect?.gzip_bytes)} gzip (${ratio(bitcoinConnect)}; ${loaded('bitcoin-connect-page')}); @lightninglabs/lnc-web ${kb(lncWeb?.min_bytes)} min, ${kb(lncWeb?.gzip_bytes)} gzip of JS (${ratio(lncWeb)}) plus its WASM, fetched from lightning.engineering at run time and not in the npm package, so not weighed here`,
  );
}

if (run('lnc')) {
  const { benchLnc } = await import('./lnc.ts');
  results.lnc = await benchLnc(line, { commando: ampkit, interleave, pool });
}

if (run('worker')) {
  const { benchWorkerCall } = await import('./worker-call.ts');
  const figures = await benchWorkerCall();
  results.worker_call = figures;
  if (figures) {
    const { memory: m, indexeddb: i } = figures;
    line(
      `one engine call (listpayments by hash, journal only), mean of ${figures.calls} in a row: memory journal ${fmt(m.page_us, 0)} µs in the page vs ${fmt(m.worker_us, 0)} µs through the worker (+${fmt(m.worker_us - m.page_us, 0)} µs, ${fmt(m.worker_us / m.page_us, 1)}x); IndexedDB journal ${fmt(i.page_us, 0)} µs vs ${fmt(i.worker_us, 0)} µs (+${fmt(i.worker_us - i.page_us, 0)} µs)`,
    );
  } else line('worker call: no Chromium found, skipped');
}

if (run('journal')) {
  const { benchJournal } = await import('./journal.ts');
  const figures = await benchJournal();
  results.journal = figures;
  if (figures) {
    line(
      `journal in Chromium IndexedDB, bookkeeping per part (journal write + resolution), 5 parts per payment: median ${fmt(figures.bookkeeping.median_ms)} ms, p90 ${fmt(figures.bookkeeping.p90_ms)} ms (target ≤ 1 ms median)`,
    );
    line(
      `journal, the same with 300 parts on one payment: median ${fmt(figures.longPayment.median_ms)} ms (each update reads the payment's parts)`,
    );
    line(
      `journal, one IndexedDB transaction here: relaxed write ${fmt(figures.raw.relaxed_ms)} ms, strict (durable) write ${fmt(figures.raw.strict_ms)} ms, read ${fmt(figures.raw.read_ms)} ms`,
    );
    line(
      `journal, listpartialpayments by payment_hash over ${figures.total} parts: median ${fmt(figures.list.median_ms)} ms (target ≤ 20 ms); listpayments of ${figures.list.payments} payments: ${fmt(figures.list.listpayments_all_ms, 0)} ms; filling took ${fmt(figures.list.fill_s, 1)} s`,
    );
    const paging = figures.list.paging;
    line(
      `journal, unfiltered listpartialpayments over ${figures.total} parts in the page: first page of 100 median ${fmt(paging.first_page_ms)} ms (target ≤ 20 ms); all ${paging.listed} by pages of ${paging.page} in ${fmt(paging.all_ms, 0)} ms (target ≤ 2000 ms; median of 2), plain IndexedDB getAll pages of the same store ${fmt(paging.raw_all_ms, 0)} ms → ${fmt(paging.all_ms / paging.raw_all_ms)}x the floor, one plain getAll of the whole store ${fmt(paging.raw_whole_ms, 0)} ms; JS heap ${paging.heap_before_mb === undefined ? 'not measured' : `${fmt(paging.heap_before_mb, 1)} MB before, at most ${fmt(paging.heap_peak_mb, 1)} MB while paging`}`,
    );
  } else line('journal: no Chromium found, skipped');
}

if (run('receive')) {
  const { benchReceive } = await import('./receive.ts');
  const r = await benchReceive();
  results.receive = r;
  line(
    `receive on simnet, hold invoice: last part's arrival at the node → settleholdinvoice at the node: median ${fmt(r.holdToSettle.median_ms)} ms, p90 ${fmt(r.holdToSettle.p90_ms)} ms (target ≤ one round trip + 20 ms = ${fmt(r.rtt.median_ms + 20)} ms; round trip median ${fmt(r.rtt.median_ms)} ms)`,
  );
  line(
    `receive on simnet, plain invoice: the node's claim → the engine's waitinvoice resolves paid: median ${fmt(r.plainToPaid.median_ms)} ms, p90 ${fmt(r.plainToPaid.p90_ms)} ms (${r.rounds} rounds)`,
  );
}

if (run('graph')) {
  for (const topology of ['graph', 'generated:15000'] as const) {
    if (topology === 'graph' && !existsSync(DEFAULT_GRAPH)) {
      line(`simnet graph: ${DEFAULT_GRAPH} not found, skipped`);
      continue;
    }
    (globalThis as { gc?: () => void }).gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t = performance.now();
    const net = await startSimnet({ topology, seed: 1 });
    const seconds = (performance.now() - t) / 1000;
    (globalThis as { gc?: () => void }).gc?.();
    const heap = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const rss = process.memoryUsage().rss / 1e6;
    results[`simnet_${topology}`] = {
      nodes: net.network.nodes.size,
      channels: net.network.channels.size,
      load_s: seconds,
      heap_MB: heap,
      rss_MB: rss,
    };
    line(
      `simnet --topology ${topology}: ${net.network.nodes.size} nodes, ${net.network.channels.size} channels loaded and listening in ${fmt(seconds)} s; heap +${fmt(heap, 0)} MB (rss ${fmt(rss, 0)} MB)`,
    );
    await net.stop();
  }
}

if (run('payments')) {
  const net = await startSimnet({ seed: 1, hopDelay: 0 });
  const client = async (alias: string) => {
    const info = net.nodes.find((n) => n.alias === alias)!;
    return connect({ nodeId: info.id, url: info.ws_url, rune: info.rune, WebSocket: NodeWebSocket, keepaliveInterval: 0 });
  };
  const wallet = await client('wallet');
  const shop = await client('shop');
  const count = 300;
  let label = 0;
  const once = async () => {
    const inv = await shop.request('invoice', { amount_msat: 1_000_000, label: `b${label++}`, description: 'bench' });
    await wallet.request('pay', [inv.bolt11]);
  };
  let t = performance.now();
  await pool(count, 8, once);
  const single = count / ((performance.now() - t) / 1000);
  // Three-part payments through sendpay/waitsendpay, as the engine drives them.
  const vias = ['alice', 'bob', 'carol'].map((a) => net.node(a).node);
  const w = net.node('wallet').node;
  const s = net.node('shop').node;
  const route = (via: (typeof vias)[number], amount: number) => {
    const first = w.channels.find((c) => c.other(w) === via)!;
    const second = via.channels.find((c) => c.other(via) === s)!;
    const pol = second.policy[second.side(via)];
    const fee = pol.fee_base_msat + Math.floor((amount * pol.fee_proportional_millionths) / 1e6);
    return [
      { id: via.id, channel: first.scid, amount_msat: amount + fee, delay: 18 + pol.cltv_expiry_delta },
      { id: s.id, channel: second.scid, amount_msat: amount, delay: 18 },
    ];
  };
  const mpp = async () => {
    const inv = await shop.request('invoice', { amount_msat: 3_000_000, label: `m${label++}`, description: 'bench' });
    await Promise.all(
      vias.map((via, i) =>
        wallet.request('sendpay', {
          route: route(via, 1_000_000),
          payment_hash: inv.payment_hash,
          payment_secret: inv.payment_secret,
          amount_msat: 3_000_000,
          partid: i + 1,
          groupid: 1,
        }),
      ),
    );
    await Promise.all(vias.map((_, i) => wallet.request('waitsendpay', { payment_hash: inv.payment_hash, partid: i + 1, groupid: 1 })));
  };
  t = performance.now();
  await pool(count, 8, mpp);
  const multi = count / ((performance.now() - t) / 1000);
  results.simnet_payments = { pay_per_s: single, three_part_per_s: multi };
  line(
    `simnet demo payments (hop delay 0, 8 at a time, over commando): pay ${fmt(single, 0)}/s; three-part sendpay+waitsendpay ${fmt(multi, 0)}/s (${fmt(multi * 3, 0)} HTLC sets' parts/s)`,
  );
  wallet.close();
  shop.close();
  await net.stop();
}

if (run('elements')) {
  const { benchElements } = await import('./elements.ts');
  const e = await benchElements();
  results.elements = e;
  const kb = (n?: number) => (n === undefined ? 'n/a' : `${fmt(n / 1000, 1)} kB`);
  const page = (e.sizes['ampkit.js']?.gzip_bytes ?? 0) + (e.sizes['ampkit-elements.js']?.gzip_bytes ?? 0);
  const qr = e.sizes['ampkit-elements-qr.js'];
  const audit = e.sizes['ampkit-elements-rune-audit.js'];
  const diagram = e.sizes['ampkit-elements-pay-diagram.js'];
  const webln = e.sizes['ampkit-webln.js'];
  line(
    `elements bundle: dist/ampkit-elements.js ${kb(e.sizes['ampkit-elements.js']?.min_bytes)} min, ${kb(e.sizes['ampkit-elements.js']?.gzip_bytes)} gzip; with dist/ampkit.js ${fmt(page, 0)} B gzip (target ≤ 25,000 B gzip); on demand: QR chunk ${kb(qr?.gzip_bytes)} gzip (<ampkit-invoice>), rune-audit chunk ${kb(audit?.gzip_bytes)} gzip (<ampkit-connect> with a rune), parts diagram ${kb(diagram?.gzip_bytes)} gzip (<ampkit-pay>, Show the parts); WebLN provider dist/ampkit-webln.js ${kb(webln?.gzip_bytes)} gzip; everything ${kb(page + (qr?.gzip_bytes ?? 0) + (audit?.gzip_bytes ?? 0) + (diagram?.gzip_bytes ?? 0))} gzip`,
  );
  if (e.firstRender) {
    line(
      `elements first render in Chromium (append to first updateComplete, median of ${e.rounds}): ${Object.entries(e.firstRender)
        .map(([tag, f]) => `<${tag}> ${fmt(f.median_ms, 3)} ms (p90 ${fmt(f.p90_ms, 3)})`)
        .join(', ')}`,
    );
  } else line('elements first render: no Chromium or no dist/ampkit-elements.js, skipped');
}

if (run('pay')) {
  const { benchPay } = await import('./pay.ts');
  results.planners = (await benchPay(line)).planners;
}

if (run('pay-engine')) {
  const { benchPayEngine } = await import('./pay-engine.ts');
  results.pay_engine = await benchPayEngine(line);
}

if (run('first-pay')) {
  const { benchFirstPay } = await import('./first-pay.ts');
  results.first_pay = await benchFirstPay(line);
}

await server.close();
if (json) console.log(JSON.stringify(results));
process.exit(0);
