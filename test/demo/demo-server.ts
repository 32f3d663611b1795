/**
 * The demo as `npm start` runs it (demo/serve.ts, after the build) on a port of its own,
 * and a headless system Chromium for the end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.mjs';
import { ensureBuilt } from '../worker/browser-harness.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Demo {
  server: ChildProcess;
  origin: string;
  browser: Browser;
}

/** Starts demo/serve.ts on `port` (the pages load dist/, built unless fresh) and a browser. */
export async function startDemo(port: number): Promise<Demo> {
  ensureBuilt();
  const server = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'demo/serve.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    // The line with the page's address: the network is up and the server listens.
    server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ampkit demo: http://') && resolve());
    server.on('exit', (code) => reject(new Error(`demo server exited: ${code}`)));
  });
  const browser = await puppeteer.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true });
  return { server, origin: `http://127.0.0.1:${port}`, browser };
}
