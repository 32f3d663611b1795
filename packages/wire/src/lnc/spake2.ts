/**
 * The SPAKE2 half of LNC's `XXeke+SPAKE2` handshake: the client sends its ephemeral key
 * masked with the pairing password, `me = e + pw·N`, and the server unmasks it with the
 * same password, `e = me − pw·N`. With a wrong password the server recovers another point,
 * its transcript hash differs, and act one fails to authenticate. There is one generator N
 * and only the client's key is masked (lightning-node-connect `mailbox/noise.go`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Point } from '@noble/secp256k1';
import { concatBytes, fromHex, textEncoder, toHex } from '../bytes.ts';
import { WireError } from '../errors.ts';
import { CURVE_ORDER } from '../secp256k1.ts';

/**
 * The generator N as a compressed point: `02 ‖ SHA256(u64be(1) ‖ "Lightning Node Connect")`,
 * the first counter that gives a point on the curve (`mailbox/numsgen`). {@link deriveSpake2N}
 * recomputes it.
 */
export const SPAKE2_N_HEX = '0254a58cd0f31c008fd0bc9b2dd5ba586144933829f6da33ac4130b555fb5ea32c';

let nPoint: Point | undefined;
function generatorN(): Point {
  return (nPoint ??= Point.fromBytes(fromHex(SPAKE2_N_HEX)));
}

/**
 * Derives N from its seed the way lightning-node-connect's generator did: for i = 0, 1, …
 * the first `02 ‖ SHA256(u64be(i) ‖ "Lightning Node Connect")` that is a point. Returns the
 * compressed point; used by tests to prove {@link SPAKE2_N_HEX} has nothing up its sleeve.
 */
export function deriveSpake2N(): Uint8Array {
  const seed = textEncoder.encode('Lightning Node Connect');
  for (let i = 0; i < 256; i++) {
    const counter = new Uint8Array(8);
    new DataView(counter.buffer).setBigUint64(0, BigInt(i));
    const candidate = concatBytes(Uint8Array.of(2), sha256(concatBytes(counter, seed)));
    try {
      Point.fromBytes(candidate);
      return candidate;
    } catch {
      // Not an x coordinate on the curve: try the next counter.
    }
  }
  throw new WireError('PROTOCOL', 'no SPAKE2 generator found');
}

/** The password as a scalar: the 32 bytes big-endian, reduced mod the group order (btcec's `ModNScalar.SetByteSlice`). */
export function spake2PasswordScalar(password: Uint8Array): bigint {
  if (!(password instanceof Uint8Array) || password.length !== 32) {
    throw new WireError('INVALID_ARGUMENT', 'the SPAKE2 password must be 32 bytes (the scrypt output)');
  }
  return BigInt(`0x${toHex(password)}`) % CURVE_ORDER;
}

function passwordPoint(password: Uint8Array): Point {
  const scalar = spake2PasswordScalar(password);
  // A zero scalar (a password equal to n, impossible in practice) gives the point at infinity.
  return scalar === 0n ? Point.ZERO : generatorN().multiply(scalar);
}

function pointOf(bytes: Uint8Array, what: string): Point {
  try {
    if (bytes.length !== 33) throw new Error('not 33 bytes');
    return Point.fromBytes(bytes);
  } catch (cause) {
    throw new WireError('HANDSHAKE', `LNC handshake: ${what} is not a compressed secp256k1 point`, { cause });
  }
}

function compressed(point: Point, what: string): Uint8Array {
  if (point.is0()) throw new WireError('HANDSHAKE', `LNC handshake: ${what} is the point at infinity`);
  return point.toBytes(true);
}

/** Masks a 33-byte compressed ephemeral public key: `me = e + pw·N`. */
export function spake2Mask(ephemeralPublicKey: Uint8Array, password: Uint8Array): Uint8Array {
  return compressed(pointOf(ephemeralPublicKey, 'the ephemeral key').add(passwordPoint(password)), 'the masked key');
}

/**
 * Unmasks a received 33-byte masked key: `e = me − pw·N`. Throws a `HANDSHAKE` error when the
 * bytes are not a point; a wrong password is not detected here but by act one's MAC.
 */
export function spake2Unmask(maskedPublicKey: Uint8Array, password: Uint8Array): Uint8Array {
  return compressed(pointOf(maskedPublicKey, 'the masked ephemeral key').add(passwordPoint(password).negate()), 'the unmasked key');
}
