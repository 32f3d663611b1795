/**
 * The LND adapter (lndNode) against a scripted lnd (lnd-fake.ts) that answers lnd's own
 * protobuf: sending a part (one HTLC, found again by its record rather than sent twice),
 * following it (waitsendpay, listsendpays), lnd's failures as BOLT 4's, QueryRoutes as
 * getroutes with in-memory layers, the graph, invoices and hold invoices, and lnd's errors
 * as the engine's. What lnd does is docs/lnd.md.
 */
import assert from 'node:assert/strict';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, test } from 'node:test';
import { encodeBolt11 } from '../../packages/wire/src/index.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { AmpkitError, type Node, type SendpayRequest } from '../../packages/core/src/index.ts';
import {
  AMPKIT_RECORD,
  BLOCK_PADDING,
  featureHex,
  lndError,
  lndNode,
  partRecord,
  readAttemptFailure,
  scidFromLnd,
  scidToLnd,
} from '../../packages/core/src/node/lnd.ts';
import { BOB, DAVE, FakeLnd, HASH, NODE_KEY, OURS, PREIMAGE, SECRET, dropped, grpc, key } from './lnd-fake.ts';

const C1 = '100x1x0';
const C2 = '200x2x1';

function request(partid = 1, delivered = 100_000, total = 300_000): SendpayRequest {
  return {
    route: [
      { id: BOB, channel: C1, amount_msat: delivered + 1000, delay: 58, style: 'tlv' },
      { id: DAVE, channel: C2, amount_msat: delivered, delay: 18, style: 'tlv' },
    ],
    payment_hash: HASH,
    partid,
    groupid: 1,
    amount_msat: total,
    payment_secret: SECRET,
  };
}

async function setup(): Promise<{ lnd: FakeLnd; node: Node }> {
  const lnd = new FakeLnd();
  return { lnd, node: await lndNode(lnd, { pollInterval: 5, sendpayTimeout: 5 }) };
}

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AmpkitError ? error.code : error),
  );

const dir = (from: string, to: string) => (from < to ? 0 : 1);

