/**
 * BOLT 8: Noise_XK_secp256k1_ChaChaPoly_SHA256, the encrypted and authenticated transport
 * every Lightning connection runs over. Handshake acts, then length-prefixed messages with
 * key rotation. All primitives come from @noble; only the protocol's composition is here.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, textEncoder } from './bytes.ts';
import { WireError } from './errors.ts';
import { getPublicKey, getSharedSecret, utils } from './secp256k1.ts';

/** Why a handshake failed; names follow BOLT 8 appendix A's test vectors. */
export type HandshakeFailure =
  | 'ACT1_READ_FAILED'
  | 'ACT1_BAD_VERSION'
  | 'ACT1_BAD_PUBKEY'
  | 'ACT1_BAD_TAG'
  | 'ACT2_READ_FAILED'
  | 'ACT2_BAD_VERSION'
  | 'ACT2_BAD_PUBKEY'
  | 'ACT2_BAD_TAG'
  | 'ACT3_READ_FAILED'
  | 'ACT3_BAD_VERSION'
  | 'ACT3_BAD_CIPHERTEXT'
  | 'ACT3_BAD_PUBKEY'
  | 'ACT3_BAD_TAG';

/** A handshake failure: `code` is `HANDSHAKE`, `reason` says which check failed. */
export class HandshakeError extends WireError {
  readonly reason: HandshakeFailure;
  constructor(reason: HandshakeFailure, detail?: string) {
    super('HANDSHAKE', `BOLT 8 handshake failed: ${reason}${detail ? ` (${detail})` : ''}`);
    this.name = 'HandshakeError';
    this.reason = reason;
  }
}

export const ACT_ONE_SIZE = 50;
export const ACT_TWO_SIZE = 50;
export const ACT_THREE_SIZE = 66;
/** BOLT 8 §Lightning Message Specification: a message body is at most 65535 bytes. */
export const MAX_MESSAGE_SIZE = 65535;
/** Encrypted length prefix: 2 bytes plus a 16-byte MAC. */
export const LENGTH_HEADER_SIZE = 18;
const MAC_SIZE = 16;
/** BOLT 8 §Lightning Message Key Rotation: a key is rotated after 1000 uses. */
const ROTATE_AFTER = 1000;

const PROTOCOL_NAME = 'Noise_XK_secp256k1_ChaChaPoly_SHA256';
const PROLOGUE = 'lightning';
const EMPTY = new Uint8Array(0);
const ZERO_KEY = new Uint8Array(32);

// h and ck after mixing in the protocol name and prologue are the same for every handshake.
const INITIAL_CK = sha256(textEncoder.encode(PROTOCOL_NAME));
const INITIAL_H = sha256(concatBytes(INITIAL_CK, textEncoder.encode(PROLOGUE)));

/** BOLT 8 nonce: 32 zero bits, then the 64-bit counter little-endian. */
function nonceBytes(n: number): Uint8Array {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(4, n >>> 0, true);
  view.setUint32(8, Math.floor(n / 0x1_0000_0000), true);
  return nonce;
}

/** ChaCha20-Poly1305 encryption under `key` with the BOLT 8 nonce `n` and associated data `ad`. */
export function encryptWithAd(key: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return chacha20poly1305(key, nonceBytes(n), ad).encrypt(plaintext);
}

/** The reverse of {@link encryptWithAd}: the plaintext, or undefined when the MAC does not match. */
export function decryptWithAd(key: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305(key, nonceBytes(n), ad).decrypt(ciphertext);
  } catch {
    return undefined;
  }
}

/** BOLT 8 HKDF: HKDF-SHA256 with salt `ck`, empty info, split into two 32-byte keys. */
export function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const out = hkdf(sha256, ikm, ck, EMPTY, 64);
  return [out.subarray(0, 32), out.subarray(32, 64)];
}

/** BOLT 8 ECDH: SHA256 of the compressed shared point. */
export function ecdh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return sha256(getSharedSecret(privateKey, publicKey, true));
}

/** A 33-byte compressed public key that lies on the curve, or undefined. */
export function parsePublicKey(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return undefined;
  return utils.isValidPublicKey(bytes, true) ? bytes : undefined;
}

// A node or client uses one static key for every handshake: derive its public key once.
const staticPublicKeys = new WeakMap<Uint8Array, Uint8Array>();

/** Returns the compressed public key of a 32-byte private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return getPublicKey(privateKey, true);
}

function staticPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  let key = staticPublicKeys.get(privateKey);
  if (!key) staticPublicKeys.set(privateKey, (key = publicKeyOf(privateKey)));
  return key;
}

/** A fresh random private key from the platform's CSPRNG. */
export function randomPrivateKey(): Uint8Array {
  return utils.randomSecretKey();
}

/** Checks a private key's shape (32 bytes, in range) and throws a typed error otherwise. */
export function checkPrivateKey(key: Uint8Array, what = 'private key'): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32 || !utils.isValidSecretKey(key)) {
    throw new WireError('INVALID_ARGUMENT', `${what} must be 32 bytes in the secp256k1 range`);
  }
  return key;
}

