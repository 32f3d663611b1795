/**
 * connectLnc() against a real gRPC server: @grpc/grpc-js on 127.0.0.1 serving lnd's own
 * .proto files (packages/wire/proto/lnd/, loaded with @grpc/proto-loader), behind the test
 * LNC endpoint with `upstream`, so the bytes the client sends through go-back-N and Noise
 * reach grpc-js as litd hands them to lnd. It proves, with an HTTP/2 and gRPC stack we did
 * not write: a unary reply decoded with lndMethods matches what the handler returned, the
 * request arrived whole, the macaroon rides along as metadata; a server stream delivers its
 * messages, ends, and a cancel reaches the handler; errors come back with their status and
 * message; a reply of several hundred kB passes HTTP/2 flow control.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { sha256 } from '@noble/hashes/sha2.js';
import { textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { connectLnc, type LncClient } from '../../packages/wire/src/lnc/client.ts';
import { GrpcError } from '../../packages/wire/src/lnc/grpc.ts';
import { lndMethods } from '../../packages/wire/src/lnc/lnd-methods.ts';
import { decodeLnd, encodeLnd } from '../../packages/wire/src/lnc/lnd-proto.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { startTestMailbox, type TestMailbox } from './lnc-mailbox-server.ts';
import { startTestEndpoint, type TestEndpoint } from './lnc-test-endpoint.ts';

const PROTO_DIR = fileURLToPath(new URL('../../packages/wire/proto/lnd/', import.meta.url));
const MACAROON = '0201036c6e6402f801030a10';
const GBN = { handshakeTimeoutMs: 200, resendTimeoutMs: 100, pingMs: 300, pongTimeoutMs: 300 };
const CHANNELS = 2500;

/** Plain objects as proto-loader takes them: lnd's field names, 64-bit integers as decimal strings, enums by name. */
type Message = Record<string, unknown>;

const getInfoReply: Message = {
  version: '0.19.2-beta commit=v0.19.2-beta',
  identity_pubkey: '02' + 'ab'.repeat(32),
  alias: 'grpc-js stand-in for lnd',
  color: '#3399ff',
  num_active_channels: 7,
  num_peers: 3,
  block_height: 840_000,
  block_hash: '00'.repeat(4) + 'cd'.repeat(28),
  best_header_timestamp: '1733300000',
  synced_to_chain: true,
  synced_to_graph: true,
  chains: [{ chain: 'bitcoin', network: 'regtest' }],
  uris: ['02' + 'ab'.repeat(32) + '@127.0.0.1:9735'],
  features: {
    9: { name: 'tlv-onion', is_required: false, is_known: true },
    14: { name: 'payment-addr', is_required: true, is_known: true },
  },
};

const paymentHash = sha256(textEncoder.encode('lnc grpc-js invoice'));

function invoice(state: 'OPEN' | 'ACCEPTED' | 'SETTLED', settleIndex: number): Message {
  return {
    memo: 'coffee',
    r_hash: Buffer.from(paymentHash),
    value_msat: '21000000',
    value: '21000',
    creation_date: '1733300000',
    payment_request: 'lnbcrt210u1test',
    state,
    settle_index: String(settleIndex),
    amt_paid_msat: state === 'SETTLED' ? '21000000' : '0',
  };
}

function channel(i: number): Message {
  return {
    active: i % 3 !== 0,
    remote_pubkey: '03' + (i % 256).toString(16).padStart(2, '0').repeat(32),
    channel_point: `${(i * 7919).toString(16).padStart(64, '0')}:${i % 4}`,
    chan_id: String(BigInt(800_000 + i) << 40n),
    capacity: String(1_000_000 + i),
    local_balance: String(400_000 + i),
    remote_balance: String(590_000 - i),
    chan_status_flags: 'ChanStatusDefault',
    commitment_type: 'ANCHORS',
  };
}

/** What the grpc-js handlers saw, for the assertions. */
const seen = {
  macaroons: [] as string[][],
  subscribeHashes: [] as string[],
  activeOnly: [] as boolean[],
  cancelled: 0,
};

let mailbox: TestMailbox;
let server: grpc.Server;
let litd: TestEndpoint;
let client: LncClient;

