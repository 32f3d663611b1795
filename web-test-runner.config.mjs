// Browser tests (test/**/*.browser.test.ts) in the system Chromium, headless, never a
// downloaded browser. TypeScript goes through esbuild; packages resolve to their sources.
// Alongside the dev server this config runs a commando node (serveCommando) on 127.0.0.1,
// which tests find through /commando-test/config.json.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { CHROMIUM_ARGS, HOW_TO_INSTALL, findChromium } from './scripts/chromium.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const sharedReference = join(root, '..', 'shared', 'reference');
const executablePath = findChromium();
if (!executablePath) throw new Error(HOW_TO_INSTALL);

/** Serves ../shared/reference/* at /shared-reference/*, read-only, no escaping the folder. */
function sharedReferenceMiddleware(ctx, next) {
  if (!ctx.path.startsWith('/shared-reference/')) return next();
  const file = normalize(join(sharedReference, decodeURIComponent(ctx.path.slice('/shared-reference/'.length))));
  if (!file.startsWith(sharedReference + sep) || !existsSync(file) || !statSync(file).isFile()) {
    ctx.status = 404;
    return undefined;
  }
  ctx.type = 'text/plain';
  ctx.body = createReadStream(file);
  return undefined;
}

/** A commando node for the browser tests: started with the dev server, stopped with it. */
function commandoNode() {
  let node;
  let config;
  return {
    name: 'ampkit-commando-node',
    async serverStart() {
      // Loaded through tsx (see package.json), so the TypeScript sources import directly.
      const { startBrowserTestNode } = await import('./test/wire/browser-test-node.ts');
      ({ node, config } = await startBrowserTestNode());
    },
    async serverStop() {
      await node?.close();
    },
    serve(ctx) {
      if (ctx.path === '/commando-test/config.json') return { body: JSON.stringify(config), type: 'json' };
      if (ctx.path === '/commando-test/drop') {
        node.dropConnections();
        return { body: '{}', type: 'json' };
      }
      return undefined;
    },
  };
}

export default {
  rootDir: root,
  files: ['test/**/*.browser.test.ts'],
  nodeResolve: { exportConditions: ['source', 'browser'] },
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsFinishTimeout: 180_000,
  testFramework: { config: { timeout: 30_000 } },
  browsers: [chromeLauncher({ launchOptions: { executablePath, headless: true, args: CHROMIUM_ARGS } })],
  middleware: [sharedReferenceMiddleware],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), commandoNode()],
};