describe('lndNode: sendpay', () => {
  test('sends one HTLC: the part record and MPP record on the last hop, skip_temp_err, CLTVs from the height plus padding', async () => {
    const { lnd, node } = await setup();
    const part = await node.sendpay(request());
    assert.deepEqual(
      {
        status: part.status,
        groupid: part.groupid,
        partid: part.partid,
        amount: part.amount_msat,
        sent: part.amount_sent_msat,
        to: part.destination,
      },
      { status: 'pending', groupid: 1, partid: 1, amount: 100_000, sent: 101_000, to: DAVE },
    );
    const sent = lnd.calls.filter((c) => c.method === 'SendToRouteV2');
    assert.equal(sent.length, 1);
    const r = sent[0]!.request;
    assert.equal(r.skipTempErr, true);
    assert.equal(bytesToHex(r.paymentHash), HASH);
    const height = lnd.height + BLOCK_PADDING;
    assert.equal(r.route.totalAmtMsat, 101_000n);
    assert.equal(r.route.totalTimeLock, height + 58);
    const [h0, h1] = r.route.hops;
    assert.deepEqual([h0.chanId, h0.pubKey, h0.amtToForwardMsat, h0.expiry], [scidToLnd(C1), BOB, 100_000n, height + 18]);
    assert.deepEqual([h1.chanId, h1.pubKey, h1.amtToForwardMsat, h1.expiry], [scidToLnd(C2), DAVE, 100_000n, height + 18]);
    assert.equal(h0.mppRecord, undefined);
    assert.equal(h0.customRecords.size, 0);
    assert.equal(bytesToHex(h1.mppRecord.paymentAddr), SECRET);
    assert.equal(h1.mppRecord.totalAmtMsat, 300_000n);
    assert.deepEqual([...h1.customRecords.keys()], [AMPKIT_RECORD]);
    assert.equal(bytesToHex(h1.customRecords.get(AMPKIT_RECORD)), '0000000000000001' + '0000000000000001');
  });

  test('the same part sent again is found at lnd by its record and given back, never sent twice', async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request());
    const again = await node.sendpay(request());
    assert.equal(again.status, 'pending');
    assert.equal(lnd.count('SendToRouteV2'), 1);
    lnd.fail(HASH, lnd.attempt(HASH).attemptId, { code: 15, failureSourceIndex: 1 });
    const third = await node.sendpay(request());
    assert.equal(third.status, 'failed');
    assert.equal(lnd.count('SendToRouteV2'), 1);
  });

  test('a SendToRouteV2 cut off by a dropped link after lnd registered it: sending again finds the part', async () => {
    const { lnd, node } = await setup();
    const send = lnd.handlers.SendToRouteV2!;
    lnd.handlers.SendToRouteV2 = (r) => {
      void send(r);
      throw dropped();
    };
    assert.ok(['resolved', 'CONNECTION'].includes((await code(node.sendpay(request()))) as string));
    const again = await node.sendpay(request());
    assert.equal(again.status, 'pending');
    assert.equal(lnd.count('SendToRouteV2'), 1);
    assert.equal(lnd.payments.get(HASH).htlcs.length, 1);
  });

  test("lnd's refusal of a part it never registered is a failed part with lnd's words (an attempt beyond the total)", async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request(1, 100_000, 150_000));
    const refused = await node.sendpay(request(2, 100_000, 150_000));
    assert.equal(refused.status, 'failed');
    assert.match(refused.failreason!, /attempted value exceeds payment amount/);
    assert.equal(refused.failcode, undefined);
    assert.equal(lnd.payments.get(HASH).htlcs.length, 1);
    // The TrackPaymentV2 that watched for the part was cancelled with the call.
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(lnd.openStreams, 0);
  });

  test('an error lnd answers after registering the part (lnd stopping while it waits) gives the registered part', async () => {
    const { lnd, node } = await setup();
    const send = lnd.handlers.SendToRouteV2!;
    lnd.handlers.SendToRouteV2 = (r) => {
      void send(r);
      throw grpc('SendToRouteV2', 2, 'router shutting down');
    };
    assert.equal((await node.sendpay(request())).status, 'pending');
    assert.equal(lnd.payments.get(HASH).htlcs.length, 1);
  });

  test('a status that is not a refusal (UNAVAILABLE) leaves it open whether lnd has the part: CONNECTION, and sending again asks lnd first', async () => {
    const { lnd, node } = await setup();
    const send = lnd.handlers.SendToRouteV2!;
    lnd.handlers.SendToRouteV2 = () => {
      throw grpc('SendToRouteV2', 14, 'lnd is not ready');
    };
    assert.equal(await code(node.sendpay(request())), 'CONNECTION');
    lnd.handlers.SendToRouteV2 = send;
    assert.equal((await node.sendpay(request())).status, 'pending');
    assert.equal(lnd.count('TrackPaymentV2') >= 2, true);
    assert.equal(lnd.payments.get(HASH).htlcs.length, 1);
  });

  test('no routerrpc sub-server (UNIMPLEMENTED) is NODE_ERROR', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.SendToRouteV2 = () => {
      throw grpc('SendToRouteV2', 12, 'unknown service routerrpc.Router');
    };
    const error = await node.sendpay(request()).catch((e: AmpkitError) => e);
    assert.deepEqual([(error as AmpkitError).code, (error as AmpkitError).nodeCode], ['NODE_ERROR', 12]);
  });

  test('a part that resolves before lnd is asked again: the answer of SendToRouteV2 itself', async () => {
    const { lnd, node } = await setup();
    const send = lnd.handlers.SendToRouteV2!;
    lnd.handlers.SendToRouteV2 = (r) => {
      const answer = send(r);
      lnd.settle(HASH, lnd.attempt(HASH).attemptId);
      return answer;
    };
    const part = await node.sendpay(request());
    assert.deepEqual([part.status, part.payment_preimage], ['complete', PREIMAGE]);
  });

  test('a hash already paid: AlreadyExists "invoice is already paid" is a failed part', async () => {
    const { lnd, node } = await setup();
    lnd.payments.set(HASH, { paymentHash: HASH, valueMsat: 300_000n, status: 2, htlcs: [], paymentPreimage: PREIMAGE });
    const part = await node.sendpay(request());
    assert.equal(part.status, 'failed');
    assert.equal(part.failreason, 'invoice is already paid');
  });

  test('a macaroon without offchain:write is PERMISSION naming it, not a failed part', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.SendToRouteV2 = () => {
      throw grpc('SendToRouteV2', 2, 'permission denied');
    };
    await assert.rejects(node.sendpay(request()), (e: AmpkitError) => e.code === 'PERMISSION' && /offchain:write/.test(e.message));
  });

  test('a part lnd never shows in time is TIMEOUT (the engine sends it again, which finds it)', async () => {
    const lnd = new FakeLnd();
    const node = await lndNode(lnd, { pollInterval: 5, sendpayTimeout: 0.05 });
    lnd.handlers.SendToRouteV2 = () => new Promise(() => {});
    assert.equal(await code(node.sendpay(request())), 'TIMEOUT');
  });

  test('sendpayTimeout must be seconds, 0 or more', async () => {
    await assert.rejects(lndNode(new FakeLnd(), { sendpayTimeout: -1 }), (e: AmpkitError) => e.code === 'INVALID_ARGUMENT');
  });
});

