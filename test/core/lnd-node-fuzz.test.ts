/**
 * Hostile replies at the LND adapter (lndNode): for every lnd method the engine's calls use,
 * a well-formed reply is mutated — as protobuf bytes (flipped, cut, spliced, random) or as
 * the message before encoding (a field's value replaced by an extreme or foreign one of its
 * type, a message or list emptied, a record changed) — and each call must resolve with a
 * value of the promised shape or reject with an engine AmpkitError, never another exception,
 * never a hang, and never hand over a preimage that does not hash to the payment hash.
 * FUZZ_N / 10 replies per call (seeded: a failure replays).
 */
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, test } from 'node:test';
import { encodeBolt11 } from '../../packages/wire/src/index.ts';
import { AmpkitError, type Node, type NodePart } from '../../packages/core/src/index.ts';
import { AMPKIT_RECORD, lndNode, partRecord, scidToLnd } from '../../packages/core/src/node/lnd.ts';
import { FUZZ_N } from '../fuzz-count.ts';
import { prng } from '../wire/helpers.ts';
import { BOB, DAVE, FakeLnd, HASH, NODE_KEY, OURS, PREIMAGE, SECRET, encodeReply, grpc } from './lnd-fake.ts';

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[(rand() * xs.length) | 0]!;
const N = Math.max(50, Math.floor(FUZZ_N / 10));

// The fake never drops the link nor refuses: CONNECTION or NODE_ERROR would be a reply misread.
const ENGINE_CODES = new Set(['BAD_REPLY', 'NOT_FOUND', 'TIMEOUT']);

const hop = (chan: string, pubKey: string, amt: bigint, expiry: number, last = false) => ({
  chanId: scidToLnd(chan),
  pubKey,
  amtToForwardMsat: amt,
  expiry,
  ...(last
    ? {
        mppRecord: { paymentAddr: hexToBytes(SECRET), totalAmtMsat: 300_000n },
        customRecords: new Map([[AMPKIT_RECORD, partRecord(1, 1)]]),
      }
    : {}),
});
const route = (last = true) => ({
  totalTimeLock: 800_076,
  totalAmtMsat: 101_000n,
  hops: [hop('100x1x0', BOB, 100_000n, 800_021), hop('200x2x1', DAVE, 100_000n, 800_021, last)],
});
const settled = () => ({
  attemptId: 1000n,
  status: 1,
  route: route(),
  attemptTimeNs: 1n,
  resolveTimeNs: 2n,
  preimage: hexToBytes(PREIMAGE),
});
const failed = () => {
  const r = route();
  r.hops[1]!.customRecords = new Map([[AMPKIT_RECORD, partRecord(1, 2)]]);
  return { attemptId: 1001n, status: 2, route: r, failure: { code: 15, failureSourceIndex: 1 } };
};
const payment = () => ({
  paymentHash: HASH,
  valueMsat: 300_000n,
  status: 2,
  paymentPreimage: PREIMAGE,
  htlcs: [settled(), failed(), { attemptId: 999n, status: 0, route: route(false) }],
});
const bolt11 = encodeBolt11(
  {
    currency: 'bcrt',
    amount_msat: 50_000,
    payment_hash: HASH,
    payment_secret: SECRET,
    description: 'd',
    created_at: 1_700_000_000,
    expiry: 600,
  },
  NODE_KEY,
);
const invoice = () => ({
  rHash: hexToBytes(HASH),
  rPreimage: hexToBytes(PREIMAGE),
  valueMsat: 50_000n,
  amtPaidMsat: 50_000n,
  paymentRequest: bolt11,
  creationDate: 1_700_000_000n,
  settleDate: 1_700_000_100n,
  state: 1,
  htlcs: [{ chanId: scidToLnd('100x1x0'), htlcIndex: 3n, amtMsat: 50_000n, acceptTime: 1_700_000_050n, expiryHeight: 800_100, state: 1 }],
});
const policy = () => ({
  timeLockDelta: 40,
  minHtlc: 1000n,
  feeBaseMsat: 1000n,
  feeRateMilliMsat: 100n,
  maxHtlcMsat: 990_000n,
  lastUpdate: 1,
});

