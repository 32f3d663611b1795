/**
 * Lightning Node Connect, against issue #22's targets: the size of the LNC chunk the worker
 * loads on demand for an LND node (and of the pairing chunk a first pairing adds) against
 * 30 kB gzip, and of dist/ampkit-lnc.js against lnc-web; the
 * first pairing (scrypt included) and a KK reconnect in the system Chromium from the built
 * bundle, over the page's WebSocket to the test mailbox and litd stand-in on 127.0.0.1; and
 * unary call throughput through go-back-N against commando's request throughput, the
 * `requests` section's way (1000 small calls, sequential and 32 at a time, one warm-up, then
 * medians of seven, taking turns), twice: once with everything on this thread (the commando
 * server, the LNC mailbox and the litd stand-in alike), once with each party on a thread of its
 * own as on separate machines (lnc-peers.ts), so the clients' own cost shows. Figures are
 * printed, never asserted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sha256 } from '@noble/hashes/sha2.js';
import puppeteer from 'puppeteer-core';
import { MessageChannel, Worker } from 'node:worker_threads';
import { connect, type CommandoClient } from '@ampkit/wire';
import { connectLnc, decodeLnd, encodeLnd, lndMethods, type LncClient } from '@ampkit/wire/lnc';
import { NodeWebSocket } from '@ampkit/wire/node';
// The reply's encoder, for the test server (the client's table has only request encoders).
import { GetInfoResponse } from '../../packages/wire/src/lnc/lnd/encode/lightning.ts';
import { createRune } from '../../packages/wire/src/runes.ts';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import type { PeersData } from './lnc-peers.ts';
import { startTestMailbox, type TestMailbox } from '../wire/lnc-mailbox-server.ts';
import { startTestEndpoint, type TestEndpoint } from '../wire/lnc-test-endpoint.ts';

/** The same taking-turns timer as run.ts's `interleave`. */
type Interleave = (
  repeats: number,
  warmup: number,
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
) => Promise<{ ours: number[]; theirs: number[] }>;

interface Size {
  min_bytes: number;
  gzip_bytes: number;
}

export interface LncFigures {
  bundle: {
    ampkit_lnc?: Size;
    worker_lnc_chunk?: Size;
    worker_pairing_chunk?: Size;
    worker_lnd_adapter_chunk?: Size;
    lnc_web_js?: Size;
    lnc_web_wasm: string;
    target_gzip_bytes: number;
  };
  chromium?: {
    import_ms: number;
    first_pairing_ms: number[];
    first_pairing_median_ms: number;
    kk_reconnect_ms: number[];
    kk_reconnect_median_ms: number;
  };
  node_kk_reconnect_median_ms: number;
  throughput: Record<string, { lnc_per_s: number; commando_per_s: number; ratio: number; runs: number }>;
}

const GET_INFO = lndMethods.getInfo;
/** What the litd stand-in answers to GetInfo: about the size of the bench commando server's getinfo. */
const INFO = { identityPubkey: '02'.padEnd(66, 'ab'), alias: 'bench', numPeers: 0, blockHeight: 1 };
/** litd's go-back-N timing (lightning-node-connect's server defaults), not the tests' short one. */
const LITD_GBN = { handshakeTimeoutMs: 2000, resendTimeoutMs: 1000, pingMs: 5000, pongTimeoutMs: 3000 };

