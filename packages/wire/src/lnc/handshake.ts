/**
 * LNC's Noise handshakes (lightning-node-connect `mailbox/noise.go`), as state machines over
 * act bytes; the caller moves each act through the mailbox as one MsgData payload.
 *
 * - `Noise_XXeke+SPAKE2_secp256k1_ChaChaPoly_SHA256`, the first connection, authenticated by
 *   the pairing password: `-> me`, `<- e, ee, s, es`, `-> s, se`.
 * - `Noise_KK_secp256k1_ChaChaPoly_SHA256`, every later connection, between two static keys
 *   both sides already know: `-> e, es, ss`, `<- e, ee, se`.
 *
 * Where it differs from textbook Noise and from BOLT 8: every act starts with a handshake
 * version byte (not hashed); EncryptAndHash always encrypts, with the all-zero key before the
 * first MixKey; the masked ephemeral is sent but the unmasked one is hashed; act two carries
 * the server's auth data (a 500-byte padded block at version 0, a u32 length and the data at
 * versions 1 and 2). Once done, the transport is BOLT 8's, unchanged: {@link NoiseTransport}.
 */
import { concatBytes } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { checkPrivateKey, checkPublicKey, ecdh, type NoiseTransport, publicKeyOf, randomPrivateKey } from '../noise.ts';
import {
  ActReader,
  EMPTY,
  KEY_SIZE,
  LNC_MAX_VERSION,
  LNC_VERSION_0,
  LNC_VERSION_2,
  LncHandshakeError,
  type LncPattern,
  MAX_AUTH_DATA,
  readAuthPayload,
  readEmptyPayload,
  readKey,
  readStatic,
  SymmetricState,
  V0_PAYLOAD_SIZE,
  writeAuthPayload,
} from './handshake-state.ts';
import { spake2Mask, spake2Unmask } from './spake2.ts';

export {
  LNC_MAX_VERSION,
  LNC_VERSION_0,
  LNC_VERSION_1,
  LNC_VERSION_2,
  LncHandshakeError,
  type LncHandshakeFailure,
  type LncPattern,
} from './handshake-state.ts';

/** Options both roles and both patterns share. */
export interface LncHandshakeOptions {
  /** Our static private key (32 bytes); the client keeps it across connections after a v2 pairing. */
  localPrivateKey: Uint8Array;
  /** Ephemeral private key; random when omitted. Only tests should set it. */
  ephemeralPrivateKey?: Uint8Array;
  /** Lowest handshake version we accept; 0 by default (KK always uses at least 2). */
  minVersion?: number;
  /** Highest handshake version we accept; {@link LNC_MAX_VERSION} by default. */
  maxVersion?: number;
  /**
   * XX (pairing): the 32-byte password, the scrypt output of the pairing entropy
   * (`stretchPairingEntropy`). Give this or `remotePublicKey`, not both.
   */
  password?: Uint8Array;
  /**
   * KK (reconnect): the other side's static public key (33 bytes compressed), stored after
   * a v2 pairing. Give this or `password`, not both.
   */
  remotePublicKey?: Uint8Array;
}

/** Options of the responder (the server, litd's role). */
export interface LncResponderOptions extends LncHandshakeOptions {
  /** What act two carries to the client: litd sends `Macaroon: <hex>`. Empty by default. */
  authData?: Uint8Array;
}

/** What a finished handshake hands over. */
export interface LncHandshakeResult {
  /** The encrypted transport, ready for messages in both directions. */
  transport: NoiseTransport;
  /** Which pattern ran. */
  pattern: LncPattern;
  /** The version both sides settled on; at 2 the next connection uses KK and the static-key session id. */
  version: number;
  /** The other side's static public key (33 bytes); keep it after a v2 pairing. */
  remotePublicKey: Uint8Array;
  /** The server's auth data: received by the initiator, sent by the responder. */
  authData: Uint8Array;
  /** The final handshake hash h (the same on both sides). */
  handshakeHash: Uint8Array;
}

