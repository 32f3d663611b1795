/**
 * BOLT 7 gossip meets a light client: a real Core Lightning node sends its own
 * channel_announcement (256), node_announcement (257) and channel_updates (258) to every
 * new peer, and its gossip_timestamp_filter (265) to one with gossip_queries; a node that
 * ignores the feature may send the whole graph. None of it may close the link.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connect } from '../../packages/wire/src/commando-client.ts';
import {
  CHAIN_HASH,
  GOSSIP_QUERIES_BIT,
  answerGossip,
  encodeChannelAnnouncement,
  encodeChannelUpdate,
  encodeGossipTimestampFilter,
  encodeNodeAnnouncement,
  encodeShortChannelId,
  hasFeature,
  lightClientFeatures,
} from '../../packages/wire/src/gossip.ts';
import { MessageType, decodeInit, encodeMessage } from '../../packages/wire/src/message.ts';
import { NodeWebSocket, serveCommando, type CommandoServer } from '../../packages/wire/src/node.ts';
import { Peer } from '../../packages/wire/src/peer.ts';
import { openWebSocket } from '../../packages/wire/src/socket.ts';
import { startSimnet } from '../../packages/simnet/src/index.ts';
import { responderHarness } from './peer-harness.ts';

const chain = Uint8Array.from(Buffer.from(CHAIN_HASH.regtest, 'hex'));
const key = (b: number) => Uint8Array.of(2, ...new Uint8Array(32).fill(b));
const sig = new Uint8Array(64).fill(0x55);

/** One of each BOLT 7 message, as a node would send them (payloads, type stripped). */
function gossipSamples(): { type: number; payload: Uint8Array }[] {
  const strip = (m: Uint8Array) => ({ type: (m[0]! << 8) | m[1]!, payload: m.subarray(2) });
  return [
    strip(
      encodeChannelAnnouncement({
        chainHash: chain,
        shortChannelId: '103x1x0',
        nodeId1: key(1),
        nodeId2: key(2),
        bitcoinKey1: key(3),
        bitcoinKey2: key(4),
        signatures: [sig, sig, sig, sig],
      }),
    ),
    strip(encodeNodeAnnouncement({ signature: sig, timestamp: 1_700_000_000, nodeId: key(1), rgb: Uint8Array.of(1, 2, 3), alias: 'bob' })),
    strip(
      encodeChannelUpdate({
        signature: sig,
        chainHash: chain,
        shortChannelId: '103x1x0',
        timestamp: 1_700_000_000,
        direction: 1,
        disabled: false,
        cltvExpiryDelta: 6,
        htlcMinimumMsat: 0,
        feeBaseMsat: 1,
        feeProportionalMillionths: 10,
        htlcMaximumMsat: 990_000_000,
      }),
    ),
    { type: MessageType.ANNOUNCEMENT_SIGNATURES, payload: new Uint8Array(32 + 8 + 128) },
    strip(encodeGossipTimestampFilter(chain, 1_700_000_000, 0xffffffff)),
    { type: MessageType.REPLY_SHORT_CHANNEL_IDS_END, payload: Uint8Array.of(...chain, 1) },
    { type: MessageType.REPLY_CHANNEL_RANGE, payload: Uint8Array.of(...chain, 0, 0, 0, 0, 0, 0, 0, 10, 1, 0, 1, 0) },
  ];
}

