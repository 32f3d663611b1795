/**
 * The LNC mailbox client: its frames against the recorded WebSocket rendering, and the client
 * against the test mailbox (test/wire/lnc-mailbox-server.ts): a session both ways, the
 * server's "stream not found" and "stream occupied" as typed reasons, a killed socket as a
 * CONNECTION error, go-back-N over the mailbox with a dropped message, and a whole pairing:
 * phrase, go-back-N, MsgData and the Noise XX handshake, ending in one encrypted message
 * each way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64 } from '@scure/base';
import { fromHex, textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { GbnConnection, type GbnError } from '../../packages/wire/src/lnc/gbn.ts';
import { LncInitiator, LncResponder } from '../../packages/wire/src/lnc/handshake.ts';
import {
  MailboxConnection,
  MailboxError,
  mailboxUrls,
  parseReceiveFrame,
  parseSendReply,
  receiveInitFrame,
  sendFrame,
} from '../../packages/wire/src/lnc/mailbox.ts';
import { decodeMsgData, encodeMsgData } from '../../packages/wire/src/lnc/msgdata.ts';
import { preparePairing, streamIdsOf, type LncStreamIds } from '../../packages/wire/src/lnc/phrase.ts';
import { LncMessageDecoder } from '../../packages/wire/src/lnc/transport.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { startTestMailbox, type TestMailbox } from './lnc-mailbox-server.ts';
import { lncFixture } from './lnc-fixtures.ts';

const transcript = lncFixture('transcript-full-stack.json') as {
  client_send_stream_id_b64: string;
  client_recv_stream_id_b64: string;
  receive_socket_first_text_message: string;
  websocket_rendering_first_packets: { client_writes_text?: string; client_reads_text?: string }[];
};

describe('mailbox frames', () => {
  const send = base64.decode(transcript.client_send_stream_id_b64);
  const receive = base64.decode(transcript.client_recv_stream_id_b64);

  test('the init frame and the send frames are the recorded ones; the received frames give the recorded packets', () => {
    assert.equal(receiveInitFrame(receive), transcript.receive_socket_first_text_message);
    for (const frame of transcript.websocket_rendering_first_packets) {
      if (frame.client_writes_text) {
        const packet = base64.decode(JSON.parse(frame.client_writes_text).msg);
        assert.equal(sendFrame(send, packet), frame.client_writes_text);
      } else {
        const packet = parseReceiveFrame(frame.client_reads_text!);
        assert.ok(packet instanceof Uint8Array);
        assert.equal(base64.encode(packet), JSON.parse(frame.client_reads_text!).result.msg);
      }
    }
    assert.equal(toHex(parseReceiveFrame(' { "result" : { "msg" : "ARQ=" } } ') as Uint8Array), '0114', 'whitespace does not matter');
  });

  test('server errors map to SESSION_NOT_FOUND, SESSION_IN_USE and NOT_CONNECTED; junk is a PROTOCOL error', () => {
    const notFound = parseReceiveFrame('{"error":{"code":2,"message":"stream not found","details":[]}}');
    assert.ok(notFound instanceof MailboxError);
    assert.equal(notFound.reason, 'SESSION_NOT_FOUND');
    assert.equal(notFound.code, 'CONNECTION');
    assert.equal(notFound.serverMessage, 'stream not found');
    assert.equal((parseReceiveFrame('{"error":{"code":2,"message":"read stream occupied"}}') as MailboxError).reason, 'SESSION_IN_USE');
    assert.equal(parseSendReply('{"code":2,"message":"write stream occupied","details":[]}').reason, 'SESSION_IN_USE');
    assert.equal(parseSendReply('{"code":2,"message":"stream not found","details":[]}').reason, 'SESSION_NOT_FOUND');
    assert.equal(parseSendReply('{"code":14,"message":"unavailable"}').reason, 'NOT_CONNECTED');
    for (const junk of ['not json', '[]', '{"result":{"msg":"@@"}}', '{"something":1}']) {
      assert.throws(
        () => parseReceiveFrame(junk),
        (e: unknown) => e instanceof MailboxError && e.code === 'PROTOCOL',
        junk,
      );
    }
  });

  test('mailbox URLs: host:port goes over wss; a ws:// base is kept', () => {
    assert.deepEqual(mailboxUrls('mailbox.terminal.lightning.today:443'), {
      receive: 'wss://mailbox.terminal.lightning.today:443/v1/lightning-node-connect/hashmail/receive?method=POST',
      send: 'wss://mailbox.terminal.lightning.today:443/v1/lightning-node-connect/hashmail/send?method=POST',
    });
    assert.equal(mailboxUrls('ws://127.0.0.1:9/').send, 'ws://127.0.0.1:9/v1/lightning-node-connect/hashmail/send?method=POST');
  });
});

function swap(streams: LncStreamIds): LncStreamIds {
  return { receive: streams.send, send: streams.receive };
}

function closed(connection: MailboxConnection): Promise<MailboxError | undefined> {
  return new Promise((resolve) => (connection.onClose = resolve));
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))),
  ]);
}

let counter = 0;
function freshSession(mailbox: TestMailbox, create = true): LncStreamIds {
  const sid = sha256
    .create()
    .update(textEncoder.encode(`session ${counter++}`))
    .digest();
  const sid64 = new Uint8Array(64);
  sid64.set(sid);
  sid64.set(sid, 32);
  if (create) mailbox.createSession(sid64);
  return streamIdsOf(sid64);
}

describe('mailbox client against the test mailbox', () => {
  let mailbox: TestMailbox;
  before(async () => {
    mailbox = await startTestMailbox();
  });
  after(async () => {
    await mailbox.close();
  });

  const open = (streams: LncStreamIds) =>
    MailboxConnection.open({ server: mailbox.url, streams, WebSocket: NodeWebSocket, openTimeoutMs: 2000 });

  test('a session: packets both ways, in order', async () => {
    const streams = freshSession(mailbox);
    const client = await open(streams);
    const server = await open(swap(streams));
    const toServer: string[] = [];
    const toClient: string[] = [];
    const done = new Promise<void>((resolve) => {
      const check = () => toServer.length === 3 && toClient.length === 2 && resolve();
      server.onPacket = (p) => (toServer.push(toHex(p)), check());
      client.onPacket = (p) => (toClient.push(toHex(p)), check());
    });
    for (const hex of ['0114', '06', '0200010061']) client.send(fromHex(hex));
    for (const hex of ['0114', '0300']) server.send(fromHex(hex));
    await within(done, 2000, 'packets');
    assert.deepEqual(toServer, ['0114', '06', '0200010061']);
    assert.deepEqual(toClient, ['0114', '0300']);
    const clientClosed = closed(client);
    client.close();
    assert.equal(await clientClosed, undefined);
    server.close();
  });

  test('a session the mailbox does not have: SESSION_NOT_FOUND', async () => {
    const client = await open(freshSession(mailbox, false));
    const error = await within(closed(client), 2000, 'close');
    assert.ok(error instanceof MailboxError);
    assert.equal(error.reason, 'SESSION_NOT_FOUND');
    assert.equal(error.code, 'CONNECTION');
    assert.throws(
      () => client.send(fromHex('0114')),
      (e: unknown) => e instanceof MailboxError && e.reason === 'NOT_CONNECTED',
    );
  });

  test('sending on a stream the mailbox does not have: SESSION_NOT_FOUND from the send socket', async () => {
    const real = freshSession(mailbox);
    const client = await open({ receive: real.receive, send: freshSession(mailbox, false).send });
    const error = closed(client);
    client.send(fromHex('0114'));
    assert.equal((await within(error, 2000, 'close'))?.reason, 'SESSION_NOT_FOUND');
  });

  test('a stream another client reads: SESSION_IN_USE, after the mailbox has waited 250 ms for it to leave', async () => {
    const streams = freshSession(mailbox);
    const first = await open(streams);
    const firstClosed = closed(first);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the first claim the stream
    const second = await open(streams);
    const error = await within(closed(second), 2000, 'close');
    assert.equal(error?.reason, 'SESSION_IN_USE');
    assert.equal(error?.serverMessage, 'read stream occupied');
    first.close();
    assert.equal(await firstClosed, undefined);
  });

  test('a stream held by a phantom writer: SESSION_IN_USE on the first send', async () => {
    const streams = freshSession(mailbox);
    const release = mailbox.occupy(streams.send, 'write');
    const client = await open(streams);
    const error = closed(client);
    client.send(fromHex('0114'));
    assert.equal((await within(error, 2000, 'close'))?.serverMessage, 'write stream occupied');
    release();
  });

  test('a killed socket: a NOT_CONNECTED MailboxError with code CONNECTION', async () => {
    const streams = freshSession(mailbox);
    const client = await open(streams);
    const error = closed(client);
    await new Promise((resolve) => setTimeout(resolve, 50));
    mailbox.kill(streams.receive);
    const e = await within(error, 2000, 'close');
    assert.ok(e instanceof MailboxError);
    assert.equal(e.reason, 'NOT_CONNECTED');
    assert.equal(e.code, 'CONNECTION');
  });

  test('a mailbox that is not there: open rejects with NOT_CONNECTED', async () => {
    await assert.rejects(
      MailboxConnection.open({
        server: 'ws://127.0.0.1:1',
        streams: freshSession(mailbox, false),
        WebSocket: NodeWebSocket,
        openTimeoutMs: 2000,
      }),
      (e: unknown) => e instanceof MailboxError && e.reason === 'NOT_CONNECTED' && e.code === 'CONNECTION',
    );
  });

  /** A go-back-N client and server, each on its own mailbox connection, with short timers. */
  async function gbnPair(streams: LncStreamIds) {
    const clientBox = await open(streams);
    const serverBox = await open(swap(streams));
    const timing = { handshakeTimeoutMs: 200, resendTimeoutMs: 100 };
    const client = new GbnConnection({ ...timing, role: 'client', send: (p) => clientBox.send(p) });
    const server = new GbnConnection({ ...timing, role: 'server', send: (p) => serverBox.send(p) });
    clientBox.onPacket = (p) => client.receive(p);
    serverBox.onPacket = (p) => server.receive(p);
    const shut = () => {
      client.close();
      server.close();
      clientBox.close();
      serverBox.close();
    };
    return { client, server, clientBox, serverBox, shut };
  }

  test('go-back-N over the mailbox: the 4th and 9th messages dropped, a 6th duplicated, everything arrives once, in order', async () => {
    const streams = freshSession(mailbox);
    const start = mailbox.forwarded;
    mailbox.onForward = ({ index }) =>
      index - start === 4 || index - start === 9 ? 'drop' : index - start === 6 ? 'duplicate' : 'deliver';
    const { client, server, shut } = await gbnPair(streams);
    try {
      const got: string[] = [];
      const back: string[] = [];
      const all = new Promise<void>((resolve) => {
        server.onMessage = (m) => {
          got.push(Buffer.from(m).toString());
          server.send(m); // echo
          if (got.length === 30 && back.length === 30) resolve();
        };
        client.onMessage = (m) => {
          back.push(Buffer.from(m).toString());
          if (got.length === 30 && back.length === 30) resolve();
        };
      });
      server.start();
      client.start();
      const sent = Array.from({ length: 30 }, (_, i) => `message ${i}`);
      for (const m of sent) client.send(textEncoder.encode(m));
      await within(all, 10_000, 'echoes');
      assert.deepEqual(got, sent);
      assert.deepEqual(back, sent);
      const serverClosed = new Promise<GbnError | undefined>((resolve) => (server.onClose = resolve));
      client.close();
      assert.equal((await within(serverClosed, 2000, 'FIN'))?.reason, 'REMOTE_CLOSED');
    } finally {
      mailbox.onForward = undefined;
      shut();
    }
  });

  test('pairing end to end: phrase, go-back-N, MsgData, Noise XX; both sides hold transports and exchange a message', async () => {
    const phrase = 'fringe try aim absurd minute lunch refuse spend keen math';
    // scrypt first, as the client must, before the sockets open.
    const { password, streams } = await preparePairing(phrase);
    mailbox.createSession(streams.receive);
    const { client, server, shut } = await gbnPair(streams);
    try {
      const clientKey = sha256(textEncoder.encode('e2e client'));
      const serverKey = sha256(textEncoder.encode('e2e server'));
      const authData = textEncoder.encode('Macaroon: 0201036c6e64');
      const initiator = new LncInitiator({ localPrivateKey: clientKey, password });
      const responder = new LncResponder({ localPrivateKey: serverKey, password, authData });
      let clientDecoder: LncMessageDecoder | undefined;
      let serverDecoder: LncMessageDecoder | undefined;
      const clientGot = new Promise<string>((resolve, reject) => {
        client.onMessage = (frame) => {
          try {
            const { payload } = decodeMsgData(frame);
            if (!clientDecoder) {
              initiator.readActTwo(payload);
              client.send(encodeMsgData(initiator.actThree()));
              const result = initiator.finish();
              assert.equal(result.version, 2);
              assert.deepEqual(result.authData, authData);
              clientDecoder = new LncMessageDecoder(result.transport);
              client.send(encodeMsgData(result.transport.encrypt(textEncoder.encode('hello from the client'))));
              return;
            }
            for (const message of clientDecoder.push(payload)) resolve(Buffer.from(message).toString());
          } catch (error) {
            reject(error);
          }
        };
      });
      const serverGot = new Promise<string>((resolve, reject) => {
        let act = 0;
        server.onMessage = (frame) => {
          try {
            const { payload } = decodeMsgData(frame);
            if (act === 0) {
              act++;
              responder.readActOne(payload);
              server.send(encodeMsgData(responder.actTwo()));
              return;
            }
            if (act === 1) {
              act++;
              responder.readActThree(payload);
              const result = responder.finish();
              serverDecoder = new LncMessageDecoder(result.transport);
              server.send(encodeMsgData(result.transport.encrypt(textEncoder.encode('hello from litd'))));
              return;
            }
            for (const message of serverDecoder!.push(payload)) resolve(Buffer.from(message).toString());
          } catch (error) {
            reject(error);
          }
        };
      });
      server.start();
      client.start();
      client.send(encodeMsgData(initiator.actOne()));
      assert.equal(await within(serverGot, 10_000, 'server message'), 'hello from the client');
      assert.equal(await within(clientGot, 10_000, 'client message'), 'hello from litd');
    } finally {
      shut();
    }
  });
});