/** Snapshot of the symmetric state (h, ck), the same on both sides after each act; for tests and diagnostics. */
export interface LncSymmetricSnapshot {
  /** Handshake hash. */
  h: Uint8Array;
  /** Chaining key. */
  ck: Uint8Array;
}

function versionRange(options: LncHandshakeOptions, pattern: LncPattern): [number, number] {
  const min = Math.max(options.minVersion ?? LNC_VERSION_0, pattern === 'KK' ? LNC_VERSION_2 : LNC_VERSION_0);
  const max = options.maxVersion ?? LNC_MAX_VERSION;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > LNC_MAX_VERSION || min > max) {
    throw new WireError(
      'INVALID_ARGUMENT',
      `LNC handshake versions must satisfy 0 <= min <= max <= ${LNC_MAX_VERSION}${pattern === 'KK' ? ', with max >= 2 for KK' : ''}`,
    );
  }
  return [min, max];
}

function patternOf(options: LncHandshakeOptions): LncPattern {
  if (options.password !== undefined && options.remotePublicKey !== undefined) {
    throw new WireError('INVALID_ARGUMENT', 'give either a password (pairing, XX) or a remote public key (reconnect, KK), not both');
  }
  if (options.password !== undefined) {
    if (!(options.password instanceof Uint8Array) || options.password.length !== 32) {
      throw new WireError('INVALID_ARGUMENT', 'password must be the 32-byte scrypt output of the pairing phrase');
    }
    return 'XX';
  }
  if (options.remotePublicKey !== undefined) {
    checkPublicKey(options.remotePublicKey, 'remotePublicKey');
    return 'KK';
  }
  throw new WireError('INVALID_ARGUMENT', 'an LNC handshake needs a password (pairing, XX) or a remote public key (reconnect, KK)');
}

abstract class LncHandshakeBase {
  /** Which pattern this handshake runs: `XX` when built with a password, `KK` with a remote key. */
  readonly pattern: LncPattern;
  protected readonly sym: SymmetricState;
  protected readonly s: Uint8Array;
  protected readonly sPub: Uint8Array;
  protected readonly e: Uint8Array;
  protected readonly ePub: Uint8Array;
  protected readonly minVersion: number;
  protected readonly maxVersion: number;
  protected readonly password: Uint8Array | undefined;
  protected version: number;
  protected rs: Uint8Array | undefined;
  protected re: Uint8Array | undefined;
  protected authData: Uint8Array = EMPTY;
  private step = 0;
  private failed = false;
  private result: LncHandshakeResult | undefined;

  constructor(options: LncHandshakeOptions, initiator: boolean) {
    this.pattern = patternOf(options);
    [this.minVersion, this.maxVersion] = versionRange(options, this.pattern);
    // The initiator opens with its lowest version and adopts the responder's; the responder answers with its highest.
    this.version = initiator ? this.minVersion : this.maxVersion;
    this.s = checkPrivateKey(options.localPrivateKey, 'localPrivateKey');
    this.sPub = publicKeyOf(this.s);
    this.e = options.ephemeralPrivateKey ? checkPrivateKey(options.ephemeralPrivateKey, 'ephemeralPrivateKey') : randomPrivateKey();
    this.ePub = publicKeyOf(this.e);
    this.password = options.password?.slice();
    this.sym = new SymmetricState(this.pattern);
    if (this.pattern === 'KK') {
      this.rs = options.remotePublicKey!.slice();
      // Pre-messages: the initiator's static key, then the responder's.
      this.sym.mixHash(initiator ? this.sPub : this.rs);
      this.sym.mixHash(initiator ? this.rs : this.sPub);
    }
  }

  /** h and ck as they stand now (copies). */
  snapshot(): LncSymmetricSnapshot {
    return { h: this.sym.h.slice(), ck: this.sym.ck.slice() };
  }

  /** Whether the last act has been written or read. */
  get done(): boolean {
    return this.result !== undefined;
  }

  /** The outcome; throws `OUT_OF_ORDER` until the handshake is {@link done}. */
  finish(): LncHandshakeResult {
    if (!this.result) throw new LncHandshakeError(this.step + 1, 'OUT_OF_ORDER', 'the handshake is not finished');
    return this.result;
  }