describe('gossip: the codec', () => {
  test('the sizes match what a real Core Lightning sends (430, 147 with an IPv4 address, 136, 40 bytes)', () => {
    const [announcement, , update, , filter] = gossipSamples();
    assert.equal(announcement!.payload.length, 430);
    assert.equal(update!.payload.length, 136);
    assert.equal(filter!.payload.length, 40);
    // Core Lightning's node_announcement carried one IPv4 address (7 bytes); ours carries none.
    assert.equal(gossipSamples()[1]!.payload.length, 147 - 7);
  });

  test('short channel ids are block (3 bytes), transaction (3), output (2)', () => {
    assert.deepEqual([...encodeShortChannelId('103x1x0')], [0, 0, 103, 0, 0, 1, 0, 0]);
    assert.deepEqual([...encodeShortChannelId('16777215x16777215x65535')], [255, 255, 255, 255, 255, 255, 255, 255]);
    assert.throws(() => encodeShortChannelId('16777216x0x0'), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => encodeShortChannelId('1:2:3'), { code: 'INVALID_ARGUMENT' });
  });

  test('our init advertises gossip_queries as optional (bit 7) and requires nothing', () => {
    const features = lightClientFeatures();
    assert.equal(hasFeature(features, GOSSIP_QUERIES_BIT), true);
    assert.deepEqual([...features], [0x80]);
    assert.equal(hasFeature(new Uint8Array(0), GOSSIP_QUERIES_BIT), false);
    assert.equal(hasFeature(Uint8Array.of(0x40), GOSSIP_QUERIES_BIT), true, 'bit 6, required, counts too');
  });

  test('a query_channel_range is answered for exactly its range, complete, with no channels', () => {
    const query = Uint8Array.of(...chain, 0, 0, 0, 100, 0, 0, 3, 232);
    const reply = answerGossip(MessageType.QUERY_CHANNEL_RANGE, query)!;
    assert.equal((reply[0]! << 8) | reply[1]!, MessageType.REPLY_CHANNEL_RANGE);
    const p = reply.subarray(2);
    assert.deepEqual(p.subarray(0, 32), chain);
    assert.deepEqual([...p.subarray(32)], [0, 0, 0, 100, 0, 0, 3, 232, 1, 0, 1, 0]);
  });

  test('a query_short_channel_ids is answered with reply_short_channel_ids_end, full_information 0', () => {
    const reply = answerGossip(MessageType.QUERY_SHORT_CHANNEL_IDS, Uint8Array.of(...chain, 0, 9, 0, ...encodeShortChannelId('1x2x3')))!;
    assert.equal((reply[0]! << 8) | reply[1]!, MessageType.REPLY_SHORT_CHANNEL_IDS_END);
    assert.deepEqual([...reply.subarray(2)], [...chain, 0]);
  });

  test('a truncated query is a PROTOCOL error', () => {
    assert.throws(() => answerGossip(MessageType.QUERY_CHANNEL_RANGE, chain), { code: 'PROTOCOL' });
    assert.throws(() => answerGossip(MessageType.QUERY_SHORT_CHANNEL_IDS, chain.subarray(0, 20)), { code: 'PROTOCOL' });
  });
});

describe('gossip: the peer', () => {
  test('every BOLT 7 type is dropped without closing the link or reaching the owner', () => {
    const h = responderHarness({ init: true });
    h.received();
    for (const { type, payload } of gossipSamples()) h.send(type, payload);
    assert.equal(h.closed, undefined);
    assert.deepEqual(h.messages, []);
    assert.deepEqual(h.received(), [], 'gossip needs no answer');
  });

  test('queries are answered on the link', () => {
    const h = responderHarness({ init: true });
    h.received();
    h.send(MessageType.QUERY_CHANNEL_RANGE, Uint8Array.of(...chain, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff));
    h.send(MessageType.QUERY_SHORT_CHANNEL_IDS, Uint8Array.of(...chain, 0, 1, 0));
    assert.deepEqual(
      h.received().map((m) => m.type),
      [MessageType.REPLY_CHANNEL_RANGE, MessageType.REPLY_SHORT_CHANNEL_IDS_END],
    );
    assert.equal(h.closed, undefined);
  });

  test('an even type BOLT 7 does not assign (260, 300) still closes the link with PROTOCOL', () => {
    for (const type of [260, 300, 32768]) {
      const h = responderHarness({ init: true });
      h.send(type, new Uint8Array(4));
      assert.equal(h.closed?.error?.code, 'PROTOCOL', `type ${type}`);
      assert.match(h.closed!.error!.message, new RegExp(`unknown even message type ${type}`));
    }
  });

  test('an error about a channel we do not have is ignored (BOLT 1); one for all channels closes the link', () => {
    const about = (fill: number) => Uint8Array.of(...new Uint8Array(32).fill(fill), 0, 4, 0x62, 0x75, 0x73, 0x74);
    const h = responderHarness({ init: true });
    h.send(MessageType.ERROR, about(7));
    assert.equal(h.closed, undefined);
    h.send(MessageType.ERROR, about(0));
    const closed = h.closed as { error?: Error & { code: string } } | undefined;
    assert.equal(closed?.error?.code, 'PROTOCOL');
    assert.match(closed!.error!.message, /peer sent error: bust/);
  });
});

