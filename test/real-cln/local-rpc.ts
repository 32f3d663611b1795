/**
 * The harness's own line to each process: Core Lightning's JSON-RPC over its unix socket
 * (`lightning-rpc` in the node's folder) and Bitcoin Core's JSON-RPC over HTTP. These set
 * the network up and look behind the SDK's back; the SDK itself only ever uses commando.
 */
import { connect, type Socket } from 'node:net';

/** A node's error, with Core Lightning's code and data. */
export class LocalRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message} (${code})`);
  }
}

/** Core Lightning's JSON-RPC: one request at a time is enough for a harness, but many may be in flight. */
export class ClnSocketRpc {
  private socket: Socket | undefined;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void; method: string }>();

  constructor(private readonly path: string) {}

  private open(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = connect(this.path);
      socket.setEncoding('utf8');
      socket.once('connect', () => {
        this.socket = socket;
        resolve(socket);
      });
      socket.once('error', (error) => {
        reject(error);
        this.failAll(error);
      });
      socket.on('close', () => this.failAll(new Error('lightning-rpc closed')));
      socket.on('data', (chunk: string) => this.receive(chunk));
    });
  }

  private failAll(error: Error): void {
    this.socket = undefined;
    for (const [, p] of this.pending) p.reject(error);
    this.pending.clear();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    // lightningd ends every reply with a blank line.
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      if (!text.trim()) continue;
      const reply = JSON.parse(text) as { id?: number; result?: unknown; error?: { code: number; message: string; data?: unknown } };
      const p = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!p) continue;
      this.pending.delete(reply.id!);
      if (reply.error) p.reject(new LocalRpcError(p.method, reply.error.code, reply.error.message, reply.error.data));
      else p.resolve(reply.result);
    }
  }

  async call<T = any>(method: string, params: Record<string, unknown> | unknown[] = {}): Promise<T> {
    const socket = await this.open();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** Bitcoin Core's JSON-RPC over HTTP with basic auth. */
export class BitcoinRpc {
  private nextId = 1;
  constructor(
    private readonly port: number,
    private readonly user: string,
    private readonly password: string,
  ) {}

  async call<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`,
      },
      body: JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params }),
    });
    const body = (await res.json().catch(() => undefined)) as { result?: T; error?: { code: number; message: string } | null } | undefined;
    if (!body) throw new Error(`bitcoind ${method}: HTTP ${res.status}`);
    if (body.error) throw new LocalRpcError(method, body.error.code, body.error.message);
    return body.result as T;
  }
}