  /** Runs one step in turn; any failure is a typed error and leaves the handshake dead. */
  protected run<T>(expected: number, act: number, body: () => T): T {
    if (this.failed || this.step !== expected || this.result) {
      throw new LncHandshakeError(act, 'OUT_OF_ORDER', this.failed ? 'the handshake already failed' : 'this act is not next');
    }
    try {
      const out = body();
      this.step++;
      return out;
    } catch (error) {
      this.failed = true;
      if (error instanceof WireError) throw error;
      throw new LncHandshakeError(act, 'BAD_KEY', error instanceof Error ? error.message : String(error));
    }
  }

  protected checkVersion(act: number, version: number): void {
    if (version < this.minVersion || version > this.maxVersion) {
      throw new LncHandshakeError(act, 'BAD_VERSION', `version ${version} is outside ${this.minVersion}..${this.maxVersion}`);
    }
  }

  protected complete(initiator: boolean): void {
    const remote = this.rs!;
    this.result = {
      transport: this.sym.split(initiator, remote),
      pattern: this.pattern,
      version: this.version,
      remotePublicKey: remote,
      authData: this.authData,
      handshakeHash: this.sym.h.slice(),
    };
  }
}

/**
 * The client's side (the initiator). XX: {@link actOne}, {@link readActTwo}, {@link actThree}.
 * KK: {@link actOne}, {@link readActTwo}. Then {@link finish} gives the transport.
 *
 * @example
 * ```ts
 * const password = await stretchPairingEntropy(pairingPhraseEntropy(phrase));
 * const client = new LncInitiator({ localPrivateKey, password });
 * send(client.actOne());
 * client.readActTwo(await receive());
 * send(client.actThree());
 * const { transport, authData, remotePublicKey, version } = client.finish();
 * ```
 */
export class LncInitiator extends LncHandshakeBase {
  constructor(options: LncHandshakeOptions) {
    super(options, true);
  }

  /** Act one: XX `me` (50 bytes, the masked ephemeral), KK `e, es, ss` (50 bytes). */
  actOne(): Uint8Array {
    return this.run(0, 1, () => {
      const sym = this.sym;
      // The unmasked key is hashed; the masked one goes on the wire (XX). This makes act one's MAC a password check.
      sym.mixHash(this.ePub);
      let key = this.ePub;
      if (this.pattern === 'XX') {
        key = spake2Mask(this.ePub, this.password!);
      } else {
        sym.mixKey(ecdh(this.e, this.rs!)); // es
        sym.mixKey(ecdh(this.s, this.rs!)); // ss
      }
      return concatBytes(Uint8Array.of(this.version), key, sym.encryptAndHash(EMPTY));
    });
  }

  /** Reads act two: XX `e, ee, s, es` + auth data, KK `e, ee, se` + auth data. KK is then done. */
  readActTwo(act: Uint8Array): void {
    this.run(1, 2, () => {
      const sym = this.sym;
      const reader = new ActReader(act, 2);
      const version = reader.take(1, 'the version')[0]!;
      this.checkVersion(2, version);
      this.version = version;
      this.re = readKey(reader, 2, 'the ephemeral key');
      sym.mixHash(this.re);
      sym.mixKey(ecdh(this.e, this.re)); // ee
      if (this.pattern === 'XX') {
        this.rs = readStatic(sym, reader, 2);
        sym.mixKey(ecdh(this.e, this.rs)); // es
      } else {
        sym.mixKey(ecdh(this.s, this.re)); // se
      }
      this.authData = readAuthPayload(sym, version, reader);
      if (this.pattern === 'KK') this.complete(true);
    });
  }

  /** XX act three: `s, se` (66 bytes). The handshake is then done. */
  actThree(): Uint8Array {
    if (this.pattern === 'KK') throw new LncHandshakeError(3, 'OUT_OF_ORDER', 'KK has no act three');
    return this.run(2, 3, () => {
      const sym = this.sym;
      const encryptedStatic = sym.encryptAndHash(this.sPub);
      sym.mixKey(ecdh(this.s, this.re!)); // se
      const out = concatBytes(Uint8Array.of(this.version), encryptedStatic, sym.encryptAndHash(EMPTY));
      this.complete(true);
      return out;
    });
  }
}