/** Each call and the lnd method whose replies are mutated, with a well-formed reply. */
const CALLS: { name: string; method: string; seed: () => unknown; stream?: boolean; call: (node: Node) => Promise<unknown> }[] = [
  {
    name: 'getinfo',
    method: 'GetInfo',
    seed: () => ({ identityPubkey: OURS, alias: 'a', color: '#3399ff', blockHeight: 800_000, chains: [{ network: 'regtest' }] }),
    call: (n) => n.getinfo(),
  },
  { name: 'listsendpays', method: 'TrackPaymentV2', stream: true, seed: payment, call: (n) => n.listsendpays({ payment_hash: HASH }) },
  {
    name: 'waitsendpay',
    method: 'TrackPaymentV2',
    stream: true,
    seed: payment,
    call: (n) => n.waitsendpay({ payment_hash: HASH, groupid: 1, partid: 1, timeout: 0.05 }),
  },
  {
    name: 'sendpay',
    method: 'SendToRouteV2',
    seed: settled,
    call: (n) =>
      n.sendpay({
        route: [
          { id: BOB, channel: '100x1x0', amount_msat: 101_000, delay: 58 },
          { id: DAVE, channel: '200x2x1', amount_msat: 100_000, delay: 18 },
        ],
        payment_hash: HASH,
        groupid: 1,
        partid: 1,
        amount_msat: 300_000,
        payment_secret: SECRET,
      }),
  },
  {
    name: 'getroutes',
    method: 'QueryRoutes',
    seed: () => ({ routes: [route(false)] }),
    call: (n) => n.getroutes({ source: OURS, destination: DAVE, amount_msat: 100_000, layers: [], maxfee_msat: 5000, final_cltv: 18 }),
  },
  {
    name: 'listchannels',
    method: 'DescribeGraph',
    seed: () => ({
      nodes: [{ pubKey: BOB, features: { 17: { name: 'mpp' } } }],
      edges: [
        { channelId: scidToLnd('200x2x1'), node1Pub: BOB, node2Pub: DAVE, capacity: 1000n, node1Policy: policy(), node2Policy: policy() },
      ],
    }),
    call: async (n) => [await n.listchannels(), await n.listnodes()],
  },
  {
    name: 'listpeerchannels',
    method: 'ListChannels',
    seed: () => ({
      channels: [
        {
          active: true,
          remotePubkey: BOB,
          chanId: scidToLnd('100x1x0'),
          capacity: 1000n,
          localBalance: 600n,
          localConstraints: { chanReserveSat: 10n, minHtlcMsat: 1n, maxPendingAmtMsat: 9n },
        },
      ],
    }),
    call: (n) => n.listpeerchannels(),
  },
  {
    name: 'invoice',
    method: 'AddInvoice',
    seed: () => ({ rHash: hexToBytes(HASH), paymentRequest: bolt11, addIndex: 1n }),
    call: (n) => n.invoice({ amount_msat: 50_000, label: 'l', description: 'd', expiry: 600 }),
  },
  { name: 'listinvoices', method: 'LookupInvoice', seed: invoice, call: (n) => n.listinvoices({ payment_hash: HASH }) },
  { name: 'listholdinvoices', method: 'LookupInvoice', seed: invoice, call: (n) => n.listholdinvoices({ payment_hash: HASH }) },
  {
    name: 'holdinvoice',
    method: 'AddHoldInvoice',
    seed: () => ({ paymentRequest: bolt11, addIndex: 1n }),
    call: (n) => n.holdinvoice({ payment_hash: HASH, amount_msat: 50_000 }),
  },
];

/** Replacements for a leaf, by its type: extreme and foreign values the encoder still writes. */
function replace(rand: Rand, old: unknown): unknown {
  if (typeof old === 'bigint')
    return pick(rand, [0n, 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n, old + 1n, old - 1n, BigInt((rand() * 1e9) | 0)]);
  if (typeof old === 'number') return pick(rand, [0, 1, 2 ** 31 - 1, 4, 999, 997, old + 1, Math.max(0, old - 1), (rand() * 1e6) | 0]);
  if (typeof old === 'boolean') return !old;
  if (typeof old === 'string')
    return pick(rand, [
      '',
      'zz',
      OURS,
      BOB,
      DAVE,
      HASH,
      '0'.repeat(64),
      old.toUpperCase(),
      `${old}0`,
      '#ff',
      scidToLnd('1x1x1'),
      '18446744073709551615',
    ]);
  if (old instanceof Uint8Array) {
    const n = pick(rand, [0, 1, 15, 16, 17, 31, 32, 33]);
    return pick(rand, [
      new Uint8Array(n),
      Uint8Array.from({ length: n }, () => (rand() * 256) | 0),
      hexToBytes('ee'.repeat(32)),
      old.slice(1),
    ]);
  }
  return undefined;
}

/** Changes one to three places of a message (in place). */
function mutateMessage(rand: Rand, message: unknown): void {
  const slots: [object, string | number, unknown][] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > 8 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (value instanceof Map) {
      for (const [k, v] of value) slots.push([value, k, v]);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      slots.push([value, Array.isArray(value) ? Number(k) : k, v]);
      walk(v, depth + 1);
    }
  };
  walk(message, 0);
  for (let i = 1 + ((rand() * 3) | 0); i > 0 && slots.length; i--) {
    const [holder, k, old] = pick(rand, slots);
    let value: unknown;
    if (Array.isArray(old)) value = pick(rand, [[], [...old, ...old], old.slice(1), [...old].reverse()]);
    else if (old !== null && typeof old === 'object' && !(old instanceof Uint8Array) && !(old instanceof Map))
      value = rand() < 0.5 ? undefined : old;
    else value = replace(rand, old);
    if (holder instanceof Map) holder.set(k, value instanceof Uint8Array ? value : new Uint8Array(0));
    else if (Array.isArray(holder)) holder[k as number] = value ?? holder[k as number];
    else (holder as Record<string, unknown>)[k as string] = value;
  }
}