describe('lndNode: waitsendpay and listsendpays', () => {
  test('complete, with the preimage that hashes to the payment hash', async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request());
    setTimeout(() => lnd.settle(HASH, lnd.attempt(HASH).attemptId), 10);
    const part = await node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 5 });
    assert.equal(part.status, 'complete');
    assert.equal(part.payment_preimage, PREIMAGE);
    assert.equal(part.completed_at, 1_700_000_100);
  });

  test('a settled attempt whose preimage does not hash to the payment hash is BAD_REPLY', async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request());
    setTimeout(() => lnd.settle(HASH, lnd.attempt(HASH).attemptId, 'ee'.repeat(32)), 10);
    assert.equal(await code(node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 5 })), 'BAD_REPLY');
    assert.equal(await code(node.listsendpays({ payment_hash: HASH })), 'BAD_REPLY');
  });

  test("failed, with lnd's failure as BOLT 4's", async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request());
    setTimeout(() => lnd.fail(HASH, lnd.attempt(HASH).attemptId, { code: 15, failureSourceIndex: 1 }), 10);
    const part = await node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 5 });
    assert.deepEqual(
      [part.status, part.failcode, part.failcodename, part.erring_index, part.erring_node, part.erring_channel, part.erring_direction],
      ['failed', 0x1007, 'WIRE_TEMPORARY_CHANNEL_FAILURE', 1, BOB, C2, dir(BOB, DAVE)],
    );
  });

  test('TIMEOUT when the part stays in flight; at once for a timeout of 0; no stream left open', async () => {
    const { lnd, node } = await setup();
    await node.sendpay(request());
    assert.equal(await code(node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 0.05 })), 'TIMEOUT');
    assert.equal(await code(node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 0 })), 'TIMEOUT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(lnd.openStreams, 0);
  });

  test('NOT_FOUND for a payment lnd does not know, and for a part it has no record of', async () => {
    const { node } = await setup();
    assert.equal(await code(node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 5 })), 'NOT_FOUND');
    await node.sendpay(request());
    assert.equal(await code(node.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 2, timeout: 5 })), 'NOT_FOUND');
  });

  test('listsendpays: [] for an unknown hash; only attempts with our record, one row per part', async () => {
    const { lnd, node } = await setup();
    assert.deepEqual(await node.listsendpays({ payment_hash: HASH }), []);
    await node.sendpay(request(1));
    await node.sendpay(request(2));
    // Someone else's attempt on the same payment (no record): not ours.
    const foreign = structuredClone(lnd.attempt(HASH));
    foreign.route.hops.at(-1).customRecords = new Map();
    lnd.payments.get(HASH).htlcs.push(foreign);
    lnd.settle(HASH, lnd.attempt(HASH, 1).attemptId);
    const parts = await node.listsendpays({ payment_hash: HASH });
    assert.deepEqual(
      parts.map((p) => [p.partid, p.status]),
      [
        [1, 'pending'],
        [2, 'complete'],
      ],
    );
  });
});

describe("lndNode: lnd's failures (docs/lnd.md §4)", () => {
  const hops = [
    { chanId: scidToLnd(C1)!, pubKey: BOB },
    { chanId: scidToLnd(C2)!, pubKey: DAVE },
  ] as never[];
  const fail = (code: number, failureSourceIndex: number) => readAttemptFailure('test', { code, failureSourceIndex } as never, hops, OURS);

  test('every lnd code maps to its BOLT 4 number and WIRE_ name', () => {
    const table: [number, number, string][] = [
      [1, 0x400f, 'INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS'],
      [2, 0x4010, 'INCORRECT_PAYMENT_AMOUNT'],
      [3, 0x12, 'FINAL_INCORRECT_CLTV_EXPIRY'],
      [4, 0x13, 'FINAL_INCORRECT_HTLC_AMOUNT'],
      [5, 0x11, 'FINAL_EXPIRY_TOO_SOON'],
      [6, 0x8001, 'INVALID_REALM'],
      [7, 0x100e, 'EXPIRY_TOO_SOON'],
      [8, 0xc004, 'INVALID_ONION_VERSION'],
      [9, 0xc005, 'INVALID_ONION_HMAC'],
      [10, 0xc006, 'INVALID_ONION_KEY'],
      [11, 0x100b, 'AMOUNT_BELOW_MINIMUM'],
      [12, 0x100c, 'FEE_INSUFFICIENT'],
      [13, 0x100d, 'INCORRECT_CLTV_EXPIRY'],
      [14, 0x1014, 'CHANNEL_DISABLED'],
      [15, 0x1007, 'TEMPORARY_CHANNEL_FAILURE'],
      [16, 0x6003, 'REQUIRED_NODE_FEATURE_MISSING'],
      [17, 0x4009, 'REQUIRED_CHANNEL_FEATURE_MISSING'],
      [18, 0x400a, 'UNKNOWN_NEXT_PEER'],
      [19, 0x2002, 'TEMPORARY_NODE_FAILURE'],
      [20, 0x6002, 'PERMANENT_NODE_FAILURE'],
      [21, 0x4008, 'PERMANENT_CHANNEL_FAILURE'],
      [22, 0x15, 'EXPIRY_TOO_FAR'],
      [23, 0x17, 'MPP_TIMEOUT'],
      [24, 0x4016, 'INVALID_ONION_PAYLOAD'],
      [25, 0xc018, 'INVALID_ONION_BLINDING'],
    ];
    for (const [lnd, bolt4, name] of table) {
      const f = fail(lnd, 2);
      assert.deepEqual([f.failcode, f.failcodename], [bolt4, `WIRE_${name}`]);
    }
  });

  test('source index 0 is our node and our first channel; k the node hops[k-1]; the payee its last channel', () => {
    assert.deepEqual(fail(18, 0), {
      failcode: 0x400a,
      failcodename: 'WIRE_UNKNOWN_NEXT_PEER',
      erring_index: 0,
      erring_node: OURS,
      erring_channel: C1,
      erring_direction: dir(OURS, BOB),
    });
    assert.deepEqual(fail(23, 2), {
      failcode: 0x17,
      failcodename: 'WIRE_MPP_TIMEOUT',
      erring_index: 2,
      erring_node: DAVE,
      erring_channel: C2,
      erring_direction: dir(BOB, DAVE),
    });
  });

  test("lnd's own 997 and 999 give only a reason (their index is not a node); 998 names the node but no code", () => {
    assert.deepEqual(fail(997, 0), { failreason: 'lnd: INTERNAL_FAILURE' });
    assert.deepEqual(fail(999, 0), { failreason: 'lnd: UNREADABLE_FAILURE' });
    const unknown = fail(998, 1);
    assert.equal(unknown.failcode, undefined);
    assert.equal(unknown.erring_node, BOB);
    assert.match(unknown.failreason!, /UNKNOWN_FAILURE/);
    assert.deepEqual(fail(4242, 1), { failreason: 'lnd: failure code 4242' });
  });

  test('a source index beyond the route is BAD_REPLY', () => {
    assert.throws(
      () => fail(15, 3),
      (e: AmpkitError) => e.code === 'BAD_REPLY',
    );
  });

  test('short channel ids: lnd uint64 ↔ BLOCKxTXxOUT', () => {
    assert.equal(scidFromLnd(((800_000n << 40n) | (1234n << 16n) | 1n).toString()), '800000x1234x1');
    assert.equal(scidToLnd('800000x1234x1'), ((800_000n << 40n) | (1234n << 16n) | 1n).toString());
    assert.equal(scidToLnd('16777216x0x0'), undefined);
    assert.equal(scidFromLnd('18446744073709551616'), undefined);
    assert.equal(scidFromLnd('0'), undefined);
    assert.deepEqual(partRecord(2 ** 53 - 1, 7).length, 16);
  });
});

