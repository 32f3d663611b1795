import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bolt8Cases } from './bolt8-vectors.ts';

const text = readFileSync(new URL('../fixtures/reference/bolt8-test-vectors.txt', import.meta.url), 'utf8');

describe('BOLT 8 appendix A vectors (Node)', () => {
  for (const c of bolt8Cases(text)) test(c.name, () => c.run());
});
