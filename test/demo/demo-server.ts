/**
 * The demo as `npm start` runs it (demo/serve.ts, after the build) on a port of its own,
 * and a headless system Chromium for the end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { ensureBuilt } from '../worker/browser-harness.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Demo {
  server: ChildProcess;
  origin: string;
  browser: Browser;
}

/**
 * Starts demo/serve.ts on `port` (the pages load dist/, built unless fresh). `seed`: the
 * network's (1 unless given, so tests see the same network each run; `null` for the fresh
 * one `npm start` makes).
 */
export async function startServer(port: number, seed: number | null = 1): Promise<ChildProcess> {
  ensureBuilt();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  if (seed === null) delete env.SEED;
  else env.SEED = String(seed);
  const server = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'demo/serve.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    // The line with the page's address: the network is up and the server listens.
    server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ampkit demo: http://') && resolve());
    server.on('exit', (code) => reject(new Error(`demo server exited: ${code}`)));
  });
  return server;
}

/** Stops a demo server and waits until it has exited. */
export async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

/** Starts the demo's server on `port` and a browser (with its profile in `userDataDir`, if given). */
export async function startDemo(port: number, options: { seed?: number | null; userDataDir?: string } = {}): Promise<Demo> {
  const server = await startServer(port, options.seed);
  const browser = await puppeteer.launch({
    executablePath: findChromium(),
    args: CHROMIUM_ARGS,
    headless: true,
    ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}),
  });
  return { server, origin: `http://127.0.0.1:${port}`, browser };
}

/** A new tab at `url`, 1280 wide; what it prints as errors (a 404 aside) goes to `errors`. */
export async function openPage(browser: Browser, url: string, errors: string[] = []): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !m.text().includes('404') && errors.push(m.text()));
  await page.goto(url);
  return page;
}

/** The whole page to artifacts/screenshots/demo-<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(`${root}/artifacts/screenshots`, { recursive: true });
  await page.screenshot({ path: `${root}/artifacts/screenshots/demo-${name}.png`, fullPage: true });
}

/** Waits until the element at `selector` has one of the `wanted` states. */
export const waitState = (page: Page, selector: string, wanted: string | string[], timeout = 30_000) =>
  page.waitForFunction(
    (s, w) => w.includes((document.querySelector(s) as unknown as { state?: string } | null)?.state ?? ''),
    { timeout },
    selector,
    [wanted].flat(),
  );

/** Clicks a button inside an element's shadow root. */
export const clickInside = (page: Page, host: string, selector: string) =>
  page.$eval(host, (el, s) => (el.shadowRoot!.querySelector(s) as HTMLButtonElement).click(), selector);

/** Checks out the chosen item, waits for the wallet to show the invoice, clicks Pay. */
export async function checkout(page: Page, item: string): Promise<void> {
  await page.click(`input[name=item][value="${item}"]`);
  await page.click('#checkout');
  await waitState(page, '#checkout-invoice', 'unpaid');
  await waitState(page, '#wallet-pay', 'ready');
  await clickInside(page, '#wallet-pay', 'button[part~="button"]');
}

/** Switches a fault of the demo's panel (on, or back off), and waits for the server's word. */
export async function fault(page: Page, name: string): Promise<void> {
  await page.$eval('#fault-log', (el) => (el.textContent = ''));
  await page.click(`button[data-fault="${name}"]`);
  await page.waitForFunction(() => document.getElementById('fault-log')!.textContent!.length > 0);
}
