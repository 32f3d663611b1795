/**
 * LNC's go-back-N layer: the packet bytes of upstream `gbn/message_test.go`, MsgData, the two
 * recorded runs replayed against our client and our server (every packet they write must be
 * the recorded one, byte for byte), and client↔server over a lossy in-memory mailbox.
 * Time is a hand-driven clock: no test waits, none leaves a timer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { GbnConnection, GbnError, type GbnOptions, type GbnRole } from '../../packages/wire/src/lnc/gbn.ts';
import { decodeGbnPacket, encodeGbnPacket, type GbnPacket } from '../../packages/wire/src/lnc/gbn-packet.ts';
import { decodeMsgData, encodeMsgData } from '../../packages/wire/src/lnc/msgdata.ts';
import { FakeClock } from './lnc-fake-clock.ts';
import { lncFixture } from './lnc-fixtures.ts';

interface RecordedPacket {
  t_ms: number;
  dir: string;
  gbn_hex: string;
}

const lossRun = lncFixture('transcript-gbn-loss.json') as { packets: RecordedPacket[]; server_received: string[] };
const fullStack = lncFixture('transcript-full-stack.json') as { gbn_packets: RecordedPacket[] };

describe('go-back-N packets', () => {
  test('encode and decode the upstream message_test.go packets', () => {
    const cases: [GbnPacket, string][] = [
      [{ type: 'ACK', seq: 128 }, '0380'],
      [{ type: 'NACK', seq: 128 }, '0480'],
      [{ type: 'DATA', seq: 10, final: false, ping: false, payload: fromHex('01020405060764') }, '020a000001020405060764'],
      [{ type: 'DATA', seq: 0, final: true, ping: true, payload: new Uint8Array(0) }, '02000101'],
      [{ type: 'SYN', n: 3 }, '0103'],
      [{ type: 'FIN' }, '05'],
      [{ type: 'SYNACK' }, '06'],
    ];
    for (const [packet, hex] of cases) {
      assert.equal(toHex(encodeGbnPacket(packet)), hex);
      assert.deepEqual(decodeGbnPacket(fromHex(hex)), packet);
    }
  });

  test('refuse empty, unknown, short and overlong packets with PROTOCOL errors', () => {
    for (const hex of ['', '07', '020001', '03', '030102', '0501', '01', '02000200']) {
      assert.throws(() => decodeGbnPacket(fromHex(hex)), { code: 'PROTOCOL' }, hex);
    }
  });
});

describe('MsgData', () => {
  test('round-trips the upstream interface_test.go cases and checks the length', () => {
    const payload = textEncoder.encode('a message of thirty-one bytes!!');
    assert.equal(payload.length, 31);
    const frame = encodeMsgData(payload, 123);
    assert.equal(toHex(frame.subarray(0, 5)), '7b0000001f');
    assert.deepEqual(decodeMsgData(frame), { version: 123, payload });
    assert.equal(toHex(encodeMsgData(new Uint8Array(0))), '0000000000');
    assert.equal(decodeMsgData(fromHex('0000000000')).payload.length, 0);
    assert.throws(() => decodeMsgData(fromHex('00000000')), { code: 'PROTOCOL' });
    assert.throws(() => decodeMsgData(fromHex('000000000201')), { code: 'PROTOCOL' });
    assert.throws(() => decodeMsgData(fromHex('00000000010203')), { code: 'PROTOCOL' });
  });
});

/**
 * Replays a recorded run against one end of ours. That end's packets must come out exactly as
 * recorded, in order; the other end's packets are fed in at their recorded times, each as late
 * as possible (just before the next packet of ours that is not new data), since the recording's
 * interleaving of a reply and a send that raced in Go is not something to reproduce. New data
 * of ours is sent through `send()` when the recording shows it; FIN through `close()`.
 */
