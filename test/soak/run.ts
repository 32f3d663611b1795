/**
 * `npm run soak [-- --payments N] [--seed S] [--topology demo|graph:200] [--retry-for S]`: the soak of soak.ts (1,000 payments of as
 * many invoices, half hold, by default), printed; its last line is one JSON object with
 * the counts. Exits 1 when any count that must be zero is not.
 */
import { soak } from './soak.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const topologyAt = process.argv.indexOf('--topology');
const topology = (topologyAt >= 0 ? process.argv[topologyAt + 1] : 'demo') as 'demo' | `graph:${number}`;
const counts = await soak({
  payments: arg('payments', 1000),
  seed: arg('seed', 7),
  retry_for: arg('retry-for', 20),
  topology,
  log: (l) => console.log(l),
});
console.log(
  `soak (${topology}): ${counts.payments} payments of ${counts.invoices} invoices (half hold) in ${counts.seconds.toFixed(0)} s: ${counts.complete} complete (${counts.multipart} in two or more parts), ${counts.failed} failed, ${counts.parts} parts sent; faults ${JSON.stringify(counts.faults)}, ${counts.restarts} engine restarts; ${counts.stalled} payments with no result within 2 minutes`,
);
console.log(
  `soak: double sends ${counts.double_sends}, overpayments ${counts.overpayments}, early preimages ${counts.early_preimages}, lost records ${counts.lost_records}, mismatches ${counts.mismatches}`,
);
const { payments, invoices, complete, failed, double_sends, overpayments, early_preimages, lost_records, mismatches } = counts;
console.log(
  JSON.stringify({ payments, invoices, complete, failed, double_sends, overpayments, early_preimages, lost_records, mismatches }),
);
process.exit(double_sends + overpayments + early_preimages + lost_records + mismatches === 0 ? 0 : 1);
