/**
 * The Noise layer of transcript-full-stack.json (a real Go LNC client and server, grpc-go on
 * both ends, fixed keys): from the pairing phrase our client must write acts 1 and 3 byte for
 * byte, read the server's act 2 and its auth data, and decrypt every server message to the
 * HTTP/2 bytes grpc-go wrote; encrypting the client's HTTP/2 writes must give the recorded
 * bytes. Our responder, given the server's keys, must write the recorded act 2.
 * The go-back-N and MsgData layers are unwrapped here by a few lines, not by ampkit code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, textEncoder, toHex } from '../../packages/wire/src/bytes.ts';
import { LncInitiator, LncResponder } from '../../packages/wire/src/lnc/handshake.ts';
import { pairingPhraseEntropy, pairingSessionId, preparePairing, streamIdsOf } from '../../packages/wire/src/lnc/phrase.ts';
import { LncMessageDecoder } from '../../packages/wire/src/lnc/transport.ts';
import { base64 } from '@scure/base';
import { fullStack as transcript, msgDataPayloads } from './lnc-fixtures.ts';

const label = (name: string) => sha256(textEncoder.encode(`ampkit-lnc-vector ${name}`));

describe('LNC full-stack transcript, Noise layer', () => {
  const fromClient = msgDataPayloads('client->server');
  const fromServer = msgDataPayloads('server->client');
  const authData = textEncoder.encode(transcript.auth_data_ascii);

  test('the phrase gives the recorded stream ids', () => {
    const streams = streamIdsOf(pairingSessionId(pairingPhraseEntropy(transcript.pairing_words)));
    assert.equal(base64.encode(streams.send), transcript.client_send_stream_id_b64);
    assert.equal(base64.encode(streams.receive), transcript.client_recv_stream_id_b64);
  });

  test('client: acts 1 and 3 byte for byte, every server message decrypted, every client message re-encrypted', async () => {
    const { password, streams } = await preparePairing(transcript.pairing_words);
    assert.equal(base64.encode(streams.send), transcript.client_send_stream_id_b64);
    assert.equal(toHex(label('client static')), transcript.client_static_priv);
    const client = new LncInitiator({
      localPrivateKey: fromHex(transcript.client_static_priv),
      ephemeralPrivateKey: label('client ephemeral xx'),
      password,
    });
    assert.equal(toHex(client.actOne()), toHex(fromClient[0]!), 'act 1');
    client.readActTwo(fromServer[0]!);
    assert.equal(toHex(client.actThree()), toHex(fromClient[1]!), 'act 3');
    const result = client.finish();
    assert.equal(result.version, 2);
    assert.equal(toHex(result.remotePublicKey), transcript.remote_static_seen_by_client);
    assert.deepEqual(result.authData, authData);

    // Server → client: each Noise message came as two MsgData (header, body); the decoder sees a stream.
    const decoder = new LncMessageDecoder(result.transport);
    const decrypted = fromServer.slice(1).flatMap((payload) => decoder.push(payload));
    assert.equal(decoder.buffered, 0);
    const serverWrites = transcript.plaintext_http2.filter((w) => w.who === 'server').map((w) => w.hex);
    assert.equal(serverWrites.length, 5);
    assert.deepEqual(decrypted.map(toHex), serverWrites);

    // Client → server: the same keys and order reproduce the recorded bytes.
    const clientWrites = transcript.plaintext_http2.filter((w) => w.who === 'client');
    const encrypted = concatBytes(...clientWrites.map((w) => result.transport.encrypt(fromHex(w.hex))));
    assert.equal(toHex(encrypted), toHex(concatBytes(...fromClient.slice(2))));
  });

  test('server: reads the recorded acts 1 and 3, writes the recorded act 2, decrypts every client message', () => {
    const server = new LncResponder({
      localPrivateKey: fromHex(transcript.server_static_priv),
      ephemeralPrivateKey: label('server ephemeral xx'),
      password: fromHex('0d0788a82c1df38eebffa57b28798d3cc8e48f80022981d5fb119c4f4f7b98dd'), // pairing[3].scrypt_stretched: same words
      authData,
    });
    server.readActOne(fromClient[0]!);
    assert.equal(toHex(server.actTwo()), toHex(fromServer[0]!), 'act 2');
    server.readActThree(fromClient[1]!);
    const decoder = new LncMessageDecoder(server.finish().transport);
    const decrypted = fromClient.slice(2).flatMap((payload) => decoder.push(payload));
    assert.deepEqual(
      decrypted.map(toHex),
      transcript.plaintext_http2.filter((w) => w.who === 'client').map((w) => w.hex),
    );
  });
});