function replay(packets: RecordedPacket[], role: GbnRole) {
  const mine = role === 'client' ? 'client->server' : 'server->client';
  const clock = new FakeClock();
  const out: string[] = [];
  const received: string[] = [];
  let closedWith: GbnError | undefined | 'open' = 'open';
  // ACKs at once, as the recorded Go client did (ours holds them a moment by default).
  const gbn = new GbnConnection({ role, send: (p) => out.push(toHex(p)), timers: clock, ackDelayMs: 0 });
  gbn.onMessage = (m) => received.push(toHex(m));
  gbn.onClose = (error) => (closedWith = error);
  gbn.start();
  const expected = packets.filter((p) => p.dir.startsWith(mine));
  // Packets the other end sent that reached us (a dropped one never did).
  const incoming = packets.filter((p) => !p.dir.startsWith(mine) && !p.dir.includes('DROPPED'));
  let nextFresh = 0;
  let matched = 0;
  for (const want of expected) {
    for (let guard = 0; out.length === 0; guard++) {
      assert.ok(guard < 1000, `no packet of ours for ${want.gbn_hex} at ${want.t_ms} ms`);
      const bytes = fromHex(want.gbn_hex);
      if (bytes[0] === 0x02 && bytes[3] === 0 && bytes[1] === nextFresh) {
        nextFresh = (nextFresh + 1) % 21;
        clock.advanceTo(want.t_ms);
        gbn.send(bytes.subarray(4));
      } else if (incoming.length > 0 && incoming[0]!.t_ms <= want.t_ms) {
        const next = incoming.shift()!;
        clock.advanceTo(next.t_ms);
        gbn.receive(fromHex(next.gbn_hex));
      } else if (clock.now() < want.t_ms) {
        clock.advanceTo(want.t_ms); // our timers (resend, ping) may speak now
      } else if (want.gbn_hex === '05') {
        gbn.close();
      } else {
        assert.fail(`nothing left to trigger ${want.gbn_hex} at ${want.t_ms} ms`);
      }
      if (bytes[0] === 0x02 && bytes[3] === 1 && out[0] === want.gbn_hex) nextFresh = (nextFresh + 1) % 21; // our ping
    }
    assert.equal(out.shift(), want.gbn_hex, `packet ${matched} of ours (recorded at ${want.t_ms} ms)`);
    matched++;
  }
  for (const rest of incoming) {
    clock.advanceTo(rest.t_ms);
    gbn.receive(fromHex(rest.gbn_hex));
  }
  assert.deepEqual(out, [], 'no packet beyond the recorded ones');
  return { gbn, clock, received, matched, closedWith: () => closedWith };
}

describe('go-back-N replays of the recorded runs', () => {
  test('loss run, client: SYN 0114, SYNACK, resends 1 2 3 after NACK(1), ACKs the server ping, no ping of its own before 7 s, FIN', () => {
    const run = replay(lossRun.packets, 'client');
    assert.equal(run.matched, 11);
    assert.equal(run.closedWith(), undefined);
    assert.equal(run.clock.pending, 0, 'close stops every timer');
  });

  test('loss run, server: NACK(1) once (the second is held back), cumulative ACKs, a ping after 5 s quiet, FIN ends it', () => {
    const run = replay(lossRun.packets, 'server');
    assert.equal(run.matched, 7);
    assert.deepEqual(
      run.received.map((hex) => Buffer.from(hex, 'hex').toString()),
      lossRun.server_received,
    );
    const error = run.closedWith();
    assert.ok(error instanceof GbnError);
    assert.equal(error.reason, 'REMOTE_CLOSED');
    assert.equal(error.code, 'CONNECTION');
    assert.equal(run.clock.pending, 0);
  });

  test('full-stack run, client: SYN 0114, SYNACK 06, an ACK for every server DATA, every recorded DATA, FIN', () => {
    const run = replay(fullStack.gbn_packets, 'client');
    const serverData = fullStack.gbn_packets.filter((p) => p.dir === 'server->client' && p.gbn_hex.startsWith('02'));
    assert.deepEqual(
      run.received,
      serverData.map((p) => p.gbn_hex.slice(8)),
    );
    // The payloads are MsgData frames, as recorded.
    for (const hex of run.received) assert.equal(decodeMsgData(fromHex(hex)).version, 0);
    assert.equal(run.clock.pending, 0);
  });

  test('full-stack run, server: SYN, ACKs and every recorded DATA byte for byte', () => {
    const run = replay(fullStack.gbn_packets, 'server');
    const clientData = fullStack.gbn_packets.filter((p) => p.dir === 'client->server' && p.gbn_hex.startsWith('02'));
    assert.deepEqual(
      run.received,
      clientData.map((p) => p.gbn_hex.slice(8)),
    );
    assert.equal((run.closedWith() as GbnError).reason, 'REMOTE_CLOSED');
  });
});

/** A small seeded PRNG (mulberry32), so a failing run can be repeated. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LinkFaults {
  drop?: number;
  duplicate?: number;
  /** Chance that a packet overtakes the one sent just before it. */
  swap?: number;
  latencyMs?: number;
  jitterMs?: number;
}

