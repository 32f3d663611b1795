/**
 * The pieces LNC's two handshake patterns share (lightning-node-connect `mailbox/noise.go`):
 * versions, the typed failure, Noise's symmetric state with LNC's rules, and the readers and
 * writers of the parts of an act (keys, the encrypted static key, the auth payload).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, textEncoder } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { decryptWithAd, encryptWithAd, hkdf2, NoiseTransport, parsePublicKey } from '../noise.ts';

/** Version 0: act two carries a fixed 500-byte auth payload. */
export const LNC_VERSION_0 = 0;
/** Version 1: act two carries a length-prefixed auth payload. */
export const LNC_VERSION_1 = 1;
/** Version 2: like 1, and both sides keep each other's static key: later connections use KK. */
export const LNC_VERSION_2 = 2;
/** The newest handshake version this code speaks. */
export const LNC_MAX_VERSION = LNC_VERSION_2;

/** The two handshake patterns: `XX` pairs with the phrase, `KK` reconnects with stored keys. */
export type LncPattern = 'XX' | 'KK';

/** Why an LNC handshake failed. */
export type LncHandshakeFailure =
  /** The act is shorter or longer than its version and lengths say. */
  | 'BAD_LENGTH'
  /** The act's version byte is outside our range, or act three's differs from act two's. */
  | 'BAD_VERSION'
  /** A public key in the act is not a point on the curve. */
  | 'BAD_KEY'
  /**
   * A MAC did not match: bytes were changed on the way, or (act one of XX, read by the
   * server) the client used another pairing phrase.
   */
  | 'BAD_TAG'
  /** The auth payload's declared length does not fit the act. */
  | 'BAD_PAYLOAD'
  /** A method was called out of turn, or after the handshake had failed or finished. */
  | 'OUT_OF_ORDER';

/** A failed LNC handshake: `code` is `HANDSHAKE`, `reason` says which check failed, `act` in which act. */
export class LncHandshakeError extends WireError {
  /** Which check failed. */
  readonly reason: LncHandshakeFailure;
  /** The act (1, 2 or 3) being written or read when it failed. */
  readonly act: number;
  /** `detail` says, in plain words, what was wrong with the act. */
  constructor(act: number, reason: LncHandshakeFailure, detail: string) {
    super('HANDSHAKE', `LNC handshake failed in act ${act}: ${reason} (${detail})`);
    this.name = 'LncHandshakeError';
    this.act = act;
    this.reason = reason;
  }
}

/** The Noise prologue both sides mix in first. */
export const PROLOGUE = /* @__PURE__ */ textEncoder.encode('lightning-node-connect');
/** Noise protocol names; their SHA-256 starts h and ck. */
export const PROTOCOL_NAMES: Record<LncPattern, string> = {
  XX: 'Noise_XXeke+SPAKE2_secp256k1_ChaChaPoly_SHA256',
  KK: 'Noise_KK_secp256k1_ChaChaPoly_SHA256',
};
/** The empty payload. */
export const EMPTY = new Uint8Array(0);
/** Poly1305 tag size. */
export const MAC_SIZE = 16;
/** A compressed secp256k1 public key. */
export const KEY_SIZE = 33;
/** Version 0's act-two payload: a u16 length, the auth data, zero padding (`ActTwoPayloadSize`). */
export const V0_PAYLOAD_SIZE = 500;
/** Versions 1 and 2 limit the auth data's u32 length below 2^31 (Go's `math.MaxInt32`). */
export const MAX_AUTH_DATA = 0x7fff_ffff;

/** Noise's SymmetricState with LNC's rule: EncryptAndHash always encrypts, even under the zero key. */
export class SymmetricState {
  h: Uint8Array;
  ck: Uint8Array;
  private k: Uint8Array = new Uint8Array(32);
  private n = 0;

  constructor(pattern: LncPattern) {
    // The name is always hashed, even though it is longer than 32 bytes anyway.
    this.h = sha256(textEncoder.encode(PROTOCOL_NAMES[pattern]));
    this.ck = this.h;
    this.mixHash(PROLOGUE);
  }

  /** h = SHA256(h ‖ data). */
  mixHash(data: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, data));
  }

  /** (ck, k) = HKDF(ck, input); the nonce restarts at 0. */
  mixKey(input: Uint8Array): void {
    [this.ck, this.k] = hkdf2(this.ck, input);
    this.n = 0;
  }

  /** Encrypts under k (all zero before the first MixKey) with h as associated data, then hashes the ciphertext. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = encryptWithAd(this.k, this.n++, this.h, plaintext);
    this.mixHash(c);
    return c;
  }

  /** The reverse of encryptAndHash; undefined (state unchanged) when the tag does not match. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    const p = decryptWithAd(this.k, this.n, this.h, ciphertext);
    if (!p) return undefined;
    this.n++;
    this.mixHash(ciphertext);
    return p;
  }

  /** The transport keys: (k1, k2) = HKDF(ck, empty); the initiator sends with k1. */
  split(initiator: boolean, remotePublicKey: Uint8Array): NoiseTransport {
    const [k1, k2] = hkdf2(this.ck, EMPTY);
    // Both directions keep ck as the salt of their key rotations, as in BOLT 8.
    return initiator ? new NoiseTransport(k1, k2, this.ck, remotePublicKey) : new NoiseTransport(k2, k1, this.ck, remotePublicKey);
  }
}

