/**
 * A Lightning invoice as a QR code, drawn as one SVG path by @paulmillr/qr. The invoice is
 * upper-cased into a `LIGHTNING:` URI: every character is then in QR's alphanumeric set
 * (5.5 bits each instead of 8), so the code is about a third smaller for the same invoice,
 * and BOLT 11's bech32 is case-insensitive (wallets read it either way).
 */
import type encodeQR from '@paulmillr/qr';

/** The QR encoder, once loaded. @internal */
export type QrEncoder = typeof encodeQR;

let encoder: Promise<QrEncoder> | undefined;

/**
 * Loads the QR encoder. It is a third of the elements' code and only `<ampkit-invoice>`
 * draws QR codes, so it comes in its own chunk, fetched when such an element appears: a
 * page that only pays never loads it. @internal
 */
export function loadQrEncoder(): Promise<QrEncoder> {
  encoder ??= import('@paulmillr/qr').then((module) => module.default);
  return encoder;
}

/** A QR code: its width in modules (quiet zone included) and the path of its dark modules. */
export interface QrPath {
  size: number;
  path: string;
}

/** The text a wallet scans for `bolt11`. @internal */
export function lightningUri(bolt11: string): string {
  return `LIGHTNING:${bolt11.toUpperCase()}`;
}

/**
 * Encodes `text` as a QR code with a 4-module quiet zone (ISO/IEC 18004 §6.3.8), as one
 * path of horizontal runs in a `0 0 size size` box. @internal
 */
export function qrPath(encode: QrEncoder, text: string): QrPath {
  const rows = encode(text, 'raw', { ecc: 'medium', border: 4 });
  let path = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      const start = x;
      while (row[x + 1]) x++;
      path += `M${start} ${y}h${x + 1 - start}v1h${start - x - 1}z`;
    }
  });
  return { size: rows.length, path };
}