/**
 * One direction of an in-memory mailbox: in order, as the hashmail stream is, with the faults
 * asked for (drops, a packet delivered twice in a row, delays). No reordering: go-back-N with
 * sequence numbers modulo N+1 relies on the ACKs and NACKs arriving in the order they were
 * sent (a stale NACK(s) can look like NACK(top), "all received"), in Go as here. `swap` lets
 * a packet overtake its neighbour (not used by the tests below, for that reason).
 */
class Link {
  private queue: { at: number; bytes: Uint8Array }[] = [];
  private cancel: (() => void) | undefined;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly random: () => number,
    private readonly faults: LinkFaults,
    readonly deliver: (bytes: Uint8Array) => void,
  ) {}

  send = (bytes: Uint8Array): void => {
    this.sent++;
    if (this.random() < (this.faults.drop ?? 0)) {
      this.dropped++;
      return;
    }
    const copies = this.random() < (this.faults.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const last = this.queue[this.queue.length - 1];
      const at = Math.max(last?.at ?? 0, this.clock.now() + (this.faults.latencyMs ?? 10) + this.random() * (this.faults.jitterMs ?? 0));
      const entry = { at, bytes: bytes.slice() };
      if (last && i === 0 && this.random() < (this.faults.swap ?? 0))
        this.queue.splice(this.queue.length - 1, 0, { ...entry, at: last.at });
      else this.queue.push(entry);
    }
    this.schedule();
  };

  private schedule(): void {
    if (this.cancel || this.queue.length === 0) return;
    this.cancel = this.clock.setTimer(() => {
      this.cancel = undefined;
      const now = this.clock.now();
      while (this.queue.length > 0 && this.queue[0]!.at <= now) this.deliver(this.queue.shift()!.bytes);
      this.schedule();
    }, this.queue[0]!.at - this.clock.now());
  }
}

function pair(faults: LinkFaults, seed: number, options: Partial<GbnOptions> = {}) {
  const clock = new FakeClock();
  const random = prng(seed);
  let client!: GbnConnection;
  let server!: GbnConnection;
  const toServer = new Link(clock, random, faults, (b) => server.receive(b));
  const toClient = new Link(clock, random, faults, (b) => client.receive(b));
  client = new GbnConnection({ ...options, role: 'client', send: toServer.send, timers: clock });
  server = new GbnConnection({ ...options, role: 'server', send: toClient.send, timers: clock });
  const got = { client: [] as string[], server: [] as string[] };
  const closed: { client?: GbnError | null; server?: GbnError | null } = {};
  client.onMessage = (m) => got.client.push(Buffer.from(m).toString());
  server.onMessage = (m) => got.server.push(Buffer.from(m).toString());
  client.onClose = (e) => (closed.client = e ?? null);
  server.onClose = (e) => (closed.server = e ?? null);
  server.start();
  client.start();
  return { clock, client, server, got, closed, toServer, toClient };
}

const messages = (from: string, count: number) => Array.from({ length: count }, (_, i) => `${from} ${i} ${'x'.repeat(i % 50)}`);

function runUntil(clock: FakeClock, done: () => boolean, limitMs: number): void {
  while (!done()) {
    assert.ok(clock.now() < limitMs, `not done within ${limitMs} ms of simulated time`);
    clock.advance(5);
  }
}

