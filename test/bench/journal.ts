/**
 * The journal benchmark, in the system Chromium: serves dist/bench/journal-bench.js from
 * 127.0.0.1 (IndexedDB needs an origin), runs it with puppeteer-core, returns the figures.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';

const TOTAL = 100_000;
const PER_HASH = 10;

export async function benchJournal() {
  const executablePath = findChromium();
  if (!executablePath) return undefined;
  const script = readFileSync('dist/bench/journal-bench.js');
  const server = createServer((req, res) => {
    if (req.url === '/journal-bench.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><script type="module" src="/journal-bench.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Filling 100k parts takes minutes on a busy machine: up to half an hour per call.
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'],
    protocolTimeout: 1_800_000,
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => typeof (globalThis as any).benchBookkeeping === 'function');
    const bookkeeping = await page.evaluate((n) => (globalThis as any).benchBookkeeping(n, 5), 500);
    const longPayment = await page.evaluate((n) => (globalThis as any).benchBookkeeping(n, n), 300);
    const raw = await page.evaluate((n) => (globalThis as any).benchRaw(n), 200);
    const list = await page.evaluate((t, p) => (globalThis as any).benchList(t, p), TOTAL, PER_HASH);
    return { bookkeeping, longPayment, raw, list, total: TOTAL } as {
      bookkeeping: { median_ms: number; p90_ms: number };
      longPayment: { median_ms: number; p90_ms: number };
      raw: { relaxed_ms: number; strict_ms: number; read_ms: number };
      list: {
        fill_s: number;
        median_ms: number;
        listpayments_all_ms: number;
        payments: number;
        paging: {
          first_page_ms: number;
          all_ms: number;
          raw_all_ms: number;
          raw_whole_ms: number;
          listed: number;
          page: number;
          heap_before_mb?: number;
          heap_peak_mb: number;
        };
      };
      total: number;
    };
  } finally {
    await browser.close();
    server.close();
  }
}
