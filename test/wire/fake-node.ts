/**
 * A scripted commando node for hostile-reply tests: a real BOLT 8 responder on a real `ws`
 * server, whose answers the test writes frame by frame.
 */
import { WebSocketServer } from 'ws';
import { toHex } from '../../packages/wire/src/bytes.ts';
import { readCommandoPayload } from '../../packages/wire/src/commando.ts';
import { encodeMessage } from '../../packages/wire/src/message.ts';
import { publicKeyOf } from '../../packages/wire/src/noise.ts';
import { Peer } from '../../packages/wire/src/peer.ts';
import { wrapWebSocket, type WebSocketLike } from '../../packages/wire/src/socket.ts';

export interface FakeRequest {
  id: Uint8Array;
  json: Record<string, unknown>;
  /** Sends one raw message (type + payload) to the client. */
  send(type: number, payload: Uint8Array): void;
  peer: Peer;
}

export async function fakeNode(respond: (request: FakeRequest) => void) {
  const privateKey = new Uint8Array(32).fill(0x42);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    const peer: Peer = new Peer(
      wrapWebSocket(ws as unknown as WebSocketLike),
      { role: 'responder', localPrivateKey: privateKey },
      {
        onReady: () => {},
        onClose: () => {},
        onMessage: (type, payload) => {
          if (type !== 0x4c4f) return;
          const frame = readCommandoPayload(payload)!;
          const json = JSON.parse(new TextDecoder().decode(frame.chunk));
          respond({ id: frame.id.slice(), json, peer, send: (t, p) => peer.send(encodeMessage(t, p)) });
        },
      },
    );
  });
  const port = (wss.address() as { port: number }).port;
  return {
    nodeId: toHex(publicKeyOf(privateKey)),
    url: `ws://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** The payload of a commando reply frame: id then JSON bytes. */
export function replyPayload(id: Uint8Array, body: string | Uint8Array): Uint8Array {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const out = new Uint8Array(8 + bytes.length);
  out.set(id);
  out.set(bytes, 8);
  return out;
}
