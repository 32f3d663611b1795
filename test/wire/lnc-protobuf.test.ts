// lnd's protobuf messages through the code ts-proto generated from lnd's own .proto files:
// real grpc-go bytes from the LNC transcript decode to what was sent, the method table agrees
// with lnd's service definitions, every request the engine makes survives a round trip, and bad
// bytes fail with a typed error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import { InvoicesDefinition } from '../../packages/wire/src/lnc/lnd/decode/invoices.ts';
import { GetInfoResponse, Invoice, Invoice_InvoiceState, LightningDefinition } from '../../packages/wire/src/lnc/lnd/decode/lightning.ts';
import { RouterDefinition } from '../../packages/wire/src/lnc/lnd/decode/router.ts';
import { SubscribeSingleInvoiceRequest } from '../../packages/wire/src/lnc/lnd/encode/invoices.ts';
import {
  lndMethods,
  type LndDecoder,
  type LndEncoder,
  type LndMethodName,
  type LndRequest,
} from '../../packages/wire/src/lnc/lnd-methods.ts';
import { decodeLnd, encodeLnd } from '../../packages/wire/src/lnc/lnd-proto.ts';
import { fullStack as transcript } from './lnc-fixtures.ts';

/**
 * The gRPC messages one side sent, by HTTP/2 stream: walks that side's recorded writes as
 * HTTP/2 frames (RFC 9113 §4.1), joins each stream's DATA payloads and splits them at the
 * gRPC length prefixes (1 flag byte, u32 big-endian length). Just enough to read the record.
 */
function grpcMessagesBy(who: 'client' | 'server'): Map<number, Uint8Array[]> {
  const data = new Map<number, number[]>();
  for (const write of transcript.plaintext_http2.filter((w) => w.who === who)) {
    const bytes = fromHex(write.hex);
    let at = who === 'client' && write.hex.startsWith('505249') ? 24 : 0; // the client preface
    while (at < bytes.length) {
      const length = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
      const type = bytes[at + 3]!;
      const flags = bytes[at + 4]!;
      const stream = ((bytes[at + 5]! & 0x7f) << 24) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 8) | bytes[at + 8]!;
      const payload = bytes.subarray(at + 9, at + 9 + length);
      if (type === 0) {
        assert.equal(flags & 0x08, 0, 'grpc-go does not pad DATA frames');
        data.set(stream, [...(data.get(stream) ?? []), ...payload]);
      }
      at += 9 + length;
    }
    assert.equal(at, bytes.length, 'each write holds whole frames');
  }
  const messages = new Map<number, Uint8Array[]>();
  for (const [stream, bytes] of data) {
    const list: Uint8Array[] = [];
    for (let at = 0; at < bytes.length;) {
      assert.equal(bytes[at], 0, 'uncompressed gRPC message');
      const length = ((bytes[at + 1]! << 24) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 8) | bytes[at + 4]!) >>> 0;
      list.push(Uint8Array.from(bytes.slice(at + 5, at + 5 + length)));
      at += 5 + length;
    }
    messages.set(stream, list);
  }
  return messages;
}

const fromServer = grpcMessagesBy('server');
const fromClient = grpcMessagesBy('client');

