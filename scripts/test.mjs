// `npm test`: the formatting check (prettier), typecheck, the build (the Chromium end-to-end tests load dist/), then the
// Node tests, then the Chromium tests; stops at the first
// failing stage and ends with one line of totals ("N passed, N failed").
import { spawn } from 'node:child_process';
import { checkNode } from './check-node.mjs';

checkNode('npm test');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const totals = { passed: 0, failed: 0 };

function run(script, count) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    });
    child.on('exit', (code) => {
      if (count) count(tail.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''));
      resolve(code ?? 1);
    });
  });
}

const nodeCounts = (out) => {
  totals.passed += Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0);
  totals.failed += Number(/^# fail (\d+)/m.exec(out)?.[1] ?? 0);
};
const browserCounts = (out) => {
  const all = [...out.matchAll(/(\d+) passed, (\d+) failed/g)].at(-1);
  if (all) {
    totals.passed += Number(all[1]);
    totals.failed += Number(all[2]);
  }
};

for (const [script, count] of [['format:check'], ['typecheck'], ['build'], ['test:node', nodeCounts], ['test:browser', browserCounts]]) {
  console.log(`\n── npm run ${script}`);
  const code = await run(script, count);
  if (code !== 0) {
    console.log(`\n${script} failed (exit ${code})`);
    console.log(`ampkit: ${totals.passed} passed, ${Math.max(totals.failed, 1)} failed`);
    process.exit(code);
  }
}
console.log(`\nampkit: ${totals.passed} passed, ${totals.failed} failed`);
