/**
 * `npm run bench -- first-pay` (issue #21): what a visitor waits for, in headless Chromium
 * on the built bundles (the engine in the worker, the IndexedDB journal), against simnet's
 * mainnet graph, paying 1,000 sat invoices from the `wallet` to the `shop`:
 *
 * - the first `pay()` in a fresh profile (a new Chromium with its own temporary
 *   user-data-dir and a new origin: nothing cached) with each planner: `'auto'` (the
 *   default: the node plans until the local graph is in memory, the graph loads after the
 *   payment), `'local'` (the payment waits for the graph) and `'node'`;
 * - a `pay()` in a new tab of the same profile once the first one is done (the local
 *   planner's graph cached beside the journal);
 * - the worker's JS heap after each, before and after a garbage collection (CDP on the
 *   worker target);
 * - which planner planned each part, when the parts say so.
 *
 * The planners alternate which goes first from one repeat to the next, each repeat with its
 * own profile and new invoices. Timings are printed with their targets, never asserted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { DEFAULT_GRAPH } from '../../packages/simnet/src/index.ts';
import { harness } from '../simnet/harness.ts';
import { startBrowsing, type NodeAccess, type Tab } from '../worker/browser-harness.ts';

type Planner = 'auto' | 'local' | 'node';
const PLANNERS: readonly Planner[] = ['auto', 'local', 'node'];
const AMOUNT_SAT = 1_000;
/** How long the first tab may take to leave the local planner's graph in IndexedDB. */
const CACHE_WAIT_MS = 120_000;

/** One measured `pay()`. */
export interface MeasuredPay {
  /** From the `pay()` call to its resolved PayResult, in the page. */
  pay_ms: number;
  /** `createAmpkit()` before it (the worker started, the node connected), not in `pay_ms`. */
  create_ms: number;
  status: string;
  attempts: number;
  kept: number;
  fee_msat: number;
  /** Parts per planner, from the parts' `planner` field; empty when the parts do not say. */
  planned_by: Record<string, number>;
  failreason?: string;
}

/** The worker's JS heap (Runtime.getHeapUsage), in MB. */
export interface WorkerHeap {
  /** Right after the PayResult arrived. */
  after_pay_MB: number;
  /** Once the graph is in the cache (the first local pay only waits for it; else as after_pay). */
  loaded_MB: number;
  /** The most seen meanwhile, sampled every 50 ms (auto's first pay: while the graph loads). */
  peak_MB: number;
  /** Then after HeapProfiler.collectGarbage. */
  after_gc_MB: number;
}

interface ProfileRun {
  first: MeasuredPay;
  cached: MeasuredPay;
  heap_first?: WorkerHeap;
  heap_cached?: WorkerHeap;
  /** The graph was in the first tab's IndexedDB before the second tab opened. */
  graph_cached: boolean;
  /** What the pages reported as errors (console errors, uncaught exceptions, failed loads). */
  page_errors: string[];
}

