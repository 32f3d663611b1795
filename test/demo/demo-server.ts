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
