// `npm run fuzz`: every fuzz test (test/**/*fuzz*.test.ts) with 100,000 generated inputs
// each (AMPKIT_FUZZ_N; `npm test` runs them with 10,000). Extra arguments filter further.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('test-node.mjs', import.meta.url));
const filters = process.argv.slice(2);
const child = spawn(process.execPath, [script, ...(filters.length ? filters : ['fuzz'])], {
  stdio: 'inherit',
  env: { ...process.env, AMPKIT_FUZZ_N: process.env.AMPKIT_FUZZ_N ?? '100000' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
