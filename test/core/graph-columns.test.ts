/**
 * The graph as columns (the journal's cache): it goes out and comes back whole, typed
 * arrays taken as they are, and anything malformed in a cached graph is refused with
 * INVALID_ARGUMENT rather than half-loaded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelGraph, type GraphColumns } from '../../packages/core/src/planner/graph.ts';
import { AmpkitError } from '../../packages/core/src/index.ts';
import { channel, id } from './planner-fixtures.ts';

function sample(): ChannelGraph {
  const entries = [
    ...channel('A', 'B', 5_000_000, { base: 1000, ppm: 100 }, { ppm: 200 }, '1x1x0'),
    ...channel('B', 'C', 2_000_000, { ppm: 10, cltv: 40 }, { ppm: 20 }, '2x1x0'),
  ];
  const graph = ChannelGraph.fromListChannels(entries.map((e) => ({ ...e, direction: e.direction as 0 | 1 })));
  graph.remove('2x1x0', 1);
  graph.setOwnChannel(id('A'), { peer_id: id('D'), short_channel_id: '3x1x0', spendable_msat: 1000 });
  return graph;
}

describe('the graph as columns', () => {
  test('columns and back: the same gossiped directions, nothing of our own channels or removed ones', () => {
    const graph = sample();
    const back = ChannelGraph.fromColumns(graph.columns());
    assert.equal(back.size, 3);
    const gossiped = (g: ChannelGraph) =>
      Array.from({ length: g.size }, (_, e) => g.entry(e)).filter((e) => !e.own && !(e.short_channel_id === '2x1x0' && e.direction === 1));
    assert.deepEqual(
      Array.from({ length: back.size }, (_, e) => back.entry(e)),
      gossiped(graph),
    );
    assert.equal(back.channelIndex('2x1x0', 0), 2);
    assert.equal(back.nodeIndex(id('C')), graph.nodeIndex(id('C')));
    // It is a graph like any other: it takes changes.
    back.setOwnChannel(id('A'), { peer_id: id('B'), short_channel_id: '1x1x0', spendable_msat: 7 });
    assert.equal(back.entry(back.channelIndex('1x1x0', 0)).known_msat, 7);
  });

  const refused = (what: string, spoil: (c: GraphColumns) => void) =>
    test(`refused: ${what}`, () => {
      const columns = sample().columns();
      spoil(columns);
      assert.throws(
        () => ChannelGraph.fromColumns(columns),
        (e: unknown) => e instanceof AmpkitError && e.code === 'INVALID_ARGUMENT',
      );
    });
  refused('a column of another length', (c) => (c.capacity = c.capacity.slice(1)));
  refused('a column of another kind', (c) => ((c as unknown as { cltv: unknown }).cltv = Array.from(c.cltv)));
  refused('a node index out of range', (c) => (c.to[0] = c.nodes.length));
  refused('a channel from a node to itself', (c) => (c.to[0] = c.from[0]!));
  refused('a direction of 2', (c) => (c.direction[0] = 2));
  refused('a fee that is not a whole number', (c) => (c.ppm[0] = 0.5));
  refused('an amount that is NaN', (c) => (c.htlcMax[1] = NaN));
  refused('a malformed short channel id', (c) => (c.scids[0] = '1x1'));
  refused('a malformed node id', (c) => (c.nodes[0] = 'zz'));
  refused('a node listed twice', (c) => (c.nodes[1] = c.nodes[0]!));
  refused('a direction listed twice', (c) => {
    c.scids[1] = c.scids[0]!;
    c.direction[1] = c.direction[0]!;
  });
  refused('not an object', (c) => Object.assign(c, { nodes: undefined }));
});
