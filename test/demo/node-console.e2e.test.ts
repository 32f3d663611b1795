/**
 * End to end: `demo/serve.ts` as a user starts it, and a real Chromium on its page connects
 * over commando, audits the rune, and calls the node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { startDemo, type Demo } from './demo-server.ts';

let demo: Demo;
let page: Page;

before(async () => {
  demo = await startDemo(18_000 + (process.pid % 1000));
  page = await demo.browser.newPage();
  page.on('pageerror', (e) => assert.fail(`page error: ${e}`));
  await page.goto(`${demo.origin}/console.html`);
});

after(async () => {
  await demo?.browser.close();
  demo?.server.kill('SIGTERM');
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