/** Reads an act front to back; any overrun or leftover is a BAD_LENGTH failure of that act. */
export class ActReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly act: number,
  ) {}

  /** The next `n` bytes; `what` names them in the error when the act is too short. */
  take(n: number, what: string): Uint8Array {
    if (this.offset + n > this.bytes.length) {
      throw new LncHandshakeError(this.act, 'BAD_LENGTH', `${this.bytes.length} bytes end before ${what}`);
    }
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Fails the act if bytes are left over. */
  end(): void {
    if (this.remaining !== 0) throw new LncHandshakeError(this.act, 'BAD_LENGTH', `${this.remaining} bytes left over`);
  }
}

/** Writes the auth payload of act two in the format of `version`. */
export function writeAuthPayload(sym: SymmetricState, version: number, authData: Uint8Array): Uint8Array[] {
  if (version === LNC_VERSION_0) {
    const block = new Uint8Array(V0_PAYLOAD_SIZE);
    block[0] = authData.length >>> 8;
    block[1] = authData.length & 0xff;
    block.set(authData, 2);
    return [sym.encryptAndHash(block)];
  }
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, authData.length);
  return [sym.encryptAndHash(length), sym.encryptAndHash(authData)];
}

/** Reads the auth payload of act two in the format of `version`; the act must end with it. */
export function readAuthPayload(sym: SymmetricState, version: number, reader: ActReader): Uint8Array {
  const act = 2;
  if (version === LNC_VERSION_0) {
    const block = sym.decryptAndHash(reader.take(V0_PAYLOAD_SIZE + MAC_SIZE, 'the auth payload'));
    if (!block) throw new LncHandshakeError(act, 'BAD_TAG', 'the auth payload failed to authenticate');
    reader.end();
    const length = (block[0]! << 8) | block[1]!;
    if (length > V0_PAYLOAD_SIZE - 2) throw new LncHandshakeError(act, 'BAD_PAYLOAD', `auth data length ${length} exceeds the block`);
    return block.slice(2, 2 + length);
  }
  const header = sym.decryptAndHash(reader.take(4 + MAC_SIZE, 'the auth data length'));
  if (!header) throw new LncHandshakeError(act, 'BAD_TAG', 'the auth data length failed to authenticate');
  const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  if (length !== reader.remaining - MAC_SIZE) {
    throw new LncHandshakeError(act, 'BAD_PAYLOAD', `auth data length ${length} does not match the ${reader.remaining} bytes left`);
  }
  const authData = sym.decryptAndHash(reader.take(length + MAC_SIZE, 'the auth data'));
  if (!authData) throw new LncHandshakeError(act, 'BAD_TAG', 'the auth data failed to authenticate');
  return authData;
}

/** Reads a plain 33-byte public key (`e`), or fails the act with BAD_KEY. */
export function readKey(reader: ActReader, act: number, what: string): Uint8Array {
  const key = parsePublicKey(reader.take(KEY_SIZE, what));
  if (!key) throw new LncHandshakeError(act, 'BAD_KEY', `${what} is not a compressed secp256k1 point`);
  return key.slice();
}

/** Reads and decrypts the 49-byte encrypted static key (`s`), or fails the act. */
export function readStatic(sym: SymmetricState, reader: ActReader, act: number): Uint8Array {
  const plain = sym.decryptAndHash(reader.take(KEY_SIZE + MAC_SIZE, 'the encrypted static key'));
  if (!plain) throw new LncHandshakeError(act, 'BAD_TAG', 'the static key failed to authenticate');
  const key = parsePublicKey(plain);
  if (!key) throw new LncHandshakeError(act, 'BAD_KEY', 'the static key is not a compressed secp256k1 point');
  return key;
}

/** Reads the empty payload's 16-byte tag that ends acts one and three; the act must end there. */
export function readEmptyPayload(sym: SymmetricState, reader: ActReader, act: number, detail: string): void {
  if (!sym.decryptAndHash(reader.take(MAC_SIZE, 'the tag'))) throw new LncHandshakeError(act, 'BAD_TAG', detail);
  reader.end();
}
