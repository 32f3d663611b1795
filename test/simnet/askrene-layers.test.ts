/**
 * simnet's askrene layers answer as Core Lightning v25.12 does (test/fixtures/cln/askrene-*.json,
 * getroutes-*.json): the same shapes, codes and messages; and getroutes plans around what a
 * layer says (a disabled direction or node, a constrained direction), as askrene does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CommandoClient } from '../../packages/wire/src/index.ts';
import { harness, realFixture, twoHopRoute, type Harness } from './harness.ts';

const keysOf = (value: Record<string, unknown>) => Object.keys(value);
/** A real error message with the real layer's name put back as `name`. */
const withLayer = (message: string, real: string, name: string) => message.replace(real, name);

describe('simnet: askrene layers', () => {
  let h: Harness;
  let wallet: CommandoClient;
  before(async () => {
    h = await harness({ seed: 5 });
    wallet = await h.client('wallet');
  });
  after(() => h.stop());

  const rejectsLike = (call: Promise<unknown>, real: { code: number; message: string }, fix: (message: string) => string = (m) => m) =>
    assert.rejects(call, (e: { code: number; message: string }) => {
      assert.deepEqual([e.code, e.message], [real.code, fix(real.message)]);
      return true;
    });

  test('create, inform, update, disable, list and remove answer in the real shapes; their errors too', async () => {
    const real = realFixture('askrene-create-layer.json');
    const made = await wallet.request('askrene-create-layer', { layer: 'ampkit-test', persistent: false });
    assert.deepEqual(made, { layers: [{ ...real.response.layers[0], layer: 'ampkit-test' }] });
    await rejectsLike(
      wallet.request('askrene-create-layer', { layer: 'ampkit-test', persistent: false }),
      realFixture('askrene-create-layer-exists.json').error,
    );

    const dir = '1x2x3/0';
    const inform = realFixture('askrene-inform-channel-constrained.json');
    const told = await wallet.request('askrene-inform-channel', {
      layer: 'ampkit-test',
      short_channel_id_dir: dir,
      amount_msat: 500_000_000,
      inform: 'constrained',
    });
    assert.deepEqual(keysOf(told.constraints[0]), keysOf(inform.response.constraints[0]));
    assert.equal(told.constraints[0].maximum_msat, inform.response.constraints[0].maximum_msat, 'one msat below what could not be carried');
    const unknown = realFixture('askrene-inform-channel-unknown-layer.json');
    await rejectsLike(wallet.request('askrene-inform-channel', { ...unknown.request.params, layer: 'nope' }), unknown.error, (m) =>
      withLayer(m, unknown.request.params.layer, 'nope'),
    );

    assert.deepEqual(
      await wallet.request('askrene-update-channel', { layer: 'ampkit-test', short_channel_id_dir: '4x5x6/1', enabled: false }),
      realFixture('askrene-update-channel-disable.json').response,
    );
    assert.deepEqual(
      await wallet.request('askrene-disable-node', { layer: 'ampkit-test', node: '02' + '22'.repeat(32) }),
      realFixture('askrene-disable-node.json').response,
    );

    const [listed] = (await wallet.request('askrene-listlayers', { layer: 'ampkit-test' })).layers;
    const realListed = realFixture('askrene-listlayers.json').response.layers[0];
    assert.deepEqual(keysOf(listed), keysOf(realListed));
    assert.deepEqual(listed.disabled_nodes, ['02' + '22'.repeat(32)]);
    assert.deepEqual(listed.channel_updates, [{ short_channel_id_dir: '4x5x6/1', enabled: false }]);
    assert.deepEqual(keysOf(listed.constraints[0]), keysOf(realListed.constraints[0]));

    assert.deepEqual(
      await wallet.request('askrene-remove-layer', { layer: 'ampkit-test' }),
      realFixture('askrene-remove-layer.json').response,
    );
    const again = realFixture('askrene-remove-layer-unknown.json');
    await rejectsLike(wallet.request('askrene-remove-layer', { layer: 'ampkit-test' }), again.error, (m) =>
      withLayer(m, again.request.params.layer, 'ampkit-test'),
    );
  });

  test('getroutes refuses a layer it does not know, as the real node does', async () => {
    const real = realFixture('getroutes-unknown-layer.json');
    const shop = h.simnet.node('shop').node.id;
    await rejectsLike(
      wallet.request('getroutes', {
        ...real.request.params,
        source: h.simnet.node('wallet').node.id,
        destination: shop,
        layers: ['auto.localchans', 'nope'],
      }),
      real.error,
      (m) => withLayer(m, real.request.params.layers[1], 'nope'),
    );
  });

  test('getroutes plans around a layer: a disabled direction, a disabled node, a constrained direction', async () => {
    const source = h.simnet.node('wallet').node.id;
    const shop = h.simnet.node('shop').node.id;
    const amount = 100_000_000;
    const ask = (layers: string[]) =>
      wallet.request('getroutes', {
        source,
        destination: shop,
        amount_msat: amount,
        layers: ['auto.localchans', 'auto.sourcefree', ...layers],
        maxfee_msat: 1_000_000,
        final_cltv: 18,
      });
    const firstVia = async (layers: string[]) =>
      (await ask(layers)).routes.map((r: { path: { next_node_id: string }[] }) => r.path[0]!.next_node_id);
    const alias = (id: string) => ['alice', 'bob', 'carol', 'dave'].find((a) => h.simnet.node(a).node.id === id);
    // Unlayered, the cheapest way is through alice (getroutes.test.ts).
    assert.deepEqual((await firstVia([])).map(alias), ['alice']);
    const viaAlice = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', amount);

    await wallet.request('askrene-create-layer', { layer: 'no-alice-hop', persistent: false });
    await wallet.request('askrene-update-channel', {
      layer: 'no-alice-hop',
      short_channel_id_dir: `${viaAlice[1]!.channel}/${viaAlice[1]!.direction}`,
      enabled: false,
    });
    assert.ok(!(await firstVia(['no-alice-hop'])).map(alias).includes('alice'), 'the disabled direction is not used');

    await wallet.request('askrene-create-layer', { layer: 'no-alice', persistent: false });
    await wallet.request('askrene-disable-node', { layer: 'no-alice', node: h.simnet.node('alice').node.id });
    assert.ok(!(await firstVia(['no-alice'])).map(alias).includes('alice'), 'the disabled node is not used');

    await wallet.request('askrene-create-layer', { layer: 'alice-short', persistent: false });
    await wallet.request('askrene-inform-channel', {
      layer: 'alice-short',
      short_channel_id_dir: `${viaAlice[1]!.channel}/${viaAlice[1]!.direction}`,
      amount_msat: amount / 4,
      inform: 'constrained',
    });
    const constrained = (await ask(['alice-short'])).routes as { amount_msat: number; path: { next_node_id: string }[] }[];
    const throughAlice = constrained.filter((r) => alias(r.path[0]!.next_node_id) === 'alice').reduce((s, r) => s + r.amount_msat, 0);
    assert.ok(throughAlice < amount / 4, `at most ${amount / 4 - 1} msat through the constrained direction, got ${throughAlice}`);
    assert.equal(
      constrained.reduce((s, r) => s + r.amount_msat, 0),
      amount,
    );
  });
});