/** Checks a compressed public key and throws a typed error otherwise. */
export function checkPublicKey(key: Uint8Array, what = 'public key'): Uint8Array {
  if (!(key instanceof Uint8Array) || !parsePublicKey(key)) {
    throw new WireError('INVALID_ARGUMENT', `${what} must be a 33-byte compressed secp256k1 point`);
  }
  return key;
}

/** One direction of an established transport: a ChaCha20-Poly1305 key, its nonce, its chaining key. */
class CipherState {
  private nonce = 0;
  constructor(
    private key: Uint8Array,
    private ck: Uint8Array,
  ) {}

  private next(): Uint8Array {
    const nonce = nonceBytes(this.nonce);
    if (++this.nonce === ROTATE_AFTER) {
      // BOLT 8 §Lightning Message Key Rotation: ck', k' = HKDF(ck, k); nonce back to 0.
      [this.ck, this.key] = hkdf2(this.ck, this.key);
      this.nonce = 0;
    }
    return nonce;
  }

  encryptInto(plaintext: Uint8Array, output: Uint8Array): void {
    chacha20poly1305(this.key, this.next()).encrypt(plaintext, output);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    try {
      return chacha20poly1305(this.key, this.next()).decrypt(ciphertext);
    } catch (cause) {
      throw new WireError('BAD_MAC', 'BOLT 8 message failed to authenticate', { cause });
    }
  }
}

/**
 * An established BOLT 8 transport: encrypts outgoing messages and decrypts incoming ones,
 * rotating keys every 1000 uses. Not safe to share between two connections.
 */
export class NoiseTransport {
  private readonly sender: CipherState;
  private readonly receiver: CipherState;
  /** The peer's static public key, learned or confirmed by the handshake. */
  readonly remotePublicKey: Uint8Array;

  constructor(sk: Uint8Array, rk: Uint8Array, ck: Uint8Array, remotePublicKey: Uint8Array) {
    this.sender = new CipherState(sk, ck);
    this.receiver = new CipherState(rk, ck);
    this.remotePublicKey = remotePublicKey;
  }

  /** Encrypts one Lightning message into its wire form: encrypted length, MAC, body, MAC. */
  encrypt(message: Uint8Array): Uint8Array {
    if (message.length > MAX_MESSAGE_SIZE) {
      throw new WireError('PROTOCOL', `message of ${message.length} bytes exceeds ${MAX_MESSAGE_SIZE}`);
    }
    const out = new Uint8Array(LENGTH_HEADER_SIZE + message.length + MAC_SIZE);
    const length = new Uint8Array(2);
    length[0] = message.length >>> 8;
    length[1] = message.length & 0xff;
    this.sender.encryptInto(length, out.subarray(0, LENGTH_HEADER_SIZE));
    this.sender.encryptInto(message, out.subarray(LENGTH_HEADER_SIZE));
    return out;
  }

  /** Decrypts the 18-byte length header and returns the body length to read next (plus its MAC). */
  decryptLength(header: Uint8Array): number {
    const plain = this.receiver.decrypt(header);
    return (plain[0]! << 8) | plain[1]!;
  }

  /** Decrypts a message body (with its 16-byte MAC) whose length came from {@link decryptLength}. */
  decryptBody(body: Uint8Array): Uint8Array {
    return this.receiver.decrypt(body);
  }
}

/** Test hook: BOLT 8's vectors fix the ephemeral key; real use draws a fresh one each handshake. */
export interface HandshakeOptions {
  /** Our static private key (32 bytes). */
  localPrivateKey: Uint8Array;
  /** Ephemeral private key; random when omitted. Only tests should set it. */
  ephemeralPrivateKey?: Uint8Array;
}

abstract class HandshakeBase {
  protected h: Uint8Array = INITIAL_H;
  protected ck: Uint8Array = INITIAL_CK;
  protected tempK2: Uint8Array = ZERO_KEY;
  protected readonly s: Uint8Array;
  protected readonly e: Uint8Array;
  protected readonly ePub: Uint8Array;

  constructor(options: HandshakeOptions) {
    this.s = checkPrivateKey(options.localPrivateKey, 'localPrivateKey');
    this.e = options.ephemeralPrivateKey ? checkPrivateKey(options.ephemeralPrivateKey, 'ephemeralPrivateKey') : randomPrivateKey();
    this.ePub = publicKeyOf(this.e);
  }

  protected mixHash(data: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, data));
  }

  protected split(remote: Uint8Array, initiator: boolean): NoiseTransport {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    return initiator ? new NoiseTransport(k1, k2, this.ck, remote) : new NoiseTransport(k2, k1, this.ck, remote);
  }
}

/** The initiator's side of the handshake: act one out, act two in, act three out. */
export class InitiatorHandshake extends HandshakeBase {
  private readonly rs: Uint8Array;
  private re: Uint8Array = EMPTY;

