// `npm run build`: every package's own dist/ (as its package.json `exports` say) and the
// browser bundles a host page loads (dist/), one step at a time with a line per step.
//   1. @ampkit/wire, then @ampkit/core and @ampkit/simnet: tsc, one ES module with its
//      .d.ts and source maps per source file (packages/*/tsconfig.build.json).
//   2. rollup (rollup.config.mjs): dist/ for pages, and @ampkit/worker's dist/ (its client
//      and worker are bundles, so a page can serve them as they are).
//   3. @ampkit/elements: tsc, after the worker's types exist; then its custom-elements.json.
//   4. The API reference, docs/api/ (TypeDoc, typedoc.json): every public export must be
//      documented and every {@link} resolve, or the build fails.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkNode } from './check-node.mjs';

checkNode('npm run build');
const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const bin = (pkg, name) => require.resolve(`${pkg}/${name}`, { paths: [root] });
const tsc = bin('typescript', 'bin/tsc');
const rollup = bin('rollup', 'dist/bin/rollup');
const cem = bin('@custom-elements-manifest/analyzer', 'cem.js');
const typedoc = fileURLToPath(new URL('../node_modules/typedoc/bin/typedoc', import.meta.url)); // its exports hide bin/

function run(label, args, cwd = root) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, signal) => {
      if (code === 0) {
        console.log(`build: ${label} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        resolve();
      } else reject(new Error(`build: ${label} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

const pkg = (name) => run(`@ampkit/${name}`, [tsc, '-p', `packages/${name}/tsconfig.build.json`]);

try {
  for (const name of ['wire', 'core', 'simnet', 'worker', 'elements'])
    rmSync(new URL(`../packages/${name}/dist`, import.meta.url), { recursive: true, force: true });
  await pkg('wire');
  await Promise.all([pkg('core'), pkg('simnet')]);
  await run('browser bundles (dist/, @ampkit/worker)', [rollup, '-c', '--silent']);
  await pkg('elements');
  await run(
    'custom-elements.json',
    [cem, 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--quiet'],
    fileURLToPath(new URL('../packages/elements', import.meta.url)),
  );
  await run('API reference (docs/api/index.html)', [typedoc]);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
