/**
 * The elements' benchmark: the gzip size of what a page loads (dist/ampkit.js +
 * dist/ampkit-elements.js, and the chunks loaded on demand), and each element's first
 * render in the system Chromium: from appending it (client set, attributes given) to its
 * first `updateComplete`, median of many. The client is a stub answering at once, so the
 * figure is the element's own work. Printed, never asserted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';

const FILES = [
  'ampkit.js',
  'ampkit-elements.js',
  'ampkit-elements-qr.js',
  'ampkit-elements-rune-audit.js',
  'ampkit-elements-pay-diagram.js',
  'ampkit-webln.js',
];
const ROUNDS = 300;

/** Runs in the page: a stub client, then `rounds` first renders of each element. */
const PAGE_SCRIPT = `
import './ampkit-elements.js';
const hash = 'ab'.repeat(32);
const now = () => Math.floor(Date.now() / 1000);
const client = {
  state: 'open',
  on: () => () => {},
  decode: async () => ({ currency: 'bc', payment_hash: hash, payee: '02' + '3c'.repeat(32), amount_msat: 3000000, description: 'bench', created_at: now(), expiry: 3600, min_final_cltv_expiry: 18 }),
  listinvoices: async () => ({ invoices: [] }),
  listpartialinvoices: async () => ({ partialinvoices: [] }),
  invoice: async () => { throw new Error('not in the bench'); },
  pay: async () => { throw new Error('not in the bench'); },
  getinfo: async () => ({ alias: 'bench' }),
  close: async () => {},
};
const setups = {
  'ampkit-pay': (el) => { el.client = client; el.invoice = 'lnbc30u1bench'; },
  'ampkit-invoice': (el) => { el.client = client; el.paymentHash = hash; },
  'ampkit-connect': (el) => { el.nodeId = '02' + '3c'.repeat(32); el.url = 'wss://node.example:5019'; },
};
globalThis.benchFirstRender = async (tag, rounds) => {
  const times = [];
  for (let i = 0; i < rounds + 20; i++) {
    const el = document.createElement(tag);
    setups[tag](el);
    const t = performance.now();
    document.body.append(el);
    await el.updateComplete;
    const ms = performance.now() - t;
    el.remove();
    if (i >= 20) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { median_ms: times[Math.floor(times.length / 2)], p90_ms: times[Math.floor(times.length * 0.9)], isolated: crossOriginIsolated };
};
`;

export interface ElementsFigures {
  sizes: Record<string, { min_bytes: number; gzip_bytes: number } | undefined>;
  firstRender?: Record<string, { median_ms: number; p90_ms: number }>;
  rounds: number;
}

export async function benchElements(): Promise<ElementsFigures> {
  const sizes: ElementsFigures['sizes'] = {};
  for (const file of FILES) {
    const path = `dist/${file}`;
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    sizes[file] = { min_bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
  }
  const executablePath = findChromium();
  if (!executablePath || !sizes['ampkit-elements.js']) return { sizes, rounds: ROUNDS };
  // Cross-origin isolation gives performance.now() 5 µs steps instead of 100 µs.
  const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    if (name === 'bench.js' || FILES.includes(name)) {
      res.writeHead(200, { 'content-type': 'text/javascript', ...isolated });
      res.end(name === 'bench.js' ? PAGE_SCRIPT : readFileSync(`dist/${name}`));
    } else {
      res.writeHead(200, { 'content-type': 'text/html', ...isolated });
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => typeof (globalThis as any).benchFirstRender === 'function');
    const firstRender: NonNullable<ElementsFigures['firstRender']> = {};
    for (const tag of ['ampkit-pay', 'ampkit-invoice', 'ampkit-connect']) {
      firstRender[tag] = await page.evaluate((t, n) => (globalThis as any).benchFirstRender(t, n), tag, ROUNDS);
    }
    return { sizes, firstRender, rounds: ROUNDS };
  } finally {
    await browser.close();
    server.close();
  }
}