/** A QueryRoutes answer: us → BOB → DAVE delivering `amount` with a 1,000 msat fee, final CLTV 18 at `height`. */
const twoHops = (height: number, amount: bigint) => ({
  routes: [
    {
      totalTimeLock: height + 58,
      totalAmtMsat: amount + 1000n,
      hops: [
        { chanId: scidToLnd(C1), pubKey: BOB, amtToForwardMsat: amount, expiry: height + 18 },
        { chanId: scidToLnd(C2), pubKey: DAVE, amtToForwardMsat: amount, expiry: height + 18 },
      ],
    },
  ],
});
const routesRequest = { source: OURS, destination: DAVE, amount_msat: 100_000, layers: [] as string[], maxfee_msat: 5000, final_cltv: 18 };

describe('lndNode: getroutes by QueryRoutes, askrene layers in memory', () => {
  test("lnd's route as the engine's hops: what arrives at each node and its CLTV delta", async () => {
    const { lnd, node } = await setup();
    lnd.handlers.QueryRoutes = () => twoHops(lnd.height, 100_000n);
    const [route, ...more] = await node.getroutes(routesRequest);
    assert.equal(more.length, 0);
    assert.deepEqual(route, {
      amount_msat: 100_000,
      route: [
        { id: BOB, channel: C1, direction: dir(OURS, BOB), amount_msat: 101_000, delay: 58, style: 'tlv' },
        { id: DAVE, channel: C2, direction: dir(BOB, DAVE), amount_msat: 100_000, delay: 18, style: 'tlv' },
      ],
    });
    const q = lnd.calls.find((c) => c.method === 'QueryRoutes')!.request;
    assert.deepEqual([q.pubKey, q.amtMsat, q.finalCltvDelta, q.useMissionControl], [DAVE, 100_000n, 18, true]);
    assert.deepEqual(q.feeLimit.limit, { $case: 'fixedMsat', fixedMsat: 5000n });
  });

  test('layers become ignored_nodes and ignored_pairs; a constraint only when the amount reaches it', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.QueryRoutes = () => twoHops(lnd.height, 100_000n);
    await node.getroutes(routesRequest); // learns the channels' ends
    await node.askrenecreatelayer({ layer: 'pay-1' });
    await node.askrenedisablenode({ layer: 'pay-1', node: BOB });
    await node.askrenedisablechannel({ layer: 'pay-1', short_channel_id_dir: `${C2}/${dir(BOB, DAVE)}` });
    await node.askreneconstrainchannel({ layer: 'pay-1', short_channel_id_dir: `${C1}/${dir(OURS, BOB)}`, amount_msat: 150_000 });
    await node.getroutes({ ...routesRequest, layers: ['pay-1', 'auto.localchans'] });
    let q = lnd.calls.filter((c) => c.method === 'QueryRoutes').at(-1)!.request;
    assert.deepEqual(q.ignoredNodes.map(bytesToHex), [BOB]);
    assert.deepEqual(
      q.ignoredPairs.map((p: { from: Uint8Array; to: Uint8Array }) => [bytesToHex(p.from), bytesToHex(p.to)]),
      [[BOB, DAVE]],
    );
    await node.askreneconstrainchannel({ layer: 'pay-1', short_channel_id_dir: `${C1}/${dir(OURS, BOB)}`, amount_msat: 90_000 });
    await node.getroutes({ ...routesRequest, layers: ['pay-1'] });
    q = lnd.calls.filter((c) => c.method === 'QueryRoutes').at(-1)!.request;
    assert.equal(q.ignoredPairs.length, 2);
    await node.askreneremovelayer({ layer: 'pay-1' });
    assert.equal(await code(node.getroutes({ ...routesRequest, layers: ['pay-1'] })), 'NODE_ERROR');
    assert.equal(await code(node.askreneremovelayer({ layer: 'pay-1' })), 'NODE_ERROR');
    await node.askrenecreatelayer({ layer: 'x' });
    assert.equal(await code(node.askrenecreatelayer({ layer: 'x' })), 'NODE_ERROR');
  });

  test("lnd's no-route texts are getroutes' codes: 205 no path, 215 not enough balance, 206 only when a query without fee limit finds one", async () => {
    const { lnd, node } = await setup();
    const nodeCode = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: AmpkitError) => e.nodeCode,
      );
    lnd.handlers.QueryRoutes = () => {
      throw grpc('QueryRoutes', 2, 'unable to find a path to destination');
    };
    assert.equal(await nodeCode(node.getroutes(routesRequest)), 205);
    lnd.handlers.QueryRoutes = () => {
      throw grpc('QueryRoutes', 2, 'insufficient local balance');
    };
    assert.equal(await nodeCode(node.getroutes(routesRequest)), 215);
    lnd.handlers.QueryRoutes = (q) => {
      if (q.feeLimit) throw grpc('QueryRoutes', 2, 'unable to find a path to destination');
      return twoHops(lnd.height, 100_000n);
    };
    assert.equal(await nodeCode(node.getroutes(routesRequest)), 206);
  });

  test('a route that does not deliver the amount, or costs more than the fee limit, is BAD_REPLY', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.QueryRoutes = () => twoHops(lnd.height, 99_000n);
    assert.equal(await code(node.getroutes(routesRequest)), 'BAD_REPLY');
    lnd.handlers.QueryRoutes = () => twoHops(lnd.height, 100_000n);
    assert.equal(await code(node.getroutes({ ...routesRequest, maxfee_msat: 999 })), 'BAD_REPLY');
  });

  test('no single path: the amount split over our channels by what each can spend less its share of the fee budget (the first hop carries the later fees), one query per share', async () => {
    const { lnd, node } = await setup();
    const A = ((700n << 40n) | (1n << 16n)).toString();
    const B = ((701n << 40n) | (1n << 16n)).toString();
    lnd.handlers.ListChannels = () => ({
      channels: [
        { active: true, remotePubkey: DAVE, chanId: A, capacity: 100n, localBalance: 60n },
        { active: true, remotePubkey: DAVE, chanId: B, capacity: 100n, localBalance: 70n },
      ],
    });
    lnd.handlers.QueryRoutes = (q) => {
      const chan = q.outgoingChanIds[0];
      if (chan === undefined) throw grpc('QueryRoutes', 2, 'insufficient local balance');
      return {
        routes: [
          {
            totalTimeLock: lnd.height + 18,
            totalAmtMsat: q.amtMsat,
            hops: [{ chanId: chan.toString(), pubKey: DAVE, amtToForwardMsat: q.amtMsat, expiry: lnd.height + 18 }],
          },
        ],
      };
    };
    const routes = await node.getroutes({ ...routesRequest, maxparts: 4 });
    assert.deepEqual(
      routes.map((r) => [r.amount_msat, r.route[0]!.channel]),
      [
        [66_500, scidFromLnd(B)],
        [33_500, scidFromLnd(A)],
      ],
    );
    const fees = lnd.calls
      .filter((c) => c.method === 'QueryRoutes' && c.request.outgoingChanIds.length)
      .map((c) => c.request.feeLimit.limit.fixedMsat);
    assert.deepEqual(fees, [3325n, 1675n], 'each share within its part of the budget: with its fees it still fits its channel');
  });
});

