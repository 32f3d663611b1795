// Browser bundles of what a host page loads. Each entry is an ES module with a source map,
// minified; sizes (min and gzip) are printed by `npm run bench`.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';

const plugins = () => [
  nodeResolve({ browser: true, exportConditions: ['source', 'browser', 'module', 'import', 'default'] }),
  esbuild({ target: 'es2022', minify: true, legalComments: 'none' }),
];

/** Never let a Node built-in or `ws` slip into a browser bundle. */
const noNode = {
  name: 'no-node-builtins',
  resolveId(id) {
    if (id.startsWith('node:') || id === 'ws') throw new Error(`browser bundle imports ${id}`);
    return null;
  },
};

export default [
  {
    input: 'packages/wire/src/index.ts',
    output: { file: 'dist/ampkit-wire.js', format: 'es', sourcemap: true },
    plugins: [noNode, ...plugins()],
  },
  {
    // The smallest useful page: connect and call. Measured against the 15 kB gzip budget.
    input: 'test/bench/fixtures/connect-only.ts',
    output: { file: 'dist/bench/connect-only.js', format: 'es', sourcemap: true },
    plugins: [noNode, ...plugins()],
  },
  {
    input: 'packages/core/src/index.ts',
    output: { file: 'dist/ampkit-core.js', format: 'es', sourcemap: true },
    plugins: [noNode, ...plugins()],
  },
  {
    // A page that sends partial payments: client, engine, IndexedDB journal.
    input: 'test/bench/fixtures/engine-page.ts',
    output: { file: 'dist/bench/engine-page.js', format: 'es', sourcemap: true },
    plugins: [noNode, ...plugins()],
  },
  {
    // Run in Chromium by the journal benchmark.
    input: 'test/bench/fixtures/journal-bench.ts',
    output: { file: 'dist/bench/journal-bench.js', format: 'es', sourcemap: false },
    plugins: [noNode, ...plugins()],
  },
  {
    // lnmessage's equivalent page, for the size ratio (ws is only its Node fallback).
    input: 'test/bench/fixtures/lnmessage-only.ts',
    output: { file: 'dist/bench/lnmessage-only.js', format: 'es', sourcemap: false, inlineDynamicImports: true },
    external: ['ws'],
    onwarn: () => {},
    plugins: plugins(),
  },
];