describe('go-back-N client and server over an in-memory mailbox', () => {
  test('a clean link: handshake, 200 messages each way (sequence numbers wrap many times), FIN', () => {
    const { clock, client, server, got, closed } = pair({}, 1);
    const a = messages('c', 200);
    const b = messages('s', 200);
    for (const m of a) client.send(textEncoder.encode(m));
    for (const m of b) server.send(textEncoder.encode(m));
    runUntil(clock, () => got.server.length === a.length && got.client.length === b.length, 60_000);
    assert.deepEqual(got.server, a);
    assert.deepEqual(got.client, b);
    client.close();
    clock.advance(100);
    assert.equal(closed.client, null);
    assert.equal(closed.server?.reason, 'REMOTE_CLOSED');
    assert.equal(clock.pending, 0);
  });

  for (const [name, faults] of [
    ['drops', { drop: 0.2 }],
    ['duplicates', { duplicate: 0.3 }],
    ['drops, duplicates and jitter together', { drop: 0.15, duplicate: 0.15, jitterMs: 8 }],
  ] as [string, LinkFaults][]) {
    for (const seed of [7, 42, 1234]) {
      test(`${name} (seed ${seed}): every message delivered once, in order, both ways`, () => {
        const { clock, client, server, got, toServer, toClient } = pair(faults, seed);
        const a = messages('c', 150);
        const b = messages('s', 150);
        // Half before the handshake ends, half in bursts later.
        for (const m of a.slice(0, 75)) client.send(textEncoder.encode(m));
        for (const m of b.slice(0, 75)) server.send(textEncoder.encode(m));
        clock.advance(300);
        for (const m of a.slice(75)) client.send(textEncoder.encode(m));
        for (const m of b.slice(75)) server.send(textEncoder.encode(m));
        runUntil(clock, () => got.server.length >= a.length && got.client.length >= b.length, 30 * 60_000);
        clock.advance(5_000); // nothing more may arrive: no repeats delivered late
        assert.deepEqual(got.server, a);
        assert.deepEqual(got.client, b);
        if (faults.drop) assert.ok(toServer.dropped + toClient.dropped > 0);
        client.close();
        server.close();
        assert.equal(clock.pending > 0, true); // links may still hold packets: harmless, the ends are closed
      });
    }
  }

  test('a message split into chunks is delivered whole', () => {
    const { clock, client, server, got } = pair({ drop: 0.1 }, 3, { maxChunkSize: 7 });
    const long = 'a long message split into many chunks of seven bytes, and more than twenty-one of them for wrap-around'.repeat(3);
    client.send(textEncoder.encode(long));
    server.send(textEncoder.encode('short'));
    runUntil(clock, () => got.server.length === 1 && got.client.length === 1, 600_000);
    assert.deepEqual(got.server, [long]);
    assert.deepEqual(got.client, ['short']);
    client.close();
  });

  test('the client resends SYN after 2 s, then 3 s, then 4 s, and ignores stale packets while it waits', () => {
    const clock = new FakeClock();
    const out: { t: number; hex: string }[] = [];
    const client = new GbnConnection({ role: 'client', send: (p) => out.push({ t: clock.now(), hex: toHex(p) }), timers: clock });
    client.start();
    client.receive(fromHex('0203010064')); // stale DATA of an earlier connection
    client.receive(fromHex('05')); // stale FIN
    client.receive(fromHex('ff')); // garbage
    clock.advanceTo(9_000);
    assert.deepEqual(out, [
      { t: 0, hex: '0114' },
      { t: 2000, hex: '0114' },
      { t: 5000, hex: '0114' },
      { t: 9000, hex: '0114' },
    ]);
    assert.equal(client.state, 'handshake');
    client.close();
    assert.equal(clock.pending, 0);
  });

  test('a server answering with another window size is a PROTOCOL error', () => {
    const clock = new FakeClock();
    const client = new GbnConnection({ role: 'client', send: () => {}, timers: clock });
    let error: GbnError | undefined;
    client.onClose = (e) => (error = e);
    client.start();
    client.receive(fromHex('0105'));
    assert.equal(error?.reason, 'WINDOW_MISMATCH');
    assert.equal(error?.code, 'PROTOCOL');
    assert.equal(clock.pending, 0);
  });

  test('a server that missed the SYNACK takes the client data as the end of the handshake', () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const got: string[] = [];
    const server = new GbnConnection({ role: 'server', send: (p) => out.push(toHex(p)), timers: clock });
    server.onMessage = (m) => got.push(toHex(m));
    server.start();
    server.receive(fromHex('0114'));
    assert.deepEqual(out.splice(0), ['0114']);
    server.receive(fromHex('0200010061')); // before its timeout: still waiting for SYNACK
    assert.equal(server.state, 'handshake');
    clock.advance(2000);
    server.receive(fromHex('0200010061')); // after it: DATA completes the handshake
    assert.equal(server.state, 'open');
    assert.deepEqual(out.splice(0), ['0300']);
    assert.deepEqual(got, ['61']);
    server.close();
    assert.deepEqual(out, ['05']);
  });

  test('lost ACKs: the resend after the timeout draws NACK(top), which clears the window without another resend', () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const client = new GbnConnection({ role: 'client', send: (p) => out.push(toHex(p)), timers: clock });
    client.start();
    client.receive(fromHex('0114'));
    out.length = 0;
    client.send(textEncoder.encode('a'));
    client.send(textEncoder.encode('b'));
    assert.deepEqual(out.splice(0), ['0200010061', '0201010062']);
    clock.advance(999);
    assert.deepEqual(out, []);
    clock.advance(1);
    assert.deepEqual(out.splice(0), ['0200010061', '0201010062'], 'resent after 1 s of silence');
    client.send(textEncoder.encode('c')); // held back until the server has caught up
    assert.deepEqual(out, []);
    client.receive(fromHex('0402')); // NACK(top): it had both
    assert.deepEqual(out.splice(0), ['0202010063']);
    assert.equal(client.pending, 1);
    client.receive(fromHex('0302'));
    assert.equal(client.pending, 0);
    client.close();
    assert.equal(clock.pending, 0);
  });

  test('keepalive: a ping after 7 s of quiet (taking a sequence number); nothing within 3 s more ends the connection', () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const client = new GbnConnection({ role: 'client', send: (p) => out.push(toHex(p)), timers: clock });
    const seen: { error?: GbnError } = {};
    client.onClose = (e) => (seen.error = e);
    client.start();
    client.receive(fromHex('0114'));
    out.length = 0;
    clock.advance(7000);
    assert.deepEqual(out.splice(0), ['02000001']);
    client.receive(fromHex('0300')); // the pong (an ACK) keeps it alive
    clock.advance(6999);
    assert.deepEqual(out, []);
    clock.advance(1);
    assert.deepEqual(out.splice(0), ['02010001']);
    clock.advance(2999);
    assert.ok(!seen.error, 'still alive');
    clock.advance(1000); // the resend timer fires before the pong timeout; the ping is resent
    const error = seen.error as GbnError | undefined;
    assert.equal(error?.reason, 'KEEPALIVE');
    assert.equal(error?.code, 'CONNECTION');
    assert.equal(clock.pending, 0);
  });

  test('the client holds its ACKs 20 ms: one cumulative ACK for a burst, at once at half the window, before a NACK and for a ping', () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const got: string[] = [];
    const client = new GbnConnection({ role: 'client', send: (p) => out.push(toHex(p)), timers: clock });
    client.onMessage = (m) => got.push(toHex(m));
    client.start();
    client.receive(fromHex('0114'));
    out.length = 0;
    const data = (seq: number, ping = false) =>
      toHex(encodeGbnPacket({ type: 'DATA', seq, final: !ping, ping, payload: ping ? new Uint8Array(0) : new Uint8Array([seq]) }));
    // A burst of three: delivered at once, acknowledged once, 20 ms later, by the last.
    for (const seq of [0, 1, 2]) client.receive(fromHex(data(seq)));
    assert.deepEqual(got.splice(0), ['00', '01', '02']);
    clock.advance(19);
    assert.deepEqual(out, []);
    clock.advance(1);
    assert.deepEqual(out.splice(0), ['0302']);
    // Ten unacknowledged (half of 20): the ACK goes with the tenth, the timer is dropped.
    for (let seq = 3; seq < 13; seq++) client.receive(fromHex(data(seq)));
    assert.deepEqual(out.splice(0), ['030c']);
    clock.advance(100);
    assert.deepEqual(out, []);
    // A gap: the held ACK goes first, then the NACK for what is missing.
    client.receive(fromHex(data(13)));
    client.receive(fromHex(data(15)));
    assert.deepEqual(out.splice(0), ['030d', '040e']);
    // A ping is acknowledged at once (the peer's pong clock runs), with what came before it.
    client.receive(fromHex(data(14)));
    client.receive(fromHex(data(15, true)));
    assert.deepEqual(out.splice(0), ['030f']);
    // Closing with an ACK held drops it with its timer.
    client.receive(fromHex(data(16)));
    client.close();
    assert.deepEqual(out.splice(0), ['05']);
    assert.equal(clock.pending, 0);
  });

  test("with ackDelayMs 0 (the server's default, as Go) every packet is acknowledged at once", () => {
    const clock = new FakeClock();
    const out: string[] = [];
    const client = new GbnConnection({ role: 'client', send: (p) => out.push(toHex(p)), timers: clock, ackDelayMs: 0 });
    client.start();
    client.receive(fromHex('0114'));
    out.length = 0;
    for (const seq of [0, 1])
      client.receive(encodeGbnPacket({ type: 'DATA', seq, final: true, ping: false, payload: new Uint8Array([seq]) }));
    assert.deepEqual(out.splice(0), ['0300', '0301']);
    client.close();
  });

  test('a mailbox that refuses a packet ends the connection with SEND_FAILED', () => {
    const clock = new FakeClock();
    let fail = false;
    const client = new GbnConnection({
      role: 'client',
      send: () => {
        if (fail) throw new Error('socket closed');
      },
      timers: clock,
    });
    let error: GbnError | undefined;
    client.onClose = (e) => (error = e);
    client.start();
    client.receive(fromHex('0114'));
    fail = true;
    client.send(textEncoder.encode('x'));
    assert.equal(error?.reason, 'SEND_FAILED');
    assert.throws(() => client.send(textEncoder.encode('y')), { code: 'CONNECTION' });
    assert.equal(clock.pending, 0);
  });
});
