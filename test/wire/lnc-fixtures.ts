/**
 * What the LNC tests read from the recorded reference runs (test/fixtures/reference/lnc/),
 * and the few lines that unwrap them without ampkit's own code: go-back-N DATA and MsgData
 * framing of the full-stack transcript, and HTTP/2 frame headers (RFC 9113 §4.1).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromHex } from '../../packages/wire/src/bytes.ts';

/** One of the reference files, parsed. */
export const lncFixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/reference/lnc/${name}`, import.meta.url), 'utf8'));

/** transcript-full-stack.json: a Go LNC client and server with grpc-go on both ends, fixed keys. */
export interface FullStackTranscript {
  pairing_words: string;
  auth_data_ascii: string;
  client_static_priv: string;
  server_static_priv: string;
  remote_static_seen_by_client: string;
  client_send_stream_id_b64: string;
  client_recv_stream_id_b64: string;
  gbn_packets: { t_ms: number; dir: 'client->server' | 'server->client'; gbn_hex: string; kind: string }[];
  plaintext_http2: { who: 'client' | 'server'; hex: string }[];
  client_results: {
    GetInfo_response_hex: string;
    SubscribeSingleInvoice_responses_hex: string[];
    SendToRouteV2_error: { code: string; message: string };
  };
  server_saw_calls: { method: string; request_hex: string; metadata_macaroon: string[] }[];
}

export const fullStack = lncFixture('transcript-full-stack.json') as FullStackTranscript;

/** The MsgData payloads one side sent, in order: go-back-N DATA in sequence (mod 21), pings and repeats skipped. */
export function msgDataPayloads(dir: FullStackTranscript['gbn_packets'][number]['dir']): Uint8Array[] {
  const out: Uint8Array[] = [];
  let expected = 0;
  for (const packet of fullStack.gbn_packets) {
    if (packet.dir !== dir) continue;
    const bytes = fromHex(packet.gbn_hex);
    if (bytes[0] !== 0x02 || bytes[1] !== expected) continue; // not DATA, or a repeat
    expected = (expected + 1) % 21;
    assert.equal(bytes[2], 1, 'Go never splits a message (final = 1)');
    if (bytes[3] === 1) continue; // ping: no payload
    // MsgData: version 0, u32be length, payload.
    assert.equal(bytes[4], 0);
    const length = new DataView(bytes.buffer, bytes.byteOffset + 5, 4).getUint32(0);
    assert.equal(length, bytes.length - 9);
    out.push(bytes.subarray(9));
  }
  return out;
}

/** One HTTP/2 frame as written. */
export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
}

/** The HTTP/2 frames in `bytes` (no preface), for checking what was written. */
export function parseFrames(bytes: Uint8Array): Frame[] {
  const out: Frame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const length = (bytes[pos]! << 16) | (bytes[pos + 1]! << 8) | bytes[pos + 2]!;
    const stream = new DataView(bytes.buffer, bytes.byteOffset + pos + 5, 4).getUint32(0) & 0x7fffffff;
    out.push({ type: bytes[pos + 3]!, flags: bytes[pos + 4]!, stream, payload: bytes.subarray(pos + 9, pos + 9 + length) });
    pos += 9 + length;
  }
  return out;
}