export interface FirstPayFigures {
  repeats: number;
  amount_sat: number;
  graph: { nodes: number; channels: number };
  /** Medians over the repeats, in seconds; `ratio` is auto (the default) / node, `local_ratio` local / node. */
  first_pay_s: Record<Planner, number> & { ratio: number; local_ratio: number; target: 1.5 };
  cached_pay_s: Record<Planner, number> & { ratio: number; local_ratio: number; target: 1.2 };
  /** Medians over the repeats, in MB. */
  worker_heap_MB: Record<Planner, { first?: WorkerHeap; cached?: WorkerHeap }> & { target: 25 };
  runs: Record<Planner, ProfileRun[]>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

function medianHeap(heaps: (WorkerHeap | undefined)[]): WorkerHeap | undefined {
  const known = heaps.filter((h): h is WorkerHeap => h !== undefined);
  if (known.length === 0) return undefined;
  return {
    after_pay_MB: median(known.map((h) => h.after_pay_MB)),
    loaded_MB: median(known.map((h) => h.loaded_MB)),
    peak_MB: median(known.map((h) => h.peak_MB)),
    after_gc_MB: median(known.map((h) => h.after_gc_MB)),
  };
}

/** Starts a client in the tab (kept on `window.benchClient`) and pays `bolt11` with `planner`. */
function payInTab(tab: Tab, access: NodeAccess, bolt11: string, planner: Planner): Promise<MeasuredPay> {
  return tab.page.evaluate(
    async (access, bolt11, planner) => {
      const w = window as any;
      let t = performance.now();
      const client = await w.ampkit.createAmpkit({ ...access });
      const create_ms = performance.now() - t;
      w.benchClient = client;
      if (client.mode !== 'worker') throw new Error(`the engine runs in the ${client.mode}, not in a worker`);
      // Parts seen in progress too, in case the result's list ever leaves some out. (No named
      // functions in here: tsx would wrap them in a helper the page does not have.)
      const seen = new Map<string, string>();
      const off = client.on('pay-progress', (progress: any) => {
        for (const p of progress.parts) if (typeof p.planner === 'string') seen.set(`${p.groupid}/${p.partid}`, p.planner);
      });
      t = performance.now();
      const result = await client.pay({ bolt11, planner });
      const pay_ms = performance.now() - t;
      off();
      for (const p of result.parts) if (typeof p.planner === 'string') seen.set(`${p.groupid}/${p.partid}`, p.planner);
      const planned_by: Record<string, number> = {};
      for (const name of seen.values()) planned_by[name] = (planned_by[name] ?? 0) + 1;
      return {
        pay_ms,
        create_ms,
        status: result.status,
        attempts: result.attempts,
        kept: result.parts.filter((p: any) => p.status === 'complete').length,
        fee_msat: result.fee_msat,
        planned_by,
        ...(result.failreason ? { failreason: String(result.failreason) } : {}),
      };
    },
    access,
    bolt11,
    planner,
  );
}

/** The tab's engine worker, once it is there. */
async function engineWorker(tab: Tab) {
  for (let i = 0; i < 100; i++) {
    const worker = tab.page.workers().find((w) => w.url().includes('ampkit-worker'));
    if (worker) return worker;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

/** Whether the local planner's graph is in the tab's journal database (`ampkit:<node id>`, store `cache`). */
function graphCached(tab: Tab, nodeId: string): Promise<boolean> {
  return tab.page.evaluate(async (name) => {
    // Opening a database that does not exist would create an empty one the engine cannot upgrade.
    if (!(await indexedDB.databases()).some((d) => d.name === name)) return false;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains('cache')) return false;
      const count = await new Promise<number>((resolve, reject) => {
        const request = db.transaction('cache').objectStore('cache').count('graph');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      return count > 0;
    } finally {
      db.close();
    }
  }, `ampkit:${nodeId}`);
}

/** The worker's heap now, then (after `loaded`) before and after a collection. */
async function workerHeap(tab: Tab, loaded?: () => Promise<unknown>): Promise<WorkerHeap | undefined> {
  const worker = await engineWorker(tab);
  if (!worker) return undefined;
  const used = async () => ((await worker.client.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize / 1e6;
  const after_pay_MB = await used();
  let peak_MB = after_pay_MB;
  if (loaded) {
    let waiting = true;
    const sampling = (async () => {
      while (waiting) {
        peak_MB = Math.max(peak_MB, await used().catch(() => 0));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await loaded().finally(() => (waiting = false));
    await sampling;
  }
  const loaded_MB = loaded ? await used() : after_pay_MB;
  peak_MB = Math.max(peak_MB, loaded_MB);
  await worker.client.send('HeapProfiler.collectGarbage');
  return { after_pay_MB, loaded_MB, peak_MB, after_gc_MB: await used() };
}

async function closeTab(tab: Tab): Promise<void> {
  await tab.page.evaluate(() => (window as any).benchClient?.close());
  await tab.page.close();
}

/** Opens the test page (test/worker/pages/client.html, which loads /dist/ampkit.js) in a new tab, as Browsing.tab does. */
async function openTab(browser: Browser, origin: string): Promise<Tab> {
  const page = await browser.newPage();
  const tab: Tab = { page, warnings: [], errors: [] };
  // A failed load is told by its response, with the address (the console's line has none); no favicon is served.
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) tab.errors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) tab.errors.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => tab.errors.push(String(error)));
  await page.goto(`${origin}/client.html`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'yes', { timeout: 20_000 });
  return tab;
}

/**
 * One fresh profile: a Chromium of its own on a new temporary user-data-dir, a first pay()
 * in one tab, then a pay() in a new tab of the same profile. (A browser per profile rather
 * than startBrowsing per profile: that one may rebuild dist/ between profiles when a source
 * changed, and the profiles would not run the same code.)
 */
async function profileRun(origin: string, access: NodeAccess, invoice: () => Promise<string>, planner: Planner): Promise<ProfileRun> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'ampkit-first-pay-'));
  const browser = await puppeteer.launch({ executablePath: findChromium()!, args: CHROMIUM_ARGS, headless: true, userDataDir });
  try {
    const one = await openTab(browser, origin);
    const first = await payInTab(one, access, await invoice(), planner);
    let graph_cached = false;
    const heap_first = await workerHeap(one, async () => {
      if (planner === 'node') return (graph_cached = await graphCached(one, access.nodeId));
      const until = Date.now() + CACHE_WAIT_MS;
      while (!(graph_cached = await graphCached(one, access.nodeId)) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    });
    await closeTab(one);
    const two = await openTab(browser, origin);
    const cached = await payInTab(two, access, await invoice(), planner);
    const heap_cached = await workerHeap(two);
    await closeTab(two);
    const page_errors = [...one.errors, ...two.errors];
    return { first, cached, graph_cached, page_errors, ...(heap_first ? { heap_first } : {}), ...(heap_cached ? { heap_cached } : {}) };
  } finally {
    await browser.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

function describe(pay: MeasuredPay): string {
  const by = Object.entries(pay.planned_by);
  return (
    `${pay.status}, ${pay.attempts} parts sent, ${pay.kept} kept, fee ${pay.fee_msat} msat, pay() ${fmt(pay.pay_ms / 1000)} s ` +
    `(createAmpkit ${fmt(pay.create_ms / 1000)} s before it); planned by: ${by.length ? by.map(([p, n]) => `${p} ×${n}`).join(', ') : 'n/a'}` +
    (pay.failreason ? ` (${pay.failreason.slice(0, 120)})` : '')
  );
}

/**
 * Runs the section and prints its lines through `line`; resolves with the figures, or
 * undefined when there is no Chromium or no mainnet snapshot. Repeats: `FIRST_PAY_N` (3).
 */
export async function benchFirstPay(line: (text: string) => void): Promise<FirstPayFigures | undefined> {
  if (!findChromium()) {
    line('first-pay: no Chromium found, skipped');
    return undefined;
  }
  if (!existsSync(DEFAULT_GRAPH)) {
    line(`first-pay: ${DEFAULT_GRAPH} not found, skipped`);
    return undefined;
  }
  const repeats = Math.max(1, Number(process.env.FIRST_PAY_N ?? 3) || 3);
  // Simnet's defaults, as `ampkit-simnet --topology graph` runs (10 ms per hop each way).
  const loadStart = performance.now();
  const h = await harness({ topology: 'graph', seed: 21, hopDelay: 10 });
  const graph = { nodes: h.simnet.network.nodes.size, channels: h.simnet.network.channels.size };
  line(
    `first-pay: simnet --topology graph, ${graph.nodes} nodes, ${graph.channels} channels, up in ${fmt((performance.now() - loadStart) / 1000, 1)} s; ` +
      `${repeats} fresh profiles per planner, ${AMOUNT_SAT.toLocaleString('en')} sat invoices from wallet to shop`,
  );
  const shop = await h.client('shop');
  const info = h.simnet.nodes.find((n) => n.alias === 'wallet')!;
  const access: NodeAccess = { nodeId: info.id, url: info.ws_url, rune: info.rune };
  let label = 0;
  const invoice = async () =>
    (await shop.request('invoice', { amount_msat: AMOUNT_SAT * 1000, label: `first-pay-${label++}`, description: 'first-pay bench' }))
      .bolt11 as string;
  const runs: Record<Planner, ProfileRun[]> = { auto: [], local: [], node: [] };
  // Once: builds dist/ if a source is newer, and serves the test pages and dist/ on 127.0.0.1.
  const browsing = await startBrowsing();
  try {
    for (let r = 0; r < repeats; r++) {
      // A different planner goes first in each repeat.
      for (const planner of PLANNERS.map((_, i) => PLANNERS[(i + r) % PLANNERS.length]!)) {
        const run = await profileRun(browsing.origin, access, invoice, planner);
        runs[planner].push(run);
        line(`  repeat ${r + 1}, ${planner.padEnd(5)} first pay(), fresh profile: ${describe(run.first)}`);
        line(
          `  repeat ${r + 1}, ${planner.padEnd(5)} pay() in a new tab (local graph in IndexedDB: ${run.graph_cached ? 'yes' : 'no'}): ${describe(run.cached)}`,
        );
        if (run.page_errors.length > 0) line(`  repeat ${r + 1}, ${planner} page errors: ${run.page_errors.join('; ').slice(0, 400)}`);
      }
    }
  } finally {
    await browsing.stop();
    shop.close();
    await h.stop();
  }

  const seconds = (planner: Planner, which: 'first' | 'cached') => median(runs[planner].map((run) => run[which].pay_ms / 1000));
  const first = { auto: seconds('auto', 'first'), local: seconds('local', 'first'), node: seconds('node', 'first') };
  const cached = { auto: seconds('auto', 'cached'), local: seconds('local', 'cached'), node: seconds('node', 'cached') };
  const figures: FirstPayFigures = {
    repeats,
    amount_sat: AMOUNT_SAT,
    graph,
    first_pay_s: { ...first, ratio: first.auto / first.node, local_ratio: first.local / first.node, target: 1.5 },
    cached_pay_s: { ...cached, ratio: cached.auto / cached.node, local_ratio: cached.local / cached.node, target: 1.2 },
    worker_heap_MB: {
      auto: { first: medianHeap(runs.auto.map((r) => r.heap_first)), cached: medianHeap(runs.auto.map((r) => r.heap_cached)) },
      local: { first: medianHeap(runs.local.map((r) => r.heap_first)), cached: medianHeap(runs.local.map((r) => r.heap_cached)) },
      node: { first: medianHeap(runs.node.map((r) => r.heap_first)), cached: medianHeap(runs.node.map((r) => r.heap_cached)) },
      target: 25,
    },
    runs,
  };
  const failed = PLANNERS.flatMap((p) => runs[p].flatMap((run) => [run.first, run.cached])).filter((pay) => pay.status !== 'complete');
  line(
    `first pay() in a fresh profile (median of ${repeats}): auto (the default) ${fmt(first.auto)} s, node ${fmt(first.node)} s → ${fmt(first.auto / first.node, 2)}x (target ≤ 1.5x); local (waits for the graph) ${fmt(first.local)} s → ${fmt(first.local / first.node, 1)}x`,
  );
  line(
    `pay() in a new tab with the graph cached (median of ${repeats}): auto ${fmt(cached.auto)} s, node ${fmt(cached.node)} s → ${fmt(cached.auto / cached.node, 2)}x (target ≤ 1.2x); local ${fmt(cached.local)} s → ${fmt(cached.local / cached.node, 2)}x`,
  );
  const heap = (h?: WorkerHeap) =>
    h
      ? `${fmt(h.after_pay_MB, 1)} MB as the PayResult arrived, ${h.peak_MB > h.loaded_MB ? `${fmt(h.peak_MB, 1)} MB at most while the graph loaded, ` : ''}${fmt(h.loaded_MB, 1)} MB before GC, ${fmt(h.after_gc_MB, 1)} MB after GC`
      : 'n/a';
  const heaps = figures.worker_heap_MB;
  const loaded = heaps.local.first;
  line(
    `worker heap after the first pay() (median; local measured once its graph was in IndexedDB): local ${heap(loaded)}; node ${heap(heaps.node.first)} ` +
      `→ local with the whole graph loaded ${fmt((loaded?.loaded_MB ?? NaN) / 25)}x the target before GC, ${fmt((loaded?.after_gc_MB ?? NaN) / 25)}x after (target ≤ 25 MB)`,
  );
  line(`worker heap after the first pay() with auto, the graph loaded after it: ${heap(heaps.auto.first)}`);
  line(
    `worker heap after the pay() in a new tab (median): auto ${heap(heaps.auto.cached)}; local ${heap(heaps.local.cached)}; node ${heap(heaps.node.cached)}`,
  );
  if (failed.length > 0)
    line(`first-pay: ${failed.length} of ${repeats * 2 * PLANNERS.length} payments did not complete (their times are in the medians)`);
  const uncached = [...runs.auto, ...runs.local].filter((run) => !run.graph_cached).length;
  if (uncached > 0)
    line(`first-pay: in ${uncached} of ${repeats} local profiles the graph was not in IndexedDB within ${CACHE_WAIT_MS / 1000} s`);
  return figures;
}
