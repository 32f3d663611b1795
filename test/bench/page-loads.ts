/**
 * Whether each page the bundle section weighs would load in a browser: a page that weighs
 * little because it cannot run is no fair measure. Serves the built pages from 127.0.0.1,
 * opens each in the system Chromium with puppeteer-core and checks it did its job: ampkit's
 * and lnmessage's pages call getinfo on the bench's own commando server over a real
 * WebSocket (lnmessage's handshake needs its `buffer` polyfill in the page); the
 * bitcoin-connect page defines its elements and exposes its payment modal. A page fails if
 * it throws while loading or the check fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';

/** What getinfo needs: the bench server's node and a rune it takes. */
export interface BenchNode {
  nodeId: string;
  url: string;
  port: number;
  rune: string;
}

/** One page's verdict: loaded and did its job, or why not. */
export interface PageLoad {
  loads: boolean;
  detail: string;
}

const PAGES = ['connect-only', 'lnmessage-only', 'bitcoin-connect-page'] as const;
export type PageName = (typeof PAGES)[number];

/**
 * Loads each built page in Chromium; undefined if there is no Chromium. A page whose
 * bundle is not built is reported as not loading.
 */
export async function checkPagesLoad(node: BenchNode): Promise<Record<PageName, PageLoad> | undefined> {
  const executablePath = findChromium();
  if (!executablePath) return undefined;
  const http = createServer((req, res) => {
    const name = PAGES.find((page) => req.url === `/${page}.js`);
    if (name && existsSync(`dist/bench/${name}.js`)) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(`dist/bench/${name}.js`));
      return;
    }
    const page = PAGES.find((page) => req.url === `/${page}.html`);
    if (page) {
      // The page imports its bundle, does its job and leaves the verdict in `verdict`.
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><script type="module">${pageScript(page, node)}</script>`);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const verdicts = {} as Record<PageName, PageLoad>;
  try {
    for (const name of PAGES) {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error instanceof Error ? error.message : String(error)));
      try {
        await tab.goto(`${origin}/${name}.html`);
        await tab.waitForFunction('globalThis.verdict !== undefined', { timeout: 20_000 });
        const verdict = (await tab.evaluate('globalThis.verdict')) as string;
        if (!verdict.startsWith('yes: ')) throw new Error(verdict);
        if (errors.length > 0) throw new Error(`page error: ${errors[0]}`);
        verdicts[name] = { loads: true, detail: verdict.slice(5) };
      } catch (error) {
        verdicts[name] = { loads: false, detail: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
      } finally {
        await tab.close();
      }
    }
  } finally {
    await browser.close();
    http.close();
  }
  return verdicts;
}

/**
 * The page's script, as text (a function handed to the page would carry the code
 * transform's helpers along): import the bundle, do the job the page is for, and set
 * `verdict` to 'yes: <what it did>' or the reason it failed.
 */
function pageScript(name: PageName, node: BenchNode): string {
  const job: Record<PageName, string> = {
    'connect-only': `const info = await page.getinfo(${JSON.stringify(node.nodeId)}, ${JSON.stringify(node.url)}, ${JSON.stringify(node.rune)});
      if (info?.id !== 'bench') throw new Error('getinfo answered ' + JSON.stringify(info));
      return 'getinfo answered over a WebSocket';`,
    'lnmessage-only': `const info = await page.getinfo(${JSON.stringify(node.nodeId)}, '127.0.0.1', ${node.port}, ${JSON.stringify(node.rune)});
      if (info?.id !== 'bench') throw new Error('getinfo answered ' + JSON.stringify(info));
      return 'getinfo answered over a WebSocket';`,
    'bitcoin-connect-page': `if (typeof globalThis.bench?.launchPaymentModal !== 'function') throw new Error('no launchPaymentModal');
      if (!customElements.get('bc-button')) throw new Error('<bc-button> not defined');
      return '<bc-button> defined, launchPaymentModal present';`,
  };
  return `
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10000));
    const run = async () => {
      const page = await import('/${name}.js').catch((e) => { throw new Error('import failed: ' + e); });
      ${job[name]}
    };
    Promise.race([run(), timeout]).then((what) => { globalThis.verdict = 'yes: ' + what; }, (e) => { globalThis.verdict = String(e?.message ?? e); });`;
}
