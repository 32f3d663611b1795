/** The soak's short versions (`npm run soak` runs 1,000) on the demo topology and on a slice of the real graph: no double send, overpayment, early preimage, lost record or mismatch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { soak } from './soak.ts';

for (const [topology, payments] of [
  ['demo', 100],
  ['graph:200', 50],
] as const) {
  test(`soak, short (${topology}): ${payments} payments under random faults and engine restarts lose nothing and pay nothing twice`, async () => {
    const counts = await soak({ payments, seed: 5, retry_for: 8, topology });
    assert.equal(counts.payments, payments);
    assert.equal(counts.invoices, payments);
    assert.equal(counts.complete + counts.failed, payments, 'every payment ended');
    assert.ok(counts.complete > payments / 2, `${counts.complete} of ${payments} complete`);
    assert.ok(Object.values(counts.faults).reduce((a, b) => a + b, 0) > 0, 'faults were injected');
    assert.deepEqual(
      {
        double_sends: counts.double_sends,
        overpayments: counts.overpayments,
        early_preimages: counts.early_preimages,
        lost_records: counts.lost_records,
        mismatches: counts.mismatches,
      },
      { double_sends: 0, overpayments: 0, early_preimages: 0, lost_records: 0, mismatches: 0 },
    );
  });
}
