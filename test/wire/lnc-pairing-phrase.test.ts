/**
 * The LNC pairing phrase against vectors-handshake.json `pairing[]`: ten words → 14 bytes of
 * entropy → scrypt password and the session's two stream ids; the static-key session id of
 * KK reconnects (`kk_v2`); and a clear typed error for every malformed phrase.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { base64 } from '@scure/base';
import { fromHex, toHex } from '../../packages/wire/src/bytes.ts';
import { WireError } from '../../packages/wire/src/errors.ts';
import {
  pairingPhraseEntropy,
  pairingPhraseFromEntropy,
  pairingSessionId,
  preparePairing,
  staticKeysSessionId,
  streamIdsOf,
  stretchPairingEntropy,
} from '../../packages/wire/src/lnc/phrase.ts';
import { lncFixture } from './lnc-fixtures.ts';

interface PairingVector {
  name: string;
  words: string;
  entropy: string;
  input_entropy?: string;
  scrypt_stretched: string;
  sid: string;
  client_send_stream_id: string;
  client_recv_stream_id: string;
  client_send_stream_id_b64: string;
  client_recv_stream_id_b64: string;
}

const vectors = lncFixture('vectors-handshake.json') as {
  pairing: PairingVector[];
  kk_v2: Record<string, string>;
};

describe('LNC pairing phrase vectors (vectors-handshake.json pairing)', () => {
  assert.equal(vectors.pairing.length, 4);
  for (const v of vectors.pairing) {
    test(`${v.name}: words ↔ entropy, session id and stream ids`, () => {
      const entropy = pairingPhraseEntropy(v.words);
      assert.equal(toHex(entropy), v.entropy);
      assert.equal(pairingPhraseFromEntropy(entropy), v.words);
      // litd draws 14 random bytes; the words keep 110 bits, so the last two bits drop.
      if (v.input_entropy) assert.equal(pairingPhraseFromEntropy(fromHex(v.input_entropy)), v.words);
      const sid = pairingSessionId(entropy);
      assert.equal(toHex(sid), v.sid);
      const streams = streamIdsOf(sid);
      assert.equal(toHex(streams.receive), v.client_recv_stream_id);
      assert.equal(toHex(streams.send), v.client_send_stream_id);
      assert.equal(base64.encode(streams.receive), v.client_recv_stream_id_b64);
      assert.equal(base64.encode(streams.send), v.client_send_stream_id_b64);
    });
  }
  // scrypt costs 64 MiB and about a second each: the four run one after the other.
  for (const v of vectors.pairing) {
    test(`${v.name}: scrypt password`, async () => {
      assert.equal(toHex(await stretchPairingEntropy(fromHex(v.entropy))), v.scrypt_stretched);
    });
  }
});

describe('LNC static-key session id (vectors-handshake.json kk_v2)', () => {
  const kk = vectors.kk_v2;
  test('both sides derive the same id from their own private key and the other public key', () => {
    const fromClient = staticKeysSessionId(fromHex(kk.client_static_priv!), fromHex(kk.server_static_pub!));
    const fromServer = staticKeysSessionId(fromHex(kk.server_static_priv!), fromHex(kk.client_static_pub!));
    assert.equal(toHex(fromClient), kk.sid);
    assert.equal(toHex(fromServer), kk.sid);
    const streams = streamIdsOf(fromClient);
    assert.equal(toHex(streams.receive), kk.client_recv_stream_id);
    assert.equal(toHex(streams.send), kk.client_send_stream_id);
  });
});

describe('LNC pairing phrase validation', () => {
  const good = vectors.pairing[3]!.words;
  const fails = (phrase: unknown, pattern: RegExp) =>
    assert.throws(
      () => pairingPhraseEntropy(phrase as string),
      (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message),
    );

  test('spaces around and between words, and capitals, are forgiven', () => {
    const messy = `  ${good.toUpperCase().split(' ').join(' \t ')}\n`;
    assert.deepEqual(pairingPhraseEntropy(messy), pairingPhraseEntropy(good));
  });
  test('nine or eleven words, or none, say how many there are', () => {
    fails(good.split(' ').slice(0, 9).join(' '), /must have 10 words, this one has 9/);
    fails(`${good} zoo`, /this one has 11/);
    fails('', /this one has 0/);
    fails('   ', /this one has 0/);
  });
  test('an unknown word is named, with its position', () => {
    const words = good.split(' ');
    words[6] = 'refuze';
    fails(words.join(' '), /word 7 of the pairing phrase, "refuze", is not in the BIP-39 English word list/);
    fails(`${good.split(' ').slice(0, 9).join(' ')} bitcoin!`, /word 10 .*"bitcoin!"/);
  });
  test('not a string', () => {
    fails(undefined, /must be a string/);
    fails(42, /must be a string/);
  });
  test('entropy and session ids of the wrong size are refused', () => {
    const isInvalid = (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT';
    assert.throws(() => pairingSessionId(new Uint8Array(13)), isInvalid);
    assert.throws(() => pairingPhraseFromEntropy(new Uint8Array(15)), isInvalid);
    assert.throws(() => streamIdsOf(new Uint8Array(32)), isInvalid);
    assert.throws(() => staticKeysSessionId(new Uint8Array(32), new Uint8Array(33)), isInvalid);
  });
  test('preparePairing rejects a bad phrase before any scrypt work', async () => {
    await assert.rejects(
      preparePairing('abandon ability'),
      (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT' && /this one has 2/.test(e.message),
    );
  });
  test('stretching entropy of the wrong size rejects with a typed error', async () => {
    await assert.rejects(
      stretchPairingEntropy(new Uint8Array(10)),
      (e: unknown) => e instanceof WireError && e.code === 'INVALID_ARGUMENT',
    );
  });
});