describe('gossip: the commando client', () => {
  let server: CommandoServer;
  after(() => server?.close());

  test('negotiates gossip_queries and survives a node that sends every kind of gossip anyway', async () => {
    let theirFeatures: Uint8Array | undefined;
    server = await serveCommando({
      privateKey: new Uint8Array(32).fill(3),
      port: 0,
      gossip(features) {
        theirFeatures = features;
        // A node that ignores the feature: a burst of gossip and both queries, before any reply.
        const burst: Uint8Array[] = [];
        for (let i = 0; i < 200; i++) for (const { type, payload } of gossipSamples()) burst.push(encodeMessage(type, payload));
        burst.push(encodeMessage(MessageType.QUERY_CHANNEL_RANGE, Uint8Array.of(...chain, 0, 0, 0, 0, 0, 0, 1, 0)));
        return burst;
      },
      handler: (method) => ({ method }),
    });
    const client = await connect({ nodeId: server.nodeId, url: server.url, WebSocket: NodeWebSocket, reconnect: false });
    try {
      assert.deepEqual(await client.request('getinfo'), { method: 'getinfo' });
      assert.equal(hasFeature(theirFeatures!, GOSSIP_QUERIES_BIT), true);
      assert.equal(client.state, 'open');
    } finally {
      client.close();
    }
  });
});

describe('gossip: simnet sends what a real node sends', () => {
  /** A bare initiator Peer against a simnet node: what arrives after init, by type. */
  async function listen(url: string, nodeId: string, features: Uint8Array): Promise<Map<number, number>> {
    const socket = await openWebSocket(url, NodeWebSocket, 5000);
    const counts = new Map<number, number>();
    return new Promise((resolve, reject) => {
      const peer = new Peer(
        socket,
        { role: 'initiator', localPrivateKey: new Uint8Array(32).fill(9), remotePublicKey: Buffer.from(nodeId, 'hex'), features },
        {
          onReady: () =>
            setTimeout(() => {
              peer.close();
              resolve(counts);
            }, 300),
          onMessage: () => {},
          onGossip: (type) => counts.set(type, (counts.get(type) ?? 0) + 1),
          onClose: (error) => error && reject(error),
        },
      );
    });
  }

  test('to a peer with gossip_queries: its own channels and node, then a gossip_timestamp_filter', async () => {
    const simnet = await startSimnet();
    try {
      const wallet = simnet.nodes.find((n) => n.alias === 'wallet')!;
      const own = simnet.node('wallet').node.channels.length;
      const counts = await listen(wallet.ws_url, wallet.id, lightClientFeatures());
      assert.equal(counts.get(MessageType.CHANNEL_ANNOUNCEMENT), own);
      assert.equal(counts.get(MessageType.CHANNEL_UPDATE), own * 2);
      assert.equal(counts.get(MessageType.NODE_ANNOUNCEMENT), 1);
      assert.equal(counts.get(MessageType.GOSSIP_TIMESTAMP_FILTER), 1);
    } finally {
      await simnet.stop();
    }
  });

  test('to a peer without it: the whole graph it knows; the link stays up and the next call is answered', async () => {
    const simnet = await startSimnet();
    try {
      const shop = simnet.nodes.find((n) => n.alias === 'shop')!;
      const counts = await listen(shop.ws_url, shop.id, new Uint8Array(0));
      assert.equal(counts.get(MessageType.CHANNEL_ANNOUNCEMENT), simnet.network.channels.size);
      assert.equal(counts.get(MessageType.CHANNEL_UPDATE), simnet.network.channels.size * 2);
      assert.equal(counts.get(MessageType.NODE_ANNOUNCEMENT), simnet.network.nodes.size);
      assert.equal(counts.get(MessageType.GOSSIP_TIMESTAMP_FILTER), undefined);
      const client = await connect({ nodeId: shop.id, url: shop.ws_url, rune: shop.rune, WebSocket: NodeWebSocket, reconnect: false });
      try {
        assert.equal((await client.request<{ id: string }>('getinfo')).id, shop.id);
      } finally {
        client.close();
      }
    } finally {
      await simnet.stop();
    }
  });
});

test('decodeInit reads the init our client sends', () => {
  const init = decodeInit(Uint8Array.of(0, 0, 0, 1, 0x80));
  assert.equal(hasFeature(init.features, GOSSIP_QUERIES_BIT), true);
});
