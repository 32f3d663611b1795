import { bolt8Cases } from './bolt8-vectors.ts';

const text = await (await fetch('/shared-reference/bolt8-test-vectors.txt')).text();

describe('BOLT 8 appendix A vectors (Chromium)', () => {
  for (const c of bolt8Cases(text)) it(c.name, () => c.run());
});
