// Bundles only the benchmark measures (`npm run bench` builds them after `npm run build`):
// reference pages of ours and of the peers, built the same way, for size ratios; and the
// journal benchmark's page. Nothing here ships.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { browser, plugins } from './rollup.config.mjs';

/**
 * A peer's page: bundled whole, warnings of its own code not ours to fix. A peer that
 * imports a Node built-in by name gets the npm package of that name, as a browser bundler
 * (Vite, webpack 5 with its fallbacks) gives it: lnmessage imports `buffer` and depends on
 * the `buffer` package for the browser. Rollup's default would leave `import 'buffer'` in
 * the bundle, a page that never loads and weighs too little. `npm run bench` checks in
 * Chromium that each page loads.
 */
const peer = (input, file, external = []) => ({
  input,
  output: { file, format: 'es', sourcemap: false, inlineDynamicImports: true },
  external,
  onwarn: () => {},
  // Peers' dependencies include CommonJS packages (qrcode-generator).
  plugins: [
    commonjs(),
    nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['browser', 'module', 'import', 'default'] }),
    ...plugins().filter((plugin) => plugin.name !== 'node-resolve'),
  ],
});

export default [
  // The smallest useful page: connect and call. Measured against the 15 kB gzip budget.
  browser('test/bench/fixtures/connect-only.ts', 'dist/bench/connect-only.js'),
  // A page that sends partial payments: client, engine, IndexedDB journal, no worker.
  browser('test/bench/fixtures/engine-page.ts', 'dist/bench/engine-page.js'),
  // What a shop's page imports from ampkit.js.
  browser('test/bench/fixtures/ampkit-page.ts', 'dist/bench/ampkit-page.js', false),
  // Run in Chromium by the journal benchmark.
  browser('test/bench/fixtures/journal-bench.ts', 'dist/bench/journal-bench.js', false),
  // lnmessage's equivalent of connect-only (ws is only its Node fallback).
  peer('test/bench/fixtures/lnmessage-only.ts', 'dist/bench/lnmessage-only.js', ['ws']),
  // @getalby/bitcoin-connect's page: its elements and payment modal.
  peer('test/bench/fixtures/bitcoin-connect-page.ts', 'dist/bench/bitcoin-connect-page.js'),
];
