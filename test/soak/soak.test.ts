/** The soak's short version (`npm run soak` runs 1,000): no double send, overpayment, early preimage, lost record or mismatch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { soak } from './soak.ts';

test('soak, short: 100 payments under random faults and engine restarts lose nothing and pay nothing twice', async () => {
  const counts = await soak({ payments: 100, seed: 5, retry_for: 8 });
  assert.equal(counts.payments, 100);
  assert.equal(counts.invoices, 100);
  assert.equal(counts.complete + counts.failed, 100, 'every payment ended');
  assert.ok(Object.values(counts.faults).reduce((a, b) => a + b, 0) > 0, 'faults were injected');
  assert.deepEqual(
    { double_sends: counts.double_sends, overpayments: counts.overpayments, early_preimages: counts.early_preimages, lost_records: counts.lost_records, mismatches: counts.mismatches },
    { double_sends: 0, overpayments: 0, early_preimages: 0, lost_records: 0, mismatches: 0 },
  );
});