  constructor(options: HandshakeOptions & { remotePublicKey: Uint8Array }) {
    super(options);
    this.rs = checkPublicKey(options.remotePublicKey, 'remotePublicKey');
    this.mixHash(this.rs);
  }

  /** BOLT 8 §Act One: 50 bytes to send. */
  actOne(): Uint8Array {
    this.mixHash(this.ePub);
    const [ck, tempK1] = hkdf2(this.ck, ecdh(this.e, this.rs));
    this.ck = ck;
    const c = encryptWithAd(tempK1, 0, this.h, EMPTY);
    this.mixHash(c);
    return concatBytes(Uint8Array.of(0), this.ePub, c);
  }

  /** BOLT 8 §Act Two: reads the responder's 50 bytes. */
  readActTwo(input: Uint8Array): void {
    if (input.length !== ACT_TWO_SIZE) throw new HandshakeError('ACT2_READ_FAILED');
    if (input[0] !== 0) throw new HandshakeError('ACT2_BAD_VERSION', `version ${input[0]}`);
    const re = parsePublicKey(input.subarray(1, 34));
    if (!re) throw new HandshakeError('ACT2_BAD_PUBKEY');
    const c = input.subarray(34, 50);
    this.re = re;
    this.mixHash(re);
    const [ck, tempK2] = hkdf2(this.ck, ecdh(this.e, re));
    this.ck = ck;
    this.tempK2 = tempK2;
    if (!decryptWithAd(tempK2, 0, this.h, c)) throw new HandshakeError('ACT2_BAD_TAG');
    this.mixHash(c);
  }

  /** BOLT 8 §Act Three: 66 bytes to send, and the established transport. */
  actThree(): { message: Uint8Array; transport: NoiseTransport } {
    const c = encryptWithAd(this.tempK2, 1, this.h, staticPublicKeyOf(this.s));
    this.mixHash(c);
    const [ck, tempK3] = hkdf2(this.ck, ecdh(this.s, this.re));
    this.ck = ck;
    const t = encryptWithAd(tempK3, 0, this.h, EMPTY);
    return { message: concatBytes(Uint8Array.of(0), c, t), transport: this.split(this.rs, true) };
  }
}

/** The responder's side: act one in, act two out, act three in. */
export class ResponderHandshake extends HandshakeBase {
  private re: Uint8Array = EMPTY;

  constructor(options: HandshakeOptions) {
    super(options);
    this.mixHash(staticPublicKeyOf(this.s));
  }

  /** BOLT 8 §Act One, receiving side. */
  readActOne(input: Uint8Array): void {
    if (input.length !== ACT_ONE_SIZE) throw new HandshakeError('ACT1_READ_FAILED');
    if (input[0] !== 0) throw new HandshakeError('ACT1_BAD_VERSION', `version ${input[0]}`);
    const re = parsePublicKey(input.subarray(1, 34));
    if (!re) throw new HandshakeError('ACT1_BAD_PUBKEY');
    const c = input.subarray(34, 50);
    this.re = re;
    this.mixHash(re);
    const [ck, tempK1] = hkdf2(this.ck, ecdh(this.s, re));
    this.ck = ck;
    if (!decryptWithAd(tempK1, 0, this.h, c)) throw new HandshakeError('ACT1_BAD_TAG');
    this.mixHash(c);
  }

  /** BOLT 8 §Act Two: 50 bytes to send. */
  actTwo(): Uint8Array {
    this.mixHash(this.ePub);
    const [ck, tempK2] = hkdf2(this.ck, ecdh(this.e, this.re));
    this.ck = ck;
    this.tempK2 = tempK2;
    const c = encryptWithAd(tempK2, 0, this.h, EMPTY);
    this.mixHash(c);
    return concatBytes(Uint8Array.of(0), this.ePub, c);
  }

  /** BOLT 8 §Act Three, receiving side: authenticates the initiator and establishes the transport. */
  readActThree(input: Uint8Array): NoiseTransport {
    if (input.length !== ACT_THREE_SIZE) throw new HandshakeError('ACT3_READ_FAILED');
    if (input[0] !== 0) throw new HandshakeError('ACT3_BAD_VERSION', `version ${input[0]}`);
    const c = input.subarray(1, 50);
    const t = input.subarray(50, 66);
    const rsBytes = decryptWithAd(this.tempK2, 1, this.h, c);
    if (!rsBytes) throw new HandshakeError('ACT3_BAD_CIPHERTEXT');
    const rs = parsePublicKey(rsBytes);
    if (!rs) throw new HandshakeError('ACT3_BAD_PUBKEY');
    this.mixHash(c);
    const [ck, tempK3] = hkdf2(this.ck, ecdh(this.e, rs));
    this.ck = ck;
    if (!decryptWithAd(tempK3, 0, this.h, t)) throw new HandshakeError('ACT3_BAD_TAG');
    return this.split(rs, false);
  }
}