describe('lndNode: the graph, our channels, getinfo', () => {
  const graph = () => ({
    nodes: [
      { pubKey: BOB, features: { 0: { name: 'x' }, 17: { name: 'mpp' } } },
      { pubKey: DAVE, features: {} },
      { pubKey: 'zz', features: {} },
    ],
    edges: [
      {
        channelId: scidToLnd(C2),
        node1Pub: BOB < DAVE ? BOB : DAVE,
        node2Pub: BOB < DAVE ? DAVE : BOB,
        capacity: 1000n,
        node1Policy: {
          timeLockDelta: 40,
          minHtlc: 1000n,
          feeBaseMsat: 1000n,
          feeRateMilliMsat: 100n,
          disabled: false,
          maxHtlcMsat: 990_000n,
          lastUpdate: 1_700_000_000,
        },
        node2Policy: undefined,
      },
      { channelId: '0', node1Pub: BOB, node2Pub: DAVE, capacity: 1n, node1Policy: { timeLockDelta: 1 } },
      { channelId: scidToLnd('300x1x1'), node1Pub: BOB, node2Pub: 'zz', capacity: 1n, node1Policy: { timeLockDelta: 1 } },
      {
        channelId: scidToLnd('300x1x2'),
        node1Pub: BOB,
        node2Pub: DAVE,
        capacity: 1n,
        node1Policy: { timeLockDelta: 1, feeRateMilliMsat: 1n << 40n },
      },
    ],
  });

  test('one DescribeGraph serves listchannels and listnodes; a policy per direction, malformed entries left out', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.DescribeGraph = graph;
    const channels = await node.listchannels();
    const nodes = await node.listnodes();
    assert.equal(lnd.count('DescribeGraph'), 1);
    const [n1, n2] = BOB < DAVE ? [BOB, DAVE] : [DAVE, BOB];
    assert.deepEqual(channels, [
      {
        source: n1,
        destination: n2,
        short_channel_id: C2,
        direction: 0,
        amount_msat: 1_000_000,
        active: true,
        base_fee_millisatoshi: 1000,
        fee_per_millionth: 100,
        delay: 40,
        htlc_minimum_msat: 1000,
        htlc_maximum_msat: 990_000,
        last_update: 1_700_000_000,
      },
    ]);
    assert.deepEqual(nodes, [{ nodeid: BOB, features: '020001' }, { nodeid: DAVE }]);
    assert.equal(featureHex([0, 17]), '020001');
    const handed: unknown[] = [];
    assert.deepEqual(await node.listchannels({}, (c) => handed.push(c)), []);
    assert.equal(handed.length, 1);
  });

  test("listpeerchannels: lnd's balances in sat less the reserve, the link's state", async () => {
    const { lnd, node } = await setup();
    lnd.handlers.ListChannels = () => ({
      channels: [
        {
          active: true,
          remotePubkey: BOB,
          chanId: scidToLnd(C1),
          capacity: 1000n,
          localBalance: 600n,
          localConstraints: { chanReserveSat: 10n, minHtlcMsat: 1n, maxPendingAmtMsat: 990_000n },
        },
        {
          active: false,
          remotePubkey: DAVE,
          chanId: scidToLnd(C2),
          capacity: 1000n,
          localBalance: 5n,
          localConstraints: { chanReserveSat: 10n },
        },
      ],
    });
    assert.deepEqual(await node.listpeerchannels(), [
      {
        peer_id: BOB,
        short_channel_id: C1,
        state: 'CHANNELD_NORMAL',
        peer_connected: true,
        spendable_msat: 590_000,
        total_msat: 1_000_000,
        minimum_htlc_out_msat: 1,
        maximum_htlc_out_msat: 990_000,
      },
      {
        peer_id: DAVE,
        short_channel_id: C2,
        state: 'LND_INACTIVE',
        peer_connected: false,
        spendable_msat: 0,
        total_msat: 1_000_000,
        minimum_htlc_out_msat: 0,
      },
    ]);
  });

  test("getinfo in Core Lightning's words (mainnet is bitcoin); another node's identity later is BAD_REPLY", async () => {
    const lnd = new FakeLnd();
    lnd.network = 'mainnet';
    const node = await lndNode(lnd);
    assert.equal(node.id, OURS);
    assert.deepEqual(await node.getinfo(), { id: OURS, alias: 'fake-lnd', color: '3399ff', network: 'bitcoin', blockheight: 800_000 });
    lnd.handlers.GetInfo = () => ({ identityPubkey: BOB, color: '#000000', chains: [{ network: 'regtest' }] });
    assert.equal(await code(node.getinfo()), 'BAD_REPLY');
  });
});