/** The worker thread's commando server's master secret, for the rune. */
const MASTER_SECRET = new Uint8Array(32).fill(0xa6);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function size(file: string): Size | undefined {
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  return { min_bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
}

let sessions = 0;
/** A fresh litd session (its own phrase: a phrase pairs once) answering GetInfo. */
function endpoint(mailbox: TestMailbox): Promise<TestEndpoint> {
  return startTestEndpoint({
    mailbox,
    entropy: sha256(new TextEncoder().encode(`lnc bench ${sessions++} ${Date.now()}`)),
    gbn: LITD_GBN,
    handlers: { [GET_INFO.path]: (_request, call) => call.send(encodeLnd(GetInfoResponse, INFO)) },
  });
}

async function getInfo(client: LncClient): Promise<string> {
  return decodeLnd(GET_INFO.output, await client.unary(GET_INFO.path, encodeLnd(GET_INFO.input, {})), GET_INFO.path).alias;
}

/**
 * Pairings and KK reconnects in Chromium, each pairing in a new tab that has just imported
 * dist/ampkit-lnc.js (as the worker would on demand), on a fresh session. Undefined without
 * Chromium or the bundle.
 */
async function inChromium(mailbox: TestMailbox, pairings: number, reconnects: number): Promise<LncFigures['chromium']> {
  const executablePath = findChromium();
  if (!executablePath || !existsSync('dist/ampkit-lnc.js')) return undefined;
  const http = createServer((req, res) => {
    if (req.url === '/ampkit-lnc.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync('dist/ampkit-lnc.js'));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>lnc bench</title>');
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const endpoints: TestEndpoint[] = [];
  const figures = { import_ms: [] as number[], first_pairing_ms: [] as number[], kk_reconnect_ms: [] as number[] };
  try {
    for (let i = 0; i < pairings; i++) {
      const litd = await endpoint(mailbox);
      endpoints.push(litd);
      const tab = await browser.newPage();
      await tab.goto(`${origin}/`);
      // Scripts as text: a function handed to the page would carry tsx's helpers along.
      figures.import_ms.push(
        (await tab.evaluate(`(async () => {
          const t = performance.now();
          globalThis.lnc = await import('/ampkit-lnc.js');
          return performance.now() - t;
        })()`)) as number,
      );
      const paired = (await tab.evaluate(`(async () => {
        const t = performance.now();
        const client = await lnc.connectLnc({ pairingPhrase: ${JSON.stringify(litd.phrase)}, mailbox: ${JSON.stringify(mailbox.url)}, reconnect: false });
        const ms = performance.now() - t;
        const m = lnc.lndMethods.getInfo;
        const alias = lnc.decodeLnd(m.output, await client.unary(m.path, lnc.encodeLnd(m.input, {})), m.path).alias;
        globalThis.keys = client.keys;
        client.close();
        return { ms, alias };
      })()`)) as { ms: number; alias: string };
      if (paired.alias !== INFO.alias) throw new Error(`GetInfo after the pairing answered ${paired.alias}`);
      figures.first_pairing_ms.push(paired.ms);
      if (i === 0) {
        for (let r = 0; r < reconnects; r++) {
          // litd listens again a moment after the FIN of the last client; time the connection, not that.
          await sleep(100);
          const again = (await tab.evaluate(`(async () => {
            const t = performance.now();
            const client = await lnc.connectLnc({ keys, reconnect: false });
            const ms = performance.now() - t;
            const m = lnc.lndMethods.getInfo;
            const alias = lnc.decodeLnd(m.output, await client.unary(m.path, lnc.encodeLnd(m.input, {})), m.path).alias;
            client.close();
            return { ms, alias };
          })()`)) as { ms: number; alias: string };
          if (again.alias !== INFO.alias) throw new Error(`GetInfo after a KK reconnect answered ${again.alias}`);
          figures.kk_reconnect_ms.push(again.ms);
        }
        if (!litd.handshakes.every((h, n) => h === (n === 0 ? 'XX' : 'KK'))) throw new Error(`handshakes ${litd.handshakes.join(',')}`);
      }
      await tab.close();
    }
  } finally {
    await browser.close();
    http.close();
    for (const e of endpoints) await e.close();
  }
  return {
    import_ms: median(figures.import_ms),
    first_pairing_ms: figures.first_pairing_ms,
    first_pairing_median_ms: median(figures.first_pairing_ms),
    kk_reconnect_ms: figures.kk_reconnect_ms,
    kk_reconnect_median_ms: median(figures.kk_reconnect_ms),
  };
}

/** Runs the section; `commando` connects a client to run.ts's commando server. */
export async function benchLnc(
  line: (text: string) => void,
  {
    commando,
    interleave,
    pool,
  }: {
    commando: () => Promise<CommandoClient>;
    interleave: Interleave;
    /** run.ts's pool: `total` calls, `width` at a time. */
    pool: (total: number, width: number, call: () => Promise<unknown>) => Promise<void>;
  },
): Promise<LncFigures> {
  const fmt = (n: number | undefined, digits = 1) => (n === undefined ? 'n/a' : n.toFixed(digits));
  const kb = (n?: number) => (n === undefined ? 'n/a' : `${fmt(n / 1000)} kB`);

  // (a) Sizes. lnc-web's dist/index.js is one self-contained webpack bundle (lnc-core, crypto-js
  // and Go's wasm_exec inside, nothing required or fetched as a chunk): what its page loads as JS.
  // Its WASM, the Go LNC client, is not in the npm package: wasmManager fetches
  // https://lightning.engineering/lnc-v<version>.wasm at run time, so it cannot be weighed here.
  const ours = size('dist/ampkit-lnc.js');
  // What the worker fetches on demand for an LND node (createAmpkit({ lnc })): the LNC chunk
  // and the LND adapter for every connection, the pairing chunk (word list, scrypt) only for a
  // first pairing. The rest (noble, the wire's basics) the worker already holds for commando.
  const chunk = size('dist/ampkit-worker-lnc.js');
  const pairingChunk = size('dist/ampkit-worker-lnc-pairing.js');
  const adapterChunk = size('dist/ampkit-worker-lnd.js');
  const lncWeb = size('node_modules/@lightninglabs/lnc-web/dist/index.js');
  const lncWebVersion = JSON.parse(readFileSync('node_modules/@lightninglabs/lnc-web/package.json', 'utf8')).version as string;
  const wasm = `not in node_modules: fetched at run time from https://lightning.engineering/lnc-v${lncWebVersion}.wasm`;
  const figures: LncFigures = {
    bundle: {
      ampkit_lnc: ours,
      worker_lnc_chunk: chunk,
      worker_pairing_chunk: pairingChunk,
      worker_lnd_adapter_chunk: adapterChunk,
      lnc_web_js: lncWeb,
      lnc_web_wasm: wasm,
      target_gzip_bytes: 30_000,
    },
    node_kk_reconnect_median_ms: NaN,
    throughput: {},
  };
  const met = (s?: Size) =>
    s ? (s.gzip_bytes <= 30_000 ? 'met' : 'NOT met') : 'not built: npm run build, then rollup -c rollup.bench.config.mjs';
  line(
    `lnc on demand in the worker: dist/ampkit-worker-lnc.js ${kb(chunk?.min_bytes)} min, ${(chunk?.gzip_bytes ?? NaN).toLocaleString('en')} B gzip (every connection; target ≤ 30 kB gzip: ${met(chunk)}); the LND adapter dist/ampkit-worker-lnd.js ${kb(adapterChunk?.min_bytes)} min, ${kb(adapterChunk?.gzip_bytes)} gzip; and for a first pairing only dist/ampkit-worker-lnc-pairing.js ${kb(pairingChunk?.min_bytes)} min, ${kb(pairingChunk?.gzip_bytes)} gzip (word list and scrypt)`,
  );
  line(
    `lnc standalone, dist/ampkit-lnc.js (everything, noble included): ${kb(ours?.min_bytes)} min, ${kb(ours?.gzip_bytes)} gzip; @lightninglabs/lnc-web ${lncWebVersion} JS (dist/index.js, self-contained): ${kb(lncWeb?.min_bytes)} min, ${kb(lncWeb?.gzip_bytes)} gzip${ours && lncWeb ? ` → ours is ${fmt(ours.gzip_bytes / lncWeb.gzip_bytes, 2)} of its JS gzip` : ''}${chunk && lncWeb ? `, the worker's LNC chunk ${fmt(chunk.gzip_bytes / lncWeb.gzip_bytes, 2)}` : ''}; its WASM ${wasm}`,
  );

  /** 1000 unary GetInfo calls against commando's getinfo, one at a time and 32 at a time, taking turns. */
  async function throughput(lnc: LncClient, cln: CommandoClient, where: string, suffix: string): Promise<void> {
    const count = 1000;
    const repeats = 7;
    const rate = async (f: () => Promise<unknown>, width: number) => {
      const t = performance.now();
      await pool(count, width, f);
      return count / ((performance.now() - t) / 1000);
    };
    for (const width of [1, 32]) {
      const { ours: l, theirs: c } = await interleave(
        repeats,
        1,
        () => rate(() => getInfo(lnc), width),
        () => rate(() => cln.request('getinfo'), width),
      );
      const name = (width === 1 ? 'sequential' : 'concurrent_32') + suffix;
      figures.throughput[name] = { lnc_per_s: median(l), commando_per_s: median(c), ratio: median(l) / median(c), runs: repeats };
      line(
        `lnc ${count.toLocaleString('en')} unary GetInfo calls ${width === 1 ? 'sequential' : `${width} at a time`} through go-back-N and the mailbox (${where}; protobuf encode+decode; 1 warm-up, then median of ${repeats}, taking turns with commando's getinfo): LNC ${fmt(median(l), 0)}/s, commando ${fmt(median(c), 0)}/s → ${fmt(median(l) / median(c), 2)}x (target ≥ 0.5x)`,
      );
    }
  }

  const mailbox = await startTestMailbox();
  try {
    // (b), (c) in Chromium.
    const chromium = await inChromium(mailbox, 5, 15);
    figures.chromium = chromium;
    if (chromium) {
      line(
        `lnc first pairing in Chromium (phrase to open: scrypt, mailbox, go-back-N, XX; a new tab and session each, median of ${chromium.first_pairing_ms.length}): ${fmt(chromium.first_pairing_median_ms, 0)} ms (each: ${chromium.first_pairing_ms.map((ms) => fmt(ms, 0)).join(', ')}) (target < 2000 ms); importing dist/ampkit-lnc.js first: ${fmt(chromium.import_ms)} ms`,
      );
      line(
        `lnc KK reconnect in Chromium on loopback (stored keys to open, median of ${chromium.kk_reconnect_ms.length}): ${fmt(chromium.kk_reconnect_median_ms)} ms (p90 ${fmt([...chromium.kk_reconnect_ms].sort((a, b) => a - b)[Math.ceil(chromium.kk_reconnect_ms.length * 0.9) - 1])}) (target < 200 ms)`,
      );
    } else line('lnc pairing in Chromium: no Chromium or no dist/ampkit-lnc.js (npm run build), skipped');

    // (c) again in Node, and (d): the client over NodeWebSocket to the same mailbox.
    const litd = await endpoint(mailbox);
    try {
      const common = { mailbox: mailbox.url, WebSocket: NodeWebSocket, reconnect: false as const };
      const first = await connectLnc({ ...common, pairingPhrase: litd.phrase });
      const keys = first.keys!;
      first.close();
      const kk: number[] = [];
      for (let r = 0; r < 15; r++) {
        await sleep(100);
        const t = performance.now();
        const client = await connectLnc({ ...common, keys });
        kk.push(performance.now() - t);
        await getInfo(client);
        client.close();
      }
      figures.node_kk_reconnect_median_ms = median(kk);
      line(`lnc KK reconnect in Node on loopback (median of ${kk.length}): ${fmt(median(kk))} ms`);

      await sleep(100);
      const lnc = await connectLnc({ ...common, keys });
      const cln = await commando();
      try {
        await throughput(lnc, cln, 'all in this thread: the clients, the mailbox, the litd stand-in and the commando server', '');
      } finally {
        lnc.close();
        cln.close();
      }
    } finally {
      await litd.close();
    }
  } finally {
    await mailbox.close();
  }

  // (d) again with each party on a thread of its own: the mailbox, the node (litd stand-in
  // and commando server), and the clients on this one.
  const { port1, port2 } = new MessageChannel();
  const done = new SharedArrayBuffer(4);
  const entry = new URL('./lnc-peers.mjs', import.meta.url);
  const mailboxThread = new Worker(entry, {
    workerData: { role: 'mailbox', link: port1, done } satisfies PeersData,
    transferList: [port1],
  });
  const threads = [mailboxThread];
  const reply = (thread: Worker, type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type !== type) return;
        thread.off('message', onMessage);
        resolve(message);
      };
      thread.on('message', onMessage);
      thread.once('error', reject);
    });
  try {
    const { mailbox: mailboxUrl } = (await reply(mailboxThread, 'ready')) as { mailbox: string };
    const nodeThread = new Worker(entry, {
      workerData: {
        role: 'node',
        link: port2,
        done,
        mailbox: mailboxUrl,
        privateKey: new Uint8Array(32).fill(0x5b),
        masterSecret: MASTER_SECRET,
        info: INFO,
        gbn: LITD_GBN,
      } satisfies PeersData,
      transferList: [port2],
    });
    threads.push(nodeThread);
    const { commando: server } = (await reply(nodeThread, 'ready')) as { commando: { nodeId: string; url: string } };
    nodeThread.postMessage({ type: 'session' });
    const { phrase } = (await reply(nodeThread, 'session')) as { phrase: string };
    const lnc = await connectLnc({ pairingPhrase: phrase, mailbox: mailboxUrl, WebSocket: NodeWebSocket, reconnect: false });
    const cln = await connect({
      ...server,
      rune: createRune({ masterSecret: MASTER_SECRET, uniqueId: 0 }),
      WebSocket: NodeWebSocket,
      keepaliveInterval: 0,
    });
    try {
      await throughput(
        lnc,
        cln,
        'each party on a thread of its own: the clients here, the mailbox on one worker thread, the litd stand-in and the commando server on another',
        '_threads',
      );
    } finally {
      lnc.close();
      cln.close();
    }
    for (const thread of [nodeThread, mailboxThread]) {
      thread.postMessage({ type: 'close' });
      await reply(thread, 'closed');
    }
  } finally {
    for (const thread of threads) await thread.terminate();
  }
  return figures;
}
