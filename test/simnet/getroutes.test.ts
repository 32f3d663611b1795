/**
 * simnet's getroutes answers as Core Lightning's askrene does (cln-fixtures/getroutes.json):
 * each path hop carries what is sent *into* it, its own node's fee and delta included, with
 * no fee or delay out of the source (auto.sourcefree); the route names what it delivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, harness, twoHopRoute, type Harness } from './harness.ts';

describe('simnet: getroutes', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ seed: 5 });
  });
  after(() => h.stop());

  test("one path wallet → alice → shop: both hops carry what enters alice's channel to the shop", async () => {
    const wallet = await h.client('wallet');
    const shop = h.simnet.node('shop').node.id;
    const amount = 100_000_000;
    const reply = await wallet.request('getroutes', {
      source: h.simnet.node('wallet').node.id,
      destination: shop,
      amount_msat: amount,
      layers: ['auto.localchans', 'auto.sourcefree'],
      maxfee_msat: 1_000_000,
      final_cltv: 18,
    });
    const expected = fixture('getroutes.json');
    assert.deepEqual(Object.keys(reply), Object.keys(expected));
    assert.deepEqual(Object.keys(reply.routes[0]), Object.keys(expected.routes[0]));
    assert.deepEqual(Object.keys(reply.routes[0].path[0]), Object.keys(expected.routes[0].path[0]));

    assert.equal(reply.routes.length, 1);
    const [route] = reply.routes;
    assert.equal(route.amount_msat, amount);
    assert.equal(route.final_cltv, 18);
    // The cheapest path goes through alice (100 ppm); sendpay's route for it, hop by hop:
    const hops = twoHopRoute(h.simnet, 'wallet', 'alice', 'shop', amount);
    assert.deepEqual(route.path, [
      {
        short_channel_id_dir: `${hops[0]!.channel}/${hops[0]!.direction}`,
        next_node_id: hops[0]!.id,
        amount_msat: hops[0]!.amount_msat,
        delay: hops[0]!.delay,
      },
      {
        short_channel_id_dir: `${hops[1]!.channel}/${hops[1]!.direction}`,
        next_node_id: shop,
        amount_msat: hops[0]!.amount_msat,
        delay: hops[0]!.delay,
      },
    ]);
    assert.ok(hops[0]!.amount_msat > amount, "alice's fee is in what enters her hop");
  });
});
