// `npm run audit` (and .ci/run): fails when `npm audit` reports a high or critical
// advisory in any dependency, dev ones included. When the advisory database cannot be
// reached (an offline machine, a registry mirror without the audit endpoint), it says so
// and passes, unless AMPKIT_AUDIT_STRICT=1.
import { spawnSync } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = spawnSync(npm, ['audit', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report;
try {
  report = JSON.parse(run.stdout || '{}');
} catch {
  report = { error: { summary: (run.stderr || run.stdout || 'no output').trim().split('\n')[0] } };
}
const counts = report.metadata?.vulnerabilities;
if (!counts) {
  const why = report.error?.summary || report.message || (run.stderr || 'no report').trim().split('\n').pop();
  console.log(`npm audit: the advisory database could not be asked (${why}); not checked`);
  process.exit(process.env.AMPKIT_AUDIT_STRICT === '1' ? 1 : 0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
const summary = Object.entries(counts)
  .map(([level, n]) => `${level} ${n}`)
  .join(', ');
if (serious > 0) {
  const names = Object.values(report.vulnerabilities ?? {})
    .filter((v) => v.severity === 'high' || v.severity === 'critical')
    .map((v) => `${v.name} (${v.severity})`);
  console.error(`npm audit: ${summary}: ${names.join(', ')}`);
  process.exit(1);
}
console.log(`npm audit: no high or critical advisory (${summary})`);