describe('lnd replies recorded from grpc-go (transcript-full-stack.json)', () => {
  test('the HTTP/2 DATA frames carry the messages the client reported', () => {
    // Stream 1 is GetInfo, 3 SubscribeSingleInvoice, 5 SendToRouteV2 (trailers-only, no DATA).
    assert.deepEqual([...fromServer.keys()].sort(), [1, 3]);
    assert.deepEqual(fromServer.get(1)!.map(toHex), [transcript.client_results.GetInfo_response_hex]);
    assert.deepEqual(fromServer.get(3)!.map(toHex), transcript.client_results.SubscribeSingleInvoice_responses_hex);
  });

  test('GetInfo: the reply decodes to the test node it describes', () => {
    const m = lndMethods.getInfo;
    const info = decodeLnd(m.output, fromServer.get(1)![0]!, m.path);
    assert.equal(info.identityPubkey, '02' + '00'.repeat(32));
    assert.equal(info.alias, 'ampkit-test');
    assert.equal(info.numActiveChannels, 3);
    assert.equal(info.blockHeight, 800_000);
    assert.equal(info.syncedToChain, true);
    assert.equal(info.version, '0.20.0-beta');
    // Fields the server left at their defaults.
    assert.equal(info.numPeers, 0);
    assert.equal(info.syncedToGraph, false);
    assert.deepEqual(info.uris, []);
  });

  test('SubscribeSingleInvoice: three updates of one invoice, OPEN then ACCEPTED then SETTLED', () => {
    const m = lndMethods.subscribeSingleInvoice;
    const updates = fromServer.get(3)!.map((bytes) => decodeLnd(m.output, bytes, m.path));
    assert.deepEqual(
      updates.map((u) => u.state),
      [Invoice_InvoiceState.OPEN, Invoice_InvoiceState.ACCEPTED, Invoice_InvoiceState.SETTLED],
    );
    assert.deepEqual([Invoice_InvoiceState.OPEN, Invoice_InvoiceState.ACCEPTED, Invoice_InvoiceState.SETTLED], [0, 3, 1]);
    for (const invoice of updates) {
      assert.equal(invoice.memo, 'test');
      assert.deepEqual(invoice.rHash, new Uint8Array(32));
      assert.equal(invoice.value, 1000n, 'int64 fields decode to bigint');
    }
  });

  test('the requests the client sent are the bytes encodeLnd makes', () => {
    const calls = transcript.server_saw_calls;
    assert.equal(calls[0]!.method, lndMethods.getInfo.path);
    assert.equal(toHex(encodeLnd(lndMethods.getInfo.input, {})), calls[0]!.request_hex);
    assert.equal(calls[1]!.method, lndMethods.subscribeSingleInvoice.path);
    const subscribe = encodeLnd(SubscribeSingleInvoiceRequest, { rHash: new Uint8Array(32) });
    assert.equal(toHex(subscribe), calls[1]!.request_hex);
    assert.deepEqual(fromClient.get(3), [subscribe]);
    assert.deepEqual(fromClient.get(1), [new Uint8Array(0)]);
  });
});

/** What ts-proto's generic service definitions say of one method. */
interface MethodDefinition {
  name: string;
  requestType: LndDecoder<unknown>;
  requestStream: boolean;
  responseType: LndDecoder<unknown>;
  responseStream: boolean;
}

/** A method's definition in the generated service definitions, by its camel-case name. */
function definitionOf(name: string): { service: string; method: MethodDefinition } {
  for (const definition of [LightningDefinition, RouterDefinition, InvoicesDefinition]) {
    const method = (definition.methods as Record<string, MethodDefinition>)[name];
    if (method) return { service: definition.fullName, method };
  }
  throw new Error(`${name} is in no service definition`);
}

/** Asserts that every field `sent` sets, at any depth, has the same value in `read`. */
function assertHolds(read: unknown, sent: unknown, at: string): void {
  if (sent instanceof Uint8Array || typeof sent !== 'object' || sent === null) {
    assert.deepEqual(read, sent, at);
  } else if (Array.isArray(sent)) {
    assert.ok(Array.isArray(read) && read.length === sent.length, `${at}: the list's length`);
    sent.forEach((item, i) => assertHolds((read as unknown[])[i], item, `${at}[${i}]`));
  } else {
    assert.ok(typeof read === 'object' && read !== null, `${at}: a message`);
    for (const [key, value] of Object.entries(sent)) assertHolds((read as Record<string, unknown>)[key], value, `${at}.${key}`);
  }
}

