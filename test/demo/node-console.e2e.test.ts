/**
 * End to end: `demo/serve.ts` as a user starts it, and a real Chromium on its page connects
 * over commando, audits the rune, and calls the node.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { ensureBuilt } from '../worker/browser-harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const port = 18_000 + (process.pid % 1000);
let server: ChildProcess;
let browser: Browser;
let page: Page;

before(async () => {
  // The page loads /dist/ampkit-wire.js: built as npm start builds it, unless dist/ is fresh.
  ensureBuilt();
  server = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'demo/serve.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ampkit demo:') && resolve());
    server.on('exit', (code) => reject(new Error(`demo server exited: ${code}`)));
  });
  browser = await puppeteer.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e}`));
  await page.goto(`http://127.0.0.1:${port}/console.html`);
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

const text = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

describe('demo node console in Chromium', () => {
  test('warns about the admin rune and not about the read-only one', async () => {
    await page.waitForFunction(() => document.getElementById('rune-audit')!.textContent !== '');
    assert.match(await text('#rune-audit'), /^Read-only/);
    await page.select('#rune-choice', 'admin');
    assert.match(await text('#rune-audit'), /^Warning: Full access/);
    await page.select('#rune-choice', 'readonly');
  });

  test('connects over commando and calls getinfo', async () => {
    await page.click('#connect');
    await page.waitForFunction(() => document.getElementById('state')!.textContent === 'open');
    await page.click('#call button');
    await page.waitForFunction(() => document.getElementById('output')!.textContent!.includes('ampkit-simnet'));
    const output = await text('#output');
    const id = await text('#node-id');
    assert.ok(output.includes(id), 'getinfo returns the node id shown on the page');
  });

  test('a method the read-only rune forbids shows the node error', async () => {
    await page.$eval('#method', (el) => ((el as HTMLInputElement).value = 'showrunes'));
    await page.click('#call button');
    await page.waitForFunction(() => document.getElementById('output')!.textContent!.includes('19537'));
    assert.match(await text('#output'), /RpcError 19537: Invalid rune: Not permitted/);
  });
});