/**
 * The server's side (the responder, litd's role), for test endpoints. XX: {@link readActOne},
 * {@link actTwo}, {@link readActThree}. KK: {@link readActOne}, {@link actTwo}. Then
 * {@link finish} gives the transport and the client's static key.
 */
export class LncResponder extends LncHandshakeBase {
  constructor(options: LncResponderOptions) {
    super(options, false);
    const authData = options.authData ?? EMPTY;
    if (!(authData instanceof Uint8Array)) throw new WireError('INVALID_ARGUMENT', 'authData must be bytes');
    // Version 0's block holds the u16 length and the data in 500 bytes; a longer one cannot be sent at 0.
    const limit = this.version === LNC_VERSION_0 ? V0_PAYLOAD_SIZE - 2 : MAX_AUTH_DATA;
    if (authData.length > limit) {
      throw new WireError('INVALID_ARGUMENT', `authData of ${authData.length} bytes exceeds ${limit} at version ${this.version}`);
    }
    this.authData = authData.slice();
  }

  /**
   * Reads act one. In XX a BAD_TAG failure here means the client's pairing phrase differs
   * from ours (or the bytes were changed).
   */
  readActOne(act: Uint8Array): void {
    this.run(0, 1, () => {
      const sym = this.sym;
      const reader = new ActReader(act, 1);
      this.checkVersion(1, reader.take(1, 'the version')[0]!);
      if (this.pattern === 'XX') {
        const masked = reader.take(KEY_SIZE, 'the masked ephemeral key');
        try {
          this.re = spake2Unmask(masked, this.password!);
        } catch {
          throw new LncHandshakeError(1, 'BAD_KEY', 'the masked ephemeral key is not a usable point');
        }
        sym.mixHash(this.re);
        readEmptyPayload(sym, reader, 1, 'act one failed to authenticate: wrong pairing phrase or altered bytes');
      } else {
        this.re = readKey(reader, 1, 'the ephemeral key');
        sym.mixHash(this.re);
        sym.mixKey(ecdh(this.s, this.re)); // es
        sym.mixKey(ecdh(this.s, this.rs!)); // ss
        readEmptyPayload(sym, reader, 1, 'act one failed to authenticate: unknown static key or altered bytes');
      }
    });
  }

  /** Act two, written at our highest version. KK is then done. */
  actTwo(): Uint8Array {
    return this.run(1, 2, () => {
      const sym = this.sym;
      sym.mixHash(this.ePub);
      sym.mixKey(ecdh(this.e, this.re!)); // ee
      const parts = [Uint8Array.of(this.version), this.ePub];
      if (this.pattern === 'XX') {
        parts.push(sym.encryptAndHash(this.sPub));
        sym.mixKey(ecdh(this.s, this.re!)); // es
      } else {
        sym.mixKey(ecdh(this.e, this.rs!)); // se
      }
      parts.push(...writeAuthPayload(sym, this.version, this.authData));
      if (this.pattern === 'KK') this.complete(false);
      return concatBytes(...parts);
    });
  }

  /** XX act three: the client's static key and the final MAC. The handshake is then done. */
  readActThree(act: Uint8Array): void {
    if (this.pattern === 'KK') throw new LncHandshakeError(3, 'OUT_OF_ORDER', 'KK has no act three');
    this.run(2, 3, () => {
      const sym = this.sym;
      const reader = new ActReader(act, 3);
      const version = reader.take(1, 'the version')[0]!;
      if (version !== this.version) {
        throw new LncHandshakeError(3, 'BAD_VERSION', `version ${version} differs from act two's ${this.version}`);
      }
      this.rs = readStatic(sym, reader, 3);
      sym.mixKey(ecdh(this.e, this.rs)); // se
      readEmptyPayload(sym, reader, 3, 'act three failed to authenticate');
      this.complete(false);
    });
  }
}
