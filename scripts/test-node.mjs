// Runs every Node test (test/**/*.test.ts except *.browser.test.ts) in one node:test run.
// Node 20's --test does not expand globs, hence this script. Extra arguments filter files
// by substring: `npm run test:node -- rune commando`.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
    return entry.name.endsWith('.test.ts') && !entry.name.endsWith('.browser.test.ts') ? [relative(root, path)] : [];
  });
}

const files = walk(join(root, 'test'))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no Node test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--test', ...files], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