describe('the method table', () => {
  test('holds exactly the methods the engine uses, with their gRPC paths and kinds', () => {
    const table = Object.entries(lndMethods).map(([name, m]) => [name, m.path, m.kind]);
    assert.deepEqual(table.sort(), [
      ['addHoldInvoice', '/invoicesrpc.Invoices/AddHoldInvoice', 'unary'],
      ['addInvoice', '/lnrpc.Lightning/AddInvoice', 'unary'],
      ['cancelInvoice', '/invoicesrpc.Invoices/CancelInvoice', 'unary'],
      ['describeGraph', '/lnrpc.Lightning/DescribeGraph', 'unary'],
      ['getInfo', '/lnrpc.Lightning/GetInfo', 'unary'],
      ['listChannels', '/lnrpc.Lightning/ListChannels', 'unary'],
      ['listInvoices', '/lnrpc.Lightning/ListInvoices', 'unary'],
      ['listPayments', '/lnrpc.Lightning/ListPayments', 'unary'],
      ['lookupInvoice', '/lnrpc.Lightning/LookupInvoice', 'unary'],
      ['queryRoutes', '/lnrpc.Lightning/QueryRoutes', 'unary'],
      ['sendToRouteV2', '/routerrpc.Router/SendToRouteV2', 'unary'],
      ['settleInvoice', '/invoicesrpc.Invoices/SettleInvoice', 'unary'],
      ['subscribeSingleInvoice', '/invoicesrpc.Invoices/SubscribeSingleInvoice', 'server_streaming'],
      ['trackPaymentV2', '/routerrpc.Router/TrackPaymentV2', 'server_streaming'],
    ]);
  });

  test('each entry is the method of lnd’s service definition: path, kind, reply decoder', () => {
    for (const [name, m] of Object.entries(lndMethods)) {
      const found = definitionOf(name);
      assert.equal(m.path, `/${found.service}/${found.method.name}`, name);
      assert.equal(m.kind, found.method.responseStream ? 'server_streaming' : 'unary', name);
      assert.equal(found.method.requestStream, false, name);
      assert.equal(m.output, found.method.responseType, `${name} decodes its reply with the decoder lnd's definition names`);
    }
    // lnd's service definitions (pruned to the engine's methods by `npm run proto`) hold no other method.
    const defined = [LightningDefinition, RouterDefinition, InvoicesDefinition].flatMap((d) => Object.keys(d.methods));
    assert.deepEqual(defined.sort(), Object.keys(lndMethods).sort());
  });

  test('replies decode to lnd’s message types (spot checks by identity)', () => {
    assert.equal(lndMethods.getInfo.output, GetInfoResponse);
    assert.equal(lndMethods.subscribeSingleInvoice.output, Invoice);
    assert.equal(lndMethods.lookupInvoice.output, Invoice);
    assert.equal(lndMethods.getInfo.input.encode({}).finish().length, 0);
  });
});

describe('requests round-trip through encode and decode', () => {
  const hash = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const pubkey = '03' + 'ab'.repeat(32);
  // One filled-in request per method; the type makes a missing method or a wrong field a compile error.
  const requests: { [K in LndMethodName]: LndRequest<(typeof lndMethods)[K]> } = {
    getInfo: {},
    listChannels: { activeOnly: true, peer: fromHex(pubkey), peerAliasLookup: true },
    describeGraph: { includeUnannounced: true },
    listPayments: { includeIncomplete: true, indexOffset: 7n, maxPayments: 100n, reversed: true, creationDateStart: 1_700_000_000n },
    listInvoices: { pendingOnly: true, indexOffset: 3n, numMaxInvoices: 50n, creationDateEnd: 1_800_000_000n },
    addInvoice: { memo: 'coffee', valueMsat: 1_234_567n, expiry: 3600n, private: true, descriptionHash: hash },
    queryRoutes: {
      pubKey: pubkey,
      amtMsat: 250_000_000n,
      finalCltvDelta: 80,
      ignoredNodes: [fromHex(pubkey)],
      outgoingChanIds: [123_456_789_012_345n],
      feeLimit: { limit: { $case: 'fixedMsat', fixedMsat: 5000n } },
    },
    sendToRouteV2: {
      paymentHash: hash,
      route: {
        totalTimeLock: 800_144,
        totalAmtMsat: 100_001_000n,
        totalFeesMsat: 1000n,
        hops: [
          {
            chanId: '871234567890123776',
            amtToForwardMsat: 100_000_000n,
            feeMsat: 1000n,
            expiry: 800_104,
            pubKey: pubkey,
            tlvPayload: true,
          },
          {
            chanId: '18446744073709551615',
            amtToForwardMsat: 100_000_000n,
            expiry: 800_064,
            pubKey: '02' + 'cd'.repeat(32),
            mppRecord: { paymentAddr: hash, totalAmtMsat: 300_000_000n },
          },
        ],
      },
    },
    trackPaymentV2: { paymentHash: hash, noInflightUpdates: true },
    subscribeSingleInvoice: { rHash: hash },
    addHoldInvoice: { memo: 'hold', hash, valueMsat: 21_000n, expiry: 600n, cltvExpiry: 80n },
    settleInvoice: { preimage: hash },
    cancelInvoice: { paymentHash: hash },
    lookupInvoice: { rHash: hash },
  };

  for (const name of Object.keys(requests) as LndMethodName[]) {
    test(name, () => {
      const m = lndMethods[name];
      const sent = requests[name];
      const bytes = encodeLnd(m.input as LndEncoder<unknown>, sent);
      assert.equal(bytes.length === 0, name === 'getInfo', 'only the empty request encodes to no bytes');
      // Read back with the decoder of the request type lnd's definition names: a table entry
      // with another message's encoder loses or garbles fields here.
      const read = decodeLnd(definitionOf(name).method.requestType, bytes, m.path);
      assertHolds(read, sent, name);
      // Fields the request left out decode to their defaults, which encode to nothing.
      assert.deepEqual(encodeLnd(m.input as LndEncoder<unknown>, read), bytes, 'the decoded request encodes to the same bytes');
    });
  }

  test('field numbers on the wire are lnd’s (compared with the fixture README’s table)', () => {
    // invoicesrpc: SubscribeSingleInvoiceRequest.r_hash = 2, CancelInvoiceMsg.payment_hash = 1,
    // SettleInvoiceMsg.preimage = 1; key = field << 3 | 2 (length-delimited), then length 32.
    const tail = '20' + toHex(hash);
    assert.equal(toHex(encodeLnd(lndMethods.subscribeSingleInvoice.input, { rHash: hash })), '12' + tail);
    assert.equal(toHex(encodeLnd(lndMethods.cancelInvoice.input, { paymentHash: hash })), '0a' + tail);
    assert.equal(toHex(encodeLnd(lndMethods.settleInvoice.input, { preimage: hash })), '0a' + tail);
    // AddHoldInvoiceRequest.value_msat = 10 (varint): key 0x50, 21000 = 0x88 0xa4 0x01.
    assert.equal(toHex(encodeLnd(lndMethods.addHoldInvoice.input, { valueMsat: 21_000n })), '5088a401');
  });

  test('a uint64 channel id marked jstype=JS_STRING in lnd’s proto is a decimal string, up to 2^64 - 1', () => {
    const m = lndMethods.sendToRouteV2;
    const read = decodeLnd(RouterDefinition.methods.sendToRouteV2.requestType, encodeLnd(m.input, requests.sendToRouteV2), m.path);
    assert.deepEqual(
      read.route?.hops.map((h) => h.chanId),
      ['871234567890123776', '18446744073709551615'],
    );
  });
});