const bolt11 = (amount_msat: number, hash = HASH, signer = NODE_KEY) =>
  encodeBolt11(
    { currency: 'bcrt', amount_msat, payment_hash: hash, payment_secret: SECRET, description: 'd', created_at: 1_700_000_000, expiry: 600 },
    signer,
  );

describe('lndNode: invoices', () => {
  test('invoice is AddInvoice; expires_at read from the bolt11; a bolt11 not ours is BAD_REPLY', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.AddInvoice = () => ({ rHash: hexToBytes(HASH), paymentRequest: bolt11(50_000), addIndex: 1n });
    const made = await node.invoice({ amount_msat: 50_000, label: 'shop-1', description: 'd', expiry: 600 });
    assert.deepEqual(made, { payment_hash: HASH, bolt11: bolt11(50_000), expires_at: 1_700_000_600 });
    const q = lnd.calls.find((c) => c.method === 'AddInvoice')!.request;
    assert.deepEqual([q.memo, q.valueMsat, q.expiry], ['d', 50_000n, 600n]);
    lnd.handlers.AddInvoice = () => ({ rHash: hexToBytes(HASH), paymentRequest: bolt11(50_000, HASH, key(9)) });
    assert.equal(await code(node.invoice({ amount_msat: 50_000, label: 'shop-2', description: 'd', expiry: 600 })), 'BAD_REPLY');
  });

  const invoice = (state: number, extra: object = {}) => ({
    rHash: hexToBytes(HASH),
    rPreimage: hexToBytes(PREIMAGE),
    valueMsat: 50_000n,
    paymentRequest: bolt11(50_000),
    creationDate: 1_700_000_000n,
    state,
    ...extra,
  });

  test('listinvoices: OPEN and ACCEPTED unpaid (no preimage yet), SETTLED paid with its checked preimage, CANCELED expired, unknown []', async () => {
    const { lnd, node } = await setup();
    const status = async (state: number, extra?: object) => {
      lnd.handlers.LookupInvoice = () => invoice(state, extra);
      return (await node.listinvoices({ payment_hash: HASH }))[0]!;
    };
    const open = await status(0);
    assert.deepEqual([open.status, open.payment_preimage, open.expires_at, open.label], ['unpaid', undefined, 1_700_000_600, '']);
    assert.equal((await status(3)).status, 'unpaid');
    assert.equal((await status(2)).status, 'expired');
    const paid = await status(1, { amtPaidMsat: 50_000n, settleDate: 1_700_000_100n });
    assert.deepEqual(
      [paid.status, paid.payment_preimage, paid.amount_received_msat, paid.paid_at],
      ['paid', PREIMAGE, 50_000, 1_700_000_100],
    );
    lnd.handlers.LookupInvoice = () => invoice(1, { rPreimage: hexToBytes('ee'.repeat(32)) });
    assert.equal(await code(node.listinvoices({ payment_hash: HASH })), 'BAD_REPLY');
    lnd.handlers.LookupInvoice = () => {
      throw grpc('LookupInvoice', 5, 'unable to locate invoice');
    };
    assert.deepEqual(await node.listinvoices({ payment_hash: HASH }), []);
  });

  test('hold invoices: AddHoldInvoice; states and HTLCs mapped; a plain invoice is not one', async () => {
    const { lnd, node } = await setup();
    lnd.handlers.AddHoldInvoice = () => ({ paymentRequest: bolt11(50_000), addIndex: 1n });
    assert.deepEqual(await node.holdinvoice({ payment_hash: HASH, amount_msat: 50_000, description: 'd', expiry: 600 }), {
      bolt11: bolt11(50_000),
    });
    const q = lnd.calls.find((c) => c.method === 'AddHoldInvoice')!.request;
    assert.deepEqual([bytesToHex(q.hash), q.valueMsat, q.memo, q.expiry], [HASH, 50_000n, 'd', 600n]);
    const htlc = (state: number) => ({
      chanId: scidToLnd(C1),
      htlcIndex: 4n,
      amtMsat: 25_000n,
      acceptTime: 1_700_000_010n,
      expiryHeight: 800_100,
      state,
    });
    const hold = async (state: number, extra: object) => {
      lnd.handlers.LookupInvoice = () => invoice(state, { rPreimage: new Uint8Array(0), ...extra });
      return (await node.listholdinvoices({ payment_hash: HASH }))[0];
    };
    const accepted = await hold(3, { htlcs: [htlc(0), htlc(2)] });
    assert.equal(accepted!.state, 'accepted');
    assert.deepEqual(accepted!.htlcs, [
      { short_channel_id: C1, id: 4, amount_msat: 25_000, expiry: 800_100, state: 'accepted', created_at: 1_700_000_010 },
      { short_channel_id: C1, id: 4, amount_msat: 25_000, expiry: 800_100, state: 'cancelled', created_at: 1_700_000_010 },
    ]);
    assert.equal((await hold(0, {}))!.state, 'unpaid');
    assert.equal((await hold(2, {}))!.state, 'cancelled');
    const paid = await hold(1, { rPreimage: hexToBytes(PREIMAGE), settleDate: 1_700_000_200n, htlcs: [htlc(1)] });
    assert.deepEqual([paid!.state, paid!.preimage, paid!.paid_at, paid!.htlcs[0]!.state], ['paid', PREIMAGE, 1_700_000_200, 'paid']);
    lnd.handlers.LookupInvoice = () => invoice(0);
    assert.deepEqual(await node.listholdinvoices({ payment_hash: HASH }), []);
  });

  test("a plain invoice lists lnd's HTLCs (it keeps no HTLC history): held, settled, cancelled with lnd's resolve time", async () => {
    const { lnd, node } = await setup();
    const htlc = (index: bigint, state: number, resolveTime = 0n) => ({
      chanId: scidToLnd(C2),
      htlcIndex: index,
      amtMsat: 20_000n,
      acceptTime: 1_700_000_010n,
      resolveTime,
      expiryHeight: 800_100,
      state,
    });
    lnd.handlers.LookupInvoice = () => invoice(0, { htlcs: [htlc(1n, 0), htlc(2n, 2, 1_700_000_130n)] });
    const [open] = await node.listinvoices({ payment_hash: HASH });
    assert.deepEqual(open!.htlcs, [
      { short_channel_id: C2, id: 1, amount_msat: 20_000, expiry: 800_100, state: 'accepted', created_at: 1_700_000_010 },
      {
        short_channel_id: C2,
        id: 2,
        amount_msat: 20_000,
        expiry: 800_100,
        state: 'cancelled',
        created_at: 1_700_000_010,
        resolved_at: 1_700_000_130,
      },
    ]);
    lnd.handlers.LookupInvoice = () => invoice(0, { htlcs: [htlc(1n, 7)] });
    assert.equal(await code(node.listinvoices({ payment_hash: HASH })), 'BAD_REPLY');
  });

  test('waitinvoices: one SubscribeSingleInvoice per followed invoice, kept open; a state change wakes it at once, else the poll interval; all closed on abort', async () => {
    const lnd = new FakeLnd();
    const node = await lndNode(lnd, { invoicePollInterval: 80 });
    let change!: () => void;
    const changed = new Promise<void>((resolve) => (change = resolve));
    lnd.handlers.SubscribeSingleInvoice = async function* (request: { rHash: Uint8Array }) {
      yield invoice(0, { rHash: request.rHash });
      if (bytesToHex(request.rHash) !== HASH) return yield* [];
      await changed;
      yield invoice(3);
      await new Promise(() => undefined);
    };
    const other = 'ef'.repeat(32);
    const abort = new AbortController();
    const wait = () => node.waitinvoices!({ payment_hashes: [HASH, other], signal: abort.signal });
    let started = performance.now();
    await wait();
    assert.ok(performance.now() - started >= 70, 'nothing changed: the poll interval');
    assert.equal(lnd.count('SubscribeSingleInvoice'), 2);
    started = performance.now();
    const woken = wait();
    setTimeout(change, 10);
    await woken;
    assert.ok(performance.now() - started < 70, 'woken by the state change');
    // The stream of HASH is still open; the other ended (its invoice was final) and is asked again.
    await wait();
    assert.equal(lnd.calls.filter((c) => c.method === 'SubscribeSingleInvoice' && bytesToHex(c.request.rHash) === HASH).length, 1);
    assert.ok(lnd.openStreams >= 1);
    await node.waitinvoices!({ payment_hashes: [], signal: abort.signal });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(lnd.openStreams, 0, 'an invoice no longer followed has its stream closed');
    const last = wait();
    abort.abort();
    await last;
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(lnd.openStreams, 0, 'none left open once the signal aborts');
  });

  test("settle and cancel: lnd's texts as NOT_FOUND or NODE_ERROR; no invoicesrpc is HOLD_UNSUPPORTED", async () => {
    const { lnd, node } = await setup();
    lnd.handlers.SettleInvoice = () => ({});
    lnd.handlers.CancelInvoice = () => ({});
    await node.settleholdinvoice({ preimage: PREIMAGE });
    assert.equal(bytesToHex(lnd.calls.find((c) => c.method === 'SettleInvoice')!.request.preimage), PREIMAGE);
    await node.cancelholdinvoice({ payment_hash: HASH });
    const refuse = (method: string, status: number, text: string) => {
      lnd.handlers[method] = () => {
        throw grpc(method, status, text);
      };
    };
    refuse('SettleInvoice', 2, 'unable to locate invoice');
    assert.equal(await code(node.settleholdinvoice({ preimage: PREIMAGE })), 'NOT_FOUND');
    refuse('SettleInvoice', 2, 'invoice still open');
    assert.equal(await code(node.settleholdinvoice({ preimage: PREIMAGE })), 'NODE_ERROR');
    refuse('SettleInvoice', 2, 'invoice already canceled');
    assert.equal(await code(node.settleholdinvoice({ preimage: PREIMAGE })), 'NODE_ERROR');
    refuse('CancelInvoice', 2, 'invoice already settled');
    assert.equal(await code(node.cancelholdinvoice({ payment_hash: HASH })), 'NODE_ERROR');
    for (const method of ['AddHoldInvoice', 'SettleInvoice', 'CancelInvoice']) refuse(method, 12, 'unknown service invoicesrpc.Invoices');
    assert.equal(await code(node.holdinvoice({ payment_hash: HASH, amount_msat: 1 })), 'HOLD_UNSUPPORTED');
    assert.equal(await code(node.settleholdinvoice({ preimage: PREIMAGE })), 'HOLD_UNSUPPORTED');
    assert.equal(await code(node.cancelholdinvoice({ payment_hash: HASH })), 'HOLD_UNSUPPORTED');
  });
});

