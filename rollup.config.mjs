// Browser bundles of what a host page loads. Each entry is an ES module with a source map,
// minified; sizes (min and gzip) are printed by `npm run bench`.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';
import { dts } from 'rollup-plugin-dts';
import terser from '@rollup/plugin-terser';
import { minifyTemplatesPlugin } from './scripts/minify-templates.mjs';

const plugins = () => [
  nodeResolve({ browser: true, exportConditions: ['source', 'browser', 'module', 'import', 'default'] }),
  esbuild({ target: 'es2022', minify: true, legalComments: 'none' }),
  // A second pass: terser's repeated compression takes ~5% more off esbuild's output.
  terser({ module: true, ecma: 2020, compress: { passes: 3, pure_getters: true }, format: { comments: false } }),
];

/** Never let a Node built-in or `ws` slip into a browser bundle. */
const noNode = {
  name: 'no-node-builtins',
  resolveId(id) {
    if (id.startsWith('node:') || id === 'ws') throw new Error(`browser bundle imports ${id}`);
    return null;
  },
};

/**
 * One minified ES module for the browser, with no Node built-ins in it; written to each of
 * `files`. What it imports on demand is inlined (one file).
 */
const browser = (input, files, sourcemap = true) => ({
  input,
  output: [files].flat().map((file) => ({ file, format: 'es', sourcemap, inlineDynamicImports: true })),
  plugins: [noNode, ...plugins()],
});

/**
 * The engine's worker: `ampkit-worker.js`, and beside it the chunks it imports on demand:
 * on the first pay() it plans `ampkit-worker-planner.js` (the graph, the flow solver, the
 * learning), so a page that only receives or sends parts never loads the planner; for an LND
 * node `ampkit-worker-lnc.js`, `ampkit-worker-lnd.js` and, to pair, `ampkit-worker-lnc-pairing.js`.
 */
const worker = () => ({
  input: 'packages/worker/src/worker.ts',
  // The entry keeps its exports (the page fallback imports it) and may add what the planner
  // chunk shares with it, rather than become a facade over a third file.
  preserveEntrySignatures: 'allow-extension',
  output: ['dist', 'packages/worker/dist'].map((dir) => ({
    dir,
    format: 'es',
    sourcemap: true,
    entryFileNames: 'ampkit-worker.js',
    // Chunks are what only a dynamic import reaches: the planner (planner/local.ts), and for
    // an LND node the LNC client (wire/lnc), its pairing code (wire/lnc/phrase.ts, a first
    // pairing only) and the LND adapter (core/node/lnd.ts).
    chunkFileNames: (chunk) => {
      const has = (end) => chunk.moduleIds.some((id) => id.replaceAll('\\', '/').endsWith(end));
      if (has('/core/src/planner/local.ts')) return 'ampkit-worker-planner.js';
      if (has('/wire/src/lnc/index.ts')) return 'ampkit-worker-lnc.js';
      if (has('/wire/src/lnc/phrase.ts')) return 'ampkit-worker-lnc-pairing.js';
      if (has('/core/src/node/lnd.ts')) return 'ampkit-worker-lnd.js';
      return 'ampkit-worker-[name].js';
    },
  })),
  plugins: [noNode, ...plugins()],
});

/** One bundled type declaration file for an entry, written to each of `files`. */
const types = (input, files) => ({
  input,
  output: [files].flat().map((file) => ({ file, format: 'es' })),
  plugins: [
    nodeResolve({ exportConditions: ['source'], extensions: ['.ts'] }),
    dts({ respectExternal: true, compilerOptions: { allowImportingTsExtensions: true } }),
  ],
});

/**
 * The elements' page bundle and its types, in dist/ only (the @ampkit/elements package is
 * built by tsc, one module per source file). `@ampkit/worker` stays out: the bundle imports
 * it from `./ampkit.js` beside it, so a page loads the client once and the client finds
 * `ampkit-worker.js` beside itself.
 */
const elements = () => {
  const input = 'packages/elements/src/ampkit-elements.ts';
  const webln = 'packages/elements/src/webln.ts';
  const external = ['@ampkit/worker'];
  const paths = { '@ampkit/worker': './ampkit.js' };
  return [
    {
      // The page bundle, and beside it the WebLN provider for pages that want window.webln.
      input: { 'ampkit-elements': input, 'ampkit-webln': webln },
      external,
      // Chunks load on demand: the QR encoder (<ampkit-invoice>), the rune audit
      // (<ampkit-connect>, once a rune is entered) and its LNC mode (lnc-mode.ts, then the
      // pairing-phrase word list), so a page that only pays loads none. Rollup splits the wire
      // code between the last two by what each reaches (errors and bytes shared, in a small
      // chunk of their own); one manual chunk for all of wire would put LNC's in the rune audit.
      // The LNC chunk takes lit from the entry, which may export it for that ('allow-extension')
      // rather than become a facade over a second file.
      preserveEntrySignatures: 'allow-extension',
      output: {
        dir: 'dist',
        paths,
        format: 'es',
        sourcemap: true,
        entryFileNames: '[name].js',
        chunkFileNames: 'ampkit-elements-[name].js',
        manualChunks: (id) => (id.includes('/@paulmillr/qr/') ? 'qr' : undefined),
      },
      // The static text of lit's css`` and html`` templates, minified (scripts/minify-templates.mjs).
      plugins: [noNode, minifyTemplatesPlugin(), ...plugins()],
    },
    {
      input,
      external,
      output: { file: 'dist/ampkit-elements.d.ts', format: 'es', paths },
      plugins: types(input, []).plugins,
    },
    { input: webln, external, output: { file: 'dist/ampkit-webln.d.ts', format: 'es', paths }, plugins: types(webln, []).plugins },
  ];
};

/** What `npm run build` makes: the bundles a host page loads, their types, the demo's. */
export const shipped = [
  // What a host page loads: the client (ampkit.js) and the engine's worker beside it
  // (ampkit-worker.js), also the page's fallback host. Also the @ampkit/worker package's dist.
  browser('packages/worker/src/index.ts', ['dist/ampkit.js', 'packages/worker/dist/ampkit.js']),
  worker(),
  types('packages/worker/src/index.ts', ['dist/ampkit.d.ts', 'packages/worker/dist/ampkit.d.ts']),
  types('packages/worker/src/worker.ts', 'packages/worker/dist/ampkit-worker.d.ts'),
  browser('packages/wire/src/index.ts', 'dist/ampkit-wire.js'),
  // Lightning Node Connect (@ampkit/wire/lnc), which the worker loads on demand for an LND node.
  browser('packages/wire/src/lnc/index.ts', 'dist/ampkit-lnc.js'),
  browser('packages/core/src/index.ts', 'dist/ampkit-core.js'),
  ...elements(),
];

export { browser, noNode, plugins, types };
export default shipped;