describe('bad bytes', () => {
  const info = fromHex(transcript.client_results.GetInfo_response_hex);
  const cases: [string, Uint8Array][] = [
    ['truncated inside a string', info.subarray(0, 20)],
    ['a length past the end', Uint8Array.of(0x12, 0x7f, 0x61)],
    ['a varint that never ends', Uint8Array.of(0x20, ...new Array<number>(11).fill(0xff))],
    ['field number 0', Uint8Array.of(0x20, 0x01, 0x00, 0x00)],
    ['an end-group tag', Uint8Array.of(0x20, 0x01, 0x0c, 0x20, 0x02)],
    ['invalid UTF-8 in a string', Uint8Array.of(0x12, 0x02, 0xc3, 0x28)],
    ['wire type 7', Uint8Array.of(0x0f)],
  ];
  for (const [what, bytes] of cases) {
    test(`${what}: WireError BAD_REPLY naming the method, with the library's error as cause`, () => {
      assert.throws(
        () => decodeLnd(GetInfoResponse, bytes, '/lnrpc.Lightning/GetInfo'),
        (e: unknown) =>
          e instanceof WireError &&
          e.code === 'BAD_REPLY' &&
          e.message.startsWith('/lnrpc.Lightning/GetInfo: the reply is not a valid protobuf message of this method') &&
          e.cause instanceof Error,
      );
    });
  }

  test('unknown fields (a newer lnd) are skipped: known fields decode, nothing is kept', () => {
    // field 999, length-delimited, then field 1000 varint, around the recorded reply.
    const extra = Uint8Array.from([...info, 0xba, 0x3e, 0x03, 0x61, 0x62, 0x63, 0xc0, 0x3e, 0x05]);
    const read = decodeLnd(GetInfoResponse, extra, '/lnrpc.Lightning/GetInfo');
    assert.equal(read.alias, 'ampkit-test');
    assert.equal(read.blockHeight, 800_000);
    assert.deepEqual(read, decodeLnd(GetInfoResponse, info, '/lnrpc.Lightning/GetInfo'));
  });

  test('an Invoice with an unknown enum value keeps the number (proto3 open enums)', () => {
    // state (field 21) = 9, a value this lnd does not define.
    const read = decodeLnd(Invoice, Uint8Array.of(0xa8, 0x01, 0x09), '/invoicesrpc.Invoices/SubscribeSingleInvoice');
    assert.equal(read.state, 9);
  });
});