describe("lndNode: lnd's errors as the engine's", () => {
  test('permission denied (and no macaroon) name the method and the permission it needs', () => {
    const cases: [Parameters<typeof lndError>[0], string][] = [
      ['getInfo', 'info:read'],
      ['listChannels', 'offchain:read'],
      ['queryRoutes', 'info:read'],
      ['sendToRouteV2', 'offchain:write'],
      ['trackPaymentV2', 'offchain:read'],
      ['addInvoice', 'invoices:write'],
      ['lookupInvoice', 'invoices:read'],
      ['settleInvoice', 'invoices:write'],
    ];
    for (const [method, permission] of cases) {
      for (const text of ['permission denied', 'expected 1 macaroon, got 0']) {
        const e = lndError(method, grpc(method, 2, text));
        assert.equal(e.code, 'PERMISSION');
        assert.ok(e.message.includes(permission), e.message);
        assert.deepEqual((e.data as { message: string }).message, text);
      }
    }
  });

  test("any other gRPC status is NODE_ERROR with its code; the link's failures keep theirs", () => {
    const e = lndError('getInfo', grpc('GetInfo', 14, 'connection refused'));
    assert.deepEqual([e.code, e.nodeCode], ['NODE_ERROR', 14]);
    assert.match(e.message, /GetInfo: connection refused/);
    assert.equal(lndError('getInfo', dropped()).code, 'CONNECTION');
    assert.equal(lndError('getInfo', new WireError('TIMEOUT', 'slow')).code, 'TIMEOUT');
    assert.equal(lndError('getInfo', new WireError('BAD_REPLY', 'junk')).code, 'BAD_REPLY');
    assert.equal(lndError('getInfo', new WireError('PROTOCOL', 'broken')).code, 'CONNECTION');
    assert.equal(lndError('getInfo', new TypeError('x')).code, 'CONNECTION');
  });

  test('listhtlcs and waithtlcs have no lnd equivalent: a NODE_ERROR saying so, not a fake', async () => {
    const { node } = await setup();
    for (const call of [node.listhtlcs({ index: 'created', start: 0 }), node.waithtlcs({ index: 'created', next: 0 })])
      await assert.rejects(
        call,
        (e: AmpkitError) => e.code === 'NODE_ERROR' && (e.data as { reason: string }).reason === 'lnd-no-htlc-history',
      );
  });

  test("connected() follows the client's state", async () => {
    const { lnd, node } = await setup();
    await node.connected();
    lnd.setState('reconnecting');
    const waiting = node.connected();
    lnd.setState('open');
    await waiting;
    lnd.setState('closed');
    assert.equal(await code(node.connected()), 'CONNECTION');
  });
});