function serviceOf(pkg: grpc.GrpcObject, path: string): grpc.ServiceDefinition {
  const [ns, name] = path.split('.') as [string, string];
  return ((pkg[ns] as grpc.GrpcObject)[name] as grpc.ServiceClientConstructor).service;
}

function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what}: not within ${ms} ms`));
      setTimeout(check, 10);
    };
    check();
  });
}

before(async () => {
  const definition = protoLoader.loadSync(['lightning.proto', 'invoices.proto'], {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition);
  server = new grpc.Server();
  server.addService(serviceOf(pkg, 'lnrpc.Lightning'), {
    GetInfo(call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) {
      seen.macaroons.push(call.metadata.get('macaroon').map(String));
      callback(null, getInfoReply);
    },
    ListChannels(call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) {
      seen.activeOnly.push(call.request['active_only'] === true);
      callback(null, { channels: Array.from({ length: CHANNELS }, (_, i) => channel(i)) });
    },
    LookupInvoice(_call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message>) {
      // Percent signs and non-ASCII text make grpc-js percent-encode the message (UTF-8).
      callback({ code: grpc.status.NOT_FOUND, details: 'unable to locate invoice: 100% gone, état inconnu' });
    },
  });
  server.addService(serviceOf(pkg, 'invoicesrpc.Invoices'), {
    SubscribeSingleInvoice(call: grpc.ServerWritableStream<Message, Message>) {
      const hash = toHex(call.request['r_hash'] as Buffer);
      seen.subscribeHashes.push(hash);
      call.on('cancelled', () => seen.cancelled++);
      call.write(invoice('OPEN', 0));
      call.write(invoice('ACCEPTED', 0));
      // The hash decides whether the stream ends (settled) or stays open until cancelled, as lnd's does.
      if (hash === toHex(paymentHash)) {
        call.write(invoice('SETTLED', 5));
        call.end();
      }
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  mailbox = await startTestMailbox();
  litd = await startTestEndpoint({
    mailbox,
    entropy: sha256(textEncoder.encode('lnc grpc-js endpoint')),
    authData: `Macaroon: ${MACAROON}`,
    gbn: GBN,
    upstream: { host: '127.0.0.1', port },
  });
  client = await connectLnc({
    pairingPhrase: litd.phrase,
    mailbox: mailbox.url,
    WebSocket: NodeWebSocket,
    gbn: GBN,
    connectTimeout: 5000,
  });
});

after(async () => {
  client?.close();
  await litd?.close();
  server?.forceShutdown();
  await mailbox?.close();
  // Nothing may be left running: a socket or a timer would keep the whole test run alive.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const left = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout');
  assert.deepEqual(left, [], 'sockets or timers left open');
});

describe('connectLnc through the test endpoint to @grpc/grpc-js serving lnd protos', () => {
  test('GetInfo: the reply decoded with lndMethods is what the handler returned; the macaroon reached the server', async () => {
    const m = lndMethods.getInfo;
    const info = decodeLnd(m.output, await client.unary(m.path, encodeLnd(m.input, {})), m.path);
    assert.equal(info.version, getInfoReply['version']);
    assert.equal(info.identityPubkey, getInfoReply['identity_pubkey']);
    assert.equal(info.alias, 'grpc-js stand-in for lnd');
    assert.equal(info.color, '#3399ff');
    assert.equal(info.numActiveChannels, 7);
    assert.equal(info.numPeers, 3);
    assert.equal(info.numPendingChannels, 0);
    assert.equal(info.blockHeight, 840_000);
    assert.equal(info.blockHash, getInfoReply['block_hash']);
    assert.equal(info.bestHeaderTimestamp, 1_733_300_000n);
    assert.equal(info.syncedToChain, true);
    assert.equal(info.syncedToGraph, true);
    assert.deepEqual(info.chains, [{ chain: 'bitcoin', network: 'regtest' }]);
    assert.deepEqual(info.uris, getInfoReply['uris']);
    assert.deepEqual(info.features, {
      9: { name: 'tlv-onion', isRequired: false, isKnown: true },
      14: { name: 'payment-addr', isRequired: true, isKnown: true },
    });
    assert.deepEqual(seen.macaroons, [[MACAROON]]);
  });

  test('SubscribeSingleInvoice: the updates arrive in order and the stream ends when the handler ends it', async () => {
    const m = lndMethods.subscribeSingleInvoice;
    const stream = client.serverStream(m.path, encodeLnd(m.input, { rHash: paymentHash }));
    const updates = [];
    for await (const bytes of stream) updates.push(decodeLnd(m.output, bytes, m.path));
    assert.deepEqual(
      updates.map((u) => [u.state, u.settleIndex, u.amtPaidMsat]),
      [
        [0, 0n, 0n],
        [3, 0n, 0n],
        [1, 5n, 21_000_000n],
      ],
    );
    for (const u of updates) {
      assert.equal(toHex(u.rHash), toHex(paymentHash));
      assert.equal(u.memo, 'coffee');
      assert.equal(u.valueMsat, 21_000_000n);
      assert.equal(u.paymentRequest, 'lnbcrt210u1test');
    }
    assert.deepEqual(seen.subscribeHashes, [toHex(paymentHash)]);
  });

  test('SubscribeSingleInvoice left open: two updates, then the cancel reaches the grpc-js handler', async () => {
    const m = lndMethods.subscribeSingleInvoice;
    const other = sha256(textEncoder.encode('an invoice that stays open'));
    const stream = client.serverStream(m.path, encodeLnd(m.input, { rHash: other }));
    const states: number[] = [];
    for await (const bytes of stream) {
      states.push(decodeLnd(m.output, bytes, m.path).state);
      if (states.length === 2) stream.cancel();
    }
    assert.deepEqual(states, [0, 3]);
    await until(() => seen.cancelled === 1, 3000, 'the handler seeing the cancel');
    assert.equal(seen.subscribeHashes.at(-1), toHex(other));
  });

  test('errors: NOT_FOUND with its percent-encoded message, UNIMPLEMENTED for a method the server lacks', async () => {
    const lookup = lndMethods.lookupInvoice;
    const request = encodeLnd(lookup.input, { rHash: paymentHash });
    await assert.rejects(client.unary(lookup.path, request), (error: unknown) => {
      assert.ok(error instanceof GrpcError, String(error));
      assert.equal(error.code, grpc.status.NOT_FOUND);
      assert.equal(error.statusName, 'NOT_FOUND');
      assert.equal(error.message, 'unable to locate invoice: 100% gone, état inconnu');
      return true;
    });
    // A real lnd method this server does not serve (and the engine does not use): an empty PayReqString.
    await assert.rejects(client.unary('/lnrpc.Lightning/DecodePayReq', new Uint8Array(0)), (error: unknown) => {
      assert.ok(error instanceof GrpcError, String(error));
      assert.equal(error.code, grpc.status.UNIMPLEMENTED);
      return true;
    });
  });

  test(`ListChannels with ${CHANNELS} channels: a reply far past the 65 535-byte windows arrives whole`, async () => {
    const m = lndMethods.listChannels;
    const bytes = await client.unary(m.path, encodeLnd(m.input, { activeOnly: true }));
    assert.ok(bytes.length > 4 * 65_535, `reply of ${bytes.length} bytes`);
    const { channels } = decodeLnd(m.output, bytes, m.path);
    assert.equal(channels.length, CHANNELS);
    for (const i of [0, 1, 1234, CHANNELS - 1]) {
      const want = channel(i);
      const got = channels[i]!;
      assert.equal(got.active, want['active']);
      assert.equal(got.remotePubkey, want['remote_pubkey']);
      assert.equal(got.channelPoint, want['channel_point']);
      assert.equal(got.chanId, want['chan_id']);
      assert.equal(got.capacity, BigInt(want['capacity'] as string));
      assert.equal(got.localBalance, BigInt(want['local_balance'] as string));
      assert.equal(got.remoteBalance, BigInt(want['remote_balance'] as string));
      assert.equal(got.chanStatusFlags, 'ChanStatusDefault');
    }
    assert.deepEqual(seen.activeOnly, [true]);
    // The link carries on after the big reply.
    const info = lndMethods.getInfo;
    assert.equal(decodeLnd(info.output, await client.unary(info.path, encodeLnd(info.input, {})), info.path).blockHeight, 840_000);
  });
});
