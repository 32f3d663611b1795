/**
 * A FIFO of received bytes that hands out exact-length reads, whatever way the bytes were
 * split across WebSocket frames. Reads that fall inside one chunk are zero-copy views;
 * reads that straddle chunks copy once. Total work is linear in the bytes received.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // index of the first unread chunk
  private offset = 0; // read position inside chunks[head]
  private size = 0;

  /** Bytes available to read. */
  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Removes and returns exactly `n` bytes, or undefined (consuming nothing) if fewer are queued. */
  read(n: number): Uint8Array | undefined {
    if (n > this.size) return undefined;
    this.size -= n;
    const first = this.chunks[this.head];
    if (first && first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.advance(first, n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const take = Math.min(chunk.length - this.offset, n - filled);
      out.set(chunk.subarray(this.offset, this.offset + take), filled);
      filled += take;
      this.advance(chunk, take);
    }
    return out;
  }

  /** Drops everything queued. */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.size = 0;
  }

  private advance(chunk: Uint8Array, n: number): void {
    this.offset += n;
    if (this.offset === chunk.length) {
      this.offset = 0;
      this.head++;
      // Compact now and then so the array of consumed chunks does not grow without bound.
      if (this.head > 64 && this.head * 2 > this.chunks.length) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
  }
}
