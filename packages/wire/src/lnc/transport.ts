/**
 * Reading LNC's encrypted transport from the mailbox. The cipher is BOLT 8's, unchanged
 * ({@link NoiseTransport}: an 18-byte encrypted u16 length, then the body, two nonces per
 * message, keys rotated every 1000 nonces), but the framing around it is not: the Go peers
 * write the header and the body as two separate MsgData payloads, and a sender may also pack
 * both (or several messages) into one. So the receiver treats the MsgData payloads as one
 * byte stream, as lightning-node-connect's `connKit.Read` does.
 */
import { ByteQueue } from '../byte-queue.ts';
import { LENGTH_HEADER_SIZE, type NoiseTransport } from '../noise.ts';

const MAC_SIZE = 16;

/**
 * Turns MsgData payloads, however the messages are split across or packed into them, into
 * decrypted messages. A message that fails to authenticate throws a `BAD_MAC` WireError;
 * the connection must then be dropped, since the stream has lost its place.
 *
 * @example
 * ```ts
 * const decoder = new LncMessageDecoder(result.transport);
 * for (const message of decoder.push(msgDataPayload)) http2.receive(message);
 * ```
 */
export class LncMessageDecoder {
  private readonly queue = new ByteQueue();
  private bodyLength: number | undefined;

  constructor(private readonly transport: NoiseTransport) {}

  /** Bytes received but not yet part of a whole message. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Adds one MsgData payload and returns every message it completes, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    // Copy: the caller may reuse its buffer, and the queue keeps views.
    this.queue.push(chunk.slice());
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.bodyLength === undefined) {
        const header = this.queue.read(LENGTH_HEADER_SIZE);
        if (!header) return out;
        this.bodyLength = this.transport.decryptLength(header);
      }
      const body = this.queue.read(this.bodyLength + MAC_SIZE);
      if (!body) return out;
      this.bodyLength = undefined;
      out.push(this.transport.decryptBody(body));
    }
  }
}
