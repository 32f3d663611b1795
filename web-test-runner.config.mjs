// Browser tests (test/**/*.browser.test.ts) in the system Chromium, headless, never a
// downloaded browser. TypeScript goes through esbuild; packages resolve to their sources.
// Alongside the dev server this config runs a commando node (serveCommando) on 127.0.0.1,
// which tests find through /commando-test/config.json, and an LNC test mailbox (/lnc-test/).
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { CHROMIUM_ARGS, HOW_TO_INSTALL, findChromium } from './scripts/chromium.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const sharedReference = join(root, 'test', 'fixtures', 'reference');
const executablePath = findChromium();
if (!executablePath) throw new Error(HOW_TO_INSTALL);

/** Serves test/fixtures/reference/* at /shared-reference/*, read-only, no escaping the folder. */
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

/**
 * LNC for the browser tests: the test mailbox, started on the first request (scrypt makes
 * each session cost about a second), and a new litd stand-in per /lnc-test/session.json,
 * since a pairing phrase works once; /lnc-test/seen/<id>.json says what that litd saw;
 * /lnc-test/fault/<fault>.json makes the mailbox play a fault on go-back-N packets
 * (browser-test-lnc.ts, LNC_FAULTS) and /lnc-test/fault-stats.json says what it did.
 */
function lncNode() {
  let lnc;
  return {
    name: 'ampkit-lnc-node',
    async serverStop() {
      await (await lnc)?.close();
    },
    async serve(ctx) {
      if (!ctx.path.startsWith('/lnc-test/')) return undefined;
      lnc ??= import('./test/wire/browser-test-lnc.ts').then((m) => m.startBrowserTestLnc());
      const live = await lnc;
      if (ctx.path === '/lnc-test/session.json') return { body: JSON.stringify(await live.session()), type: 'json' };
      const fault = /^\/lnc-test\/fault\/([a-z-]+)\.json$/.exec(ctx.path);
      if (fault) {
        const { LNC_FAULTS } = await import('./test/wire/browser-test-lnc.ts');
        if (!LNC_FAULTS.includes(fault[1])) return { body: JSON.stringify({ error: `no fault ${fault[1]}` }), type: 'json' };
        return { body: JSON.stringify(live.fault(fault[1])), type: 'json' };
      }
      if (ctx.path === '/lnc-test/fault-stats.json') return { body: JSON.stringify(live.faultStats()), type: 'json' };
      const seen = /^\/lnc-test\/seen\/(\d+)\.json$/.exec(ctx.path);
      if (seen) return { body: JSON.stringify(live.seen(Number(seen[1])) ?? null), type: 'json' };
      return undefined;
    },
  };
}

/**
 * For test/elements: the `ampkit-screenshot` command (a screenshot of one element of the
 * test's page, written to artifacts/screenshots/<name>.png), and React 19 and Vue 3 as ES
 * modules at /ampkit-elements/react.js and /ampkit-elements/vue.js (React ships CommonJS
 * only, Vue's bundler build wants its compile-time flags; esbuild bundles each once).
 */
function ampkitElements() {
  const frameworks = {
    '/ampkit-elements/react.js':
      "export { createElement } from 'react'; export { flushSync } from 'react-dom'; export { createRoot } from 'react-dom/client';",
    '/ampkit-elements/vue.js': "export { createApp, h, nextTick, ref } from 'vue/dist/vue.esm-bundler.js';",
  };
  const built = new Map();
  return {
    name: 'ampkit-elements',
    async serve(ctx) {
      const source = frameworks[ctx.path];
      if (!source) return undefined;
      if (!built.has(ctx.path)) {
        const { build } = await import('esbuild');
        const result = await build({
          stdin: { contents: source, resolveDir: root, loader: 'js' },
          bundle: true,
          format: 'esm',
          write: false,
          logLevel: 'error',
          define: {
            'process.env.NODE_ENV': '"production"',
            __VUE_OPTIONS_API__: 'true',
            __VUE_PROD_DEVTOOLS__: 'false',
            __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
          },
        });
        built.set(ctx.path, result.outputFiles[0].text);
      }
      return { body: built.get(ctx.path), type: 'js' };
    },
    async executeCommand({ command, payload, session }) {
      if (command !== 'ampkit-screenshot') return undefined;
      const { selector, name } = payload ?? {};
      if (typeof selector !== 'string' || typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name))
        throw new Error('ampkit-screenshot takes { selector, name }');
      const page = session.browser.getPage(session.id);
      const element = await page.$(selector);
      if (!element) throw new Error(`ampkit-screenshot: nothing matches ${selector}`);
      const dir = join(root, 'artifacts', 'screenshots');
      mkdirSync(dir, { recursive: true });
      await element.screenshot({ path: join(dir, `${name}.png`) });
      return true;
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
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), commandoNode(), lncNode(), ampkitElements()],
};
