/**
 * Node-only entry of @ampkit/wire: a commando server on a `ws` WebSocket server, and `ws`'s
 * WebSocket for clients in Node 20 (which has no global WebSocket). Never import this
 * from a browser bundle.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { toHex } from './bytes.ts';
import { acceptCommando, serverRuneChecker, type CommandoServerOptions } from './commando-server.ts';
import { invalidArgument } from './errors.ts';
import { checkPrivateKey, publicKeyOf } from './noise.ts';
import { wrapWebSocket, type WebSocketConstructor, type WebSocketLike } from './socket.ts';

export type { CommandoContext, CommandoHandler, CommandoServerOptions } from './commando-server.ts';

/** Options of {@link serveCommando}: listen on `port` (and `host`), or attach to an HTTP `server`. */
export interface ServeCommandoOptions extends CommandoServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  /** Interface to bind (127.0.0.1 by default). */
  host?: string;
  /** An existing HTTP server to take WebSocket upgrades from, instead of `port`. */
  server?: HttpServer;
  /** Largest WebSocket frame accepted, in bytes (1 MiB); larger frames close the socket. */
  maxFrameBytes?: number;
}

/** A running commando server. */
export interface CommandoServer {
  /** The node id (hex) clients dial. */
  nodeId: string;
  /** The port it listens on. */
  port: number;
  /** `ws://host:port`. */
  url: string;
  /** Open connections. */
  readonly connections: number;
  /** Closes every connection (dropping them, as a crash would, with `terminate`) and stops listening. */
  dropConnections(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Serves commando over WebSocket in Node: the responder handshake, rune checks against
 * `masterSecret`, `handler` for each call, replies split as Core Lightning splits them.
 *
 * @example
 * ```ts
 * const server = await serveCommando({
 *   privateKey, masterSecret, port: 0,
 *   handler: (method) => { if (method === 'getinfo') return { id: nodeId }; throw new RpcError(method, -32601, `Unknown command '${method}'`); },
 * });
 * ```
 */
export async function serveCommando(options: ServeCommandoOptions): Promise<CommandoServer> {
  checkPrivateKey(options.privateKey, 'privateKey');
  if (typeof options.handler !== 'function') throw invalidArgument('handler must be a function');
  const host = options.host ?? '127.0.0.1';
  const maxPayload = options.maxFrameBytes ?? 1024 * 1024;
  const wss = options.server
    ? new WebSocketServer({ server: options.server, maxPayload })
    : new WebSocketServer({ port: options.port ?? 0, host, maxPayload });
  const checker = serverRuneChecker(options);
  wss.on('connection', (ws) => acceptCommando(wrapWebSocket(ws as unknown as WebSocketLike), options, checker));
  await new Promise<void>((resolve, reject) => {
    if (options.server) return options.server.listening ? resolve() : options.server.once('listening', () => resolve());
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  });
  const address = (options.server ?? wss).address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    nodeId: toHex(publicKeyOf(options.privateKey)),
    port: address.port,
    url: `ws://${urlHost}:${address.port}`,
    get connections() {
      return wss.clients.size;
    },
    dropConnections() {
      for (const ws of wss.clients) ws.terminate();
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** `ws`'s WebSocket, typed for the `WebSocket` option of `connect()` (`@ampkit/wire`). */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;