/** Changes the bytes: a flip, a cut, a splice, or random bytes. */
function mutateBytes(rand: Rand, bytes: Uint8Array): Uint8Array {
  const b = Uint8Array.from(bytes);
  switch ((rand() * 4) | 0) {
    case 0:
      for (let i = 1 + ((rand() * 3) | 0); i > 0 && b.length; i--) {
        const at = (rand() * b.length) | 0;
        b[at] = b[at]! ^ (1 << ((rand() * 8) | 0));
      }
      return b;
    case 1:
      return b.slice(0, (rand() * b.length) | 0);
    case 2: {
      const at = (rand() * b.length) | 0;
      return Uint8Array.from([
        ...b.slice(0, at),
        ...Array.from({ length: 1 + ((rand() * 8) | 0) }, () => (rand() * 256) | 0),
        ...b.slice(at),
      ]);
    }
    default:
      return Uint8Array.from({ length: (rand() * 64) | 0 }, () => (rand() * 256) | 0);
  }
}

/** A preimage handed over must hash to the payment hash, wherever it is in a result. */
function checkPreimages(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  const v = value as Record<string, unknown>;
  for (const field of ['payment_preimage', 'preimage']) {
    if (v[field] !== undefined)
      assert.equal(bytesToHex(sha256(hexToBytes(v[field] as string))), HASH, `${field} does not hash to the payment hash`);
  }
  if ((v as Partial<NodePart>).status === 'complete')
    assert.ok(typeof v.payment_preimage === 'string', 'a complete part without its preimage');
  Object.values(v).forEach(checkPreimages);
}

describe('lndNode: hostile replies', () => {
  for (const c of CALLS) {
    test(`${c.name}: a mutated ${c.method} reply gives a valid result or an engine error`, async () => {
      const rand = prng(0x4c4e44 ^ c.name.length ^ c.method.charCodeAt(0));
      const lnd = new FakeLnd();
      const node = await lndNode(lnd, { pollInterval: 1, sendpayTimeout: 0.05, graphTtl: 0 });
      const outcomes = new Map<string, number>();
      for (let i = 0; i < N; i++) {
        let message = c.seed();
        let bytes: Uint8Array | undefined;
        if (rand() < 0.5) {
          mutateMessage(rand, message);
          try {
            encodeReply(c.method, message);
          } catch {
            // A value the encoder cannot write (a foreign string in a uint64 id): mutate the bytes instead.
            message = c.seed();
            bytes = new Uint8Array(0);
          }
        } else bytes = new Uint8Array(0); // marks a byte mutation below
        lnd.mutate = (method, encoded) => (method === c.method && bytes ? mutateBytes(rand, encoded) : encoded);
        const reply = () => {
          void bytes;
          return message;
        };
        if (c.stream) lnd.handlers[c.method] = () => [reply()];
        else lnd.handlers[c.method] = reply;
        if (c.name === 'sendpay') {
          // Half the time lnd has no such payment yet, so the part is sent and its answer read.
          const known = rand() < 0.5;
          lnd.handlers.TrackPaymentV2 = () => {
            if (!known) throw grpc('TrackPaymentV2', 5, "payment isn't initiated");
            return [{ ...payment(), htlcs: [reply()] }];
          };
        }
        try {
          const result = await c.call(node);
          checkPreimages(result);
          outcomes.set('resolved', (outcomes.get('resolved') ?? 0) + 1);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          assert.ok(error instanceof AmpkitError, `not an AmpkitError: ${String(error)} (${(error as Error)?.stack})`);
          assert.ok(ENGINE_CODES.has(error.code as string), `code ${String(error.code)}: ${error.message}`);
          outcomes.set(error.code as string, (outcomes.get(error.code as string) ?? 0) + 1);
        }
        message = undefined;
      }
      // Both kinds of outcome happened: the fuzzing reaches the checks and lets good replies through.
      assert.ok((outcomes.get('BAD_REPLY') ?? 0) > 0, JSON.stringify([...outcomes]));
      assert.ok((outcomes.get('resolved') ?? 0) > 0, JSON.stringify([...outcomes]));
      if (process.env.AMPKIT_FUZZ_REPORT) console.log(c.name, JSON.stringify([...outcomes]));
    });
  }
});
