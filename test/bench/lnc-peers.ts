/**
 * The LNC bench's peers, each in a worker thread of its own as each is a machine of its own
 * in use: `role: 'mailbox'` runs the test mailbox; `role: 'node'` runs the node's side, the
 * litd stand-ins (reaching that mailbox over WebSockets like any client) and, for the
 * comparison, a commando server. The main thread then runs only the two clients being
 * compared, as a page's worker would.
 *
 * litd creates and deletes mailbox streams out of band (aperture's gRPC API); the stand-in
 * does it by calling the mailbox, so the node thread calls across threads, waiting on a
 * shared flag for the mailbox thread to have done it (see {@link remoteMailbox}).
 *
 * Messages on the parent port: to the node, `{ type: 'session' }` starts a fresh litd session
 * and is answered `{ type: 'session', phrase }`; to either, `{ type: 'close' }` stops it and is
 * answered `{ type: 'closed' }`. On start each posts `{ type: 'ready', … }`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeLnd, lndMethods } from '@ampkit/wire/lnc';
import { serveCommando } from '@ampkit/wire/node';
import { GetInfoResponse } from '../../packages/wire/src/lnc/lnd/encode/lightning.ts';
import { startTestMailbox, type TestMailbox } from '../wire/lnc-mailbox-server.ts';
import { startTestEndpoint, type TestEndpoint } from '../wire/lnc-test-endpoint.ts';

export type PeersData =
  | { role: 'mailbox'; link: MessagePort; done: SharedArrayBuffer }
  | {
      role: 'node';
      link: MessagePort;
      done: SharedArrayBuffer;
      mailbox: string;
      /** The commando server's key and master secret (the parent makes the rune). */
      privateKey: Uint8Array;
      masterSecret: Uint8Array;
      /** What GetInfo and getinfo answer. */
      info: { identityPubkey: string; alias: string; numPeers: number; blockHeight: number };
      /** The stand-ins' go-back-N timing. */
      gbn: Record<string, number>;
    };

type StreamCall = { op: 'createSession' | 'createStream' | 'deleteStream'; id: Uint8Array };

const data = workerData as PeersData;
const port = parentPort!;
const flag = new Int32Array(data.done);

/** The mailbox as the node thread sees it: each stream call is done by the mailbox thread before it returns. */
function remoteMailbox(url: string, link: MessagePort): TestMailbox {
  const call = (op: StreamCall['op'], id: Uint8Array) => {
    Atomics.store(flag, 0, 0);
    link.postMessage({ op, id } satisfies StreamCall);
    Atomics.wait(flag, 0, 0, 5000);
  };
  const unsupported = () => {
    throw new Error('not available across threads');
  };
  return {
    url,
    createSession: (id) => call('createSession', id),
    createStream: (id) => call('createStream', id),
    deleteStream: (id) => call('deleteStream', id),
    occupy: unsupported,
    onForward: undefined,
    kill: unsupported,
    forwarded: 0,
    sockets: 0,
    close: async () => {},
  };
}

if (data.role === 'mailbox') {
  const mailbox = await startTestMailbox();
  data.link.on('message', ({ op, id }: StreamCall) => {
    mailbox[op](id);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  port.on('message', async (message: { type: string }) => {
    if (message.type !== 'close') return;
    await mailbox.close();
    data.link.close();
    port.postMessage({ type: 'closed' });
    port.close();
  });
  port.postMessage({ type: 'ready', mailbox: mailbox.url });
} else {
  const GET_INFO = lndMethods.getInfo;
  const info = data.info;
  const commando = await serveCommando({
    privateKey: data.privateKey,
    masterSecret: data.masterSecret,
    port: 0,
    handler: (method) =>
      method === 'getinfo' ? { id: 'bench', alias: info.alias, num_peers: info.numPeers, blockheight: info.blockHeight } : {},
  });
  const mailbox = remoteMailbox(data.mailbox, data.link);
  const endpoints: TestEndpoint[] = [];
  let sessions = 0;
  port.on('message', async (message: { type: string }) => {
    if (message.type === 'session') {
      const litd = await startTestEndpoint({
        mailbox,
        entropy: sha256(new TextEncoder().encode(`lnc bench peers ${sessions++} ${Date.now()}`)),
        gbn: data.gbn,
        handlers: { [GET_INFO.path]: (_request, call) => call.send(encodeLnd(GetInfoResponse, info)) },
      });
      endpoints.push(litd);
      port.postMessage({ type: 'session', phrase: litd.phrase });
    } else if (message.type === 'close') {
      for (const e of endpoints) await e.close();
      await commando.close();
      data.link.close();
      port.postMessage({ type: 'closed' });
      port.close();
    }
  });
  port.postMessage({ type: 'ready', commando: { nodeId: commando.nodeId, url: commando.url } });
}
