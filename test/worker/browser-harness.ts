/**
 * Chromium against the built bundles: a simnet (the demo topology), a static server on
 * two origins of 127.0.0.1 (pages with the Content-Security-Policy a test asks for; dist/
 * with CORS, as a CDN serves it), and a headless system Chromium driven by puppeteer-core.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { decodeBolt11 } from '../../packages/wire/src/index.ts';
import { harness, type Harness } from '../simnet/harness.ts';
import type { SimnetOptions } from '../../packages/simnet/src/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = join(root, 'test', 'worker', 'pages');
const dist = join(root, 'dist');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.ts': 'text/plain' };

function newest(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }, 0);
}

/** Builds the bundles unless dist/ is newer than every source of the packages (npm test builds first). */
export function ensureBuilt(): void {
  const bundle = join(dist, 'ampkit-worker.js');
  const sources = Math.max(
    ...['wire', 'core', 'worker', 'elements'].map((p) => newest(join(root, 'packages', p, 'src'))),
    statSync(join(root, 'rollup.config.mjs')).mtimeMs,
  );
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= sources && existsSync(join(dist, 'ampkit.js'))) return;
  const build = spawnSync(process.execPath, ['node_modules/rollup/dist/bin/rollup', '-c', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`the build failed (exit ${build.status})`);
}

/** Serves test/worker/pages at / and dist/ at /dist/; `?csp=` sets the page's Content-Security-Policy. */
function staticServer(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [base, rel] = url.pathname.startsWith('/dist/') ? [dist, url.pathname.slice('/dist/'.length)] : [pages, url.pathname.slice(1)];
    const file = normalize(join(base, decodeURIComponent(rel)));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    };
    // dist/ is served as a CDN serves it: to any origin, with CORS (module scripts need it).
    if (base === dist) headers['access-control-allow-origin'] = '*';
    const csp = url.searchParams.get('csp');
    if (csp && extname(file) === '.html') headers['content-security-policy'] = csp;
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface NodeAccess {
  nodeId: string;
  url: string;
  rune: string;
}

/** A tab: its page, and what it printed. */
export interface Tab {
  page: Page;
  warnings: string[];
  errors: string[];
}

/** Chromium and the page servers, for any network. */
export interface Browsing {
  /** The pages' origin. */
  origin: string;
  /** A second origin serving the same files, as a CDN would serve ampkit. */
  cdn: string;
  browser: Browser;
  /** Opens client.html in a new tab (query: `csp`, `bundle`) and waits for the bundle to load. */
  tab(query?: Record<string, string>): Promise<Tab>;
  /** Clears every origin's IndexedDB databases, so each test starts with an empty journal. */
  clearJournals(tab: Tab): Promise<void>;
  stop(): Promise<void>;
}

export interface BrowserHarness extends Harness, Omit<Browsing, 'stop'> {
  /** What `createAmpkit` needs for a simnet node (its full rune unless `readonly`). */
  access(alias: string, readonly?: boolean): NodeAccess;
}

/** Builds the bundles if needed, serves the test pages and dist/ on two origins, and starts Chromium. */
export async function startBrowsing(): Promise<Browsing> {
  ensureBuilt();
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium: apt-get install -y chromium, or set CHROME_PATH');
  const servers = [staticServer(), staticServer()];
  const [origin, cdn] = (await Promise.all(servers.map(listen))) as [string, string];
  const browser = await puppeteer.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  return {
    origin,
    cdn,
    browser,
    async tab(query = {}) {
      const page = await browser.newPage();
      const tab: Tab = { page, warnings: [], errors: [] };
      page.on('console', (message) => {
        if (message.type() === 'warn') tab.warnings.push(message.text());
        if (message.type() === 'error') tab.errors.push(message.text());
      });
      page.on('pageerror', (error) => tab.errors.push(String(error)));
      await page.goto(`${origin}/client.html?${new URLSearchParams(query)}`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'yes', { timeout: 20_000 });
      return tab;
    },
    async clearJournals(tab) {
      await tab.page.evaluate(async () => {
        for (const { name } of await indexedDB.databases()) {
          await new Promise((resolve, reject) => {
            const request = indexedDB.deleteDatabase(name!);
            request.onsuccess = resolve;
            request.onerror = reject;
            request.onblocked = resolve;
          });
        }
      });
    },
    async stop() {
      await browser.close();
      for (const server of servers) server.close();
    },
  };
}

export async function browserHarness(options: SimnetOptions = {}): Promise<BrowserHarness> {
  const browsing = await startBrowsing();
  let h: Harness;
  try {
    h = await harness({ hopDelay: 2, ...options });
  } catch (error) {
    await browsing.stop();
    throw error;
  }
  return {
    ...h,
    ...browsing,
    access(alias, readonly = false) {
      const info = h.simnet.nodes.find((n) => n.alias === alias)!;
      return { nodeId: info.id, url: info.ws_url, rune: readonly ? info.readonly_rune : info.rune };
    },
    async stop() {
      await browsing.stop();
      await h.stop();
    },
  };
}

/**
 * alice, bob and carol, each ready to send one part of `bolt11` (whose total is
 * `total_msat`) straight over its channel to the shop: `pay(i, amount)` sends payer i's.
 * `close()` closes their connections.
 */
export async function directPayers(
  h: BrowserHarness,
  bolt11: string,
  total_msat: number,
): Promise<{ pay(i: number, amount: number): Promise<unknown>; close(): void }> {
  // The final CLTV the invoice asks for: 18 for the node's own, 80 for the hold plugin's.
  const { payment_hash, payment_secret, min_final_cltv_expiry } = decodeBolt11(bolt11);
  const aliases = ['alice', 'bob', 'carol'];
  const payers = await Promise.all(aliases.map((a) => h.client(a)));
  const shop = h.simnet.node('shop').node;
  return {
    pay(i, amount) {
      const p = h.simnet.node(aliases[i]!).node;
      const channel = p.channels.find((c) => c.other(p) === shop)!;
      return payers[i]!.request('sendpay', {
        route: [{ id: shop.id, channel: channel.scid, direction: channel.side(p), amount_msat: amount, delay: min_final_cltv_expiry }],
        payment_hash,
        payment_secret,
        amount_msat: total_msat,
        partid: 1,
        groupid: 1,
      });
    },
    close: () => payers.forEach((p) => p.close()),
  };
}
