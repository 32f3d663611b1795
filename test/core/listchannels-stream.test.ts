/**
 * The whole graph entry by entry over a real commando link: `listchannels` with `each`
 * hands every entry over as its bytes arrive and keeps none, the same entries a plain call
 * returns; the local planner builds its graph from them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clnNode } from '../../packages/core/src/node/cln.ts';
import type { NodeChannel } from '../../packages/core/src/node/node.ts';
import { harness, type Harness } from '../simnet/harness.ts';

let h: Harness;
before(async () => {
  h = await harness();
});
after(() => h.stop());

test('listchannels with each hands over every entry once and returns none', async () => {
  const node = clnNode(await h.client('alice'));
  const whole = await node.listchannels();
  assert.ok(whole.length >= 8, `the demo network has ${whole.length} directions`);
  const streamed: NodeChannel[] = [];
  const rest = await node.listchannels({}, (entry) => streamed.push(entry));
  assert.deepEqual(rest, []);
  assert.deepEqual(streamed, whole);
});
