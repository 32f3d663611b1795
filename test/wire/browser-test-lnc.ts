/**
 * The LNC side of the Chromium tests, started by web-test-runner.config.mjs: the test mailbox
 * (lnc-mailbox-server.ts) and, for each page that asks, a fresh litd stand-in
 * (lnc-test-endpoint.ts) with its own pairing phrase, since a phrase works only once. What
 * litd saw (handshakes, cancelled calls) is there for the page to check.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { textEncoder } from '../../packages/wire/src/bytes.ts';
import { GetInfoResponse } from '../../packages/wire/src/lnc/lnd/encode/lightning.ts';
import { encodeLnd, lndMethods } from '../../packages/wire/src/lnc/index.ts';
import { startTestMailbox, type TestMailbox } from './lnc-mailbox-server.ts';
import { startTestEndpoint, TestGrpcStatus, type TestEndpoint, type TestHandler } from './lnc-test-endpoint.ts';

/** The paths the browser test calls. */
export const LNC_TEST_PATHS = {
  /** Unary: replies with the request's bytes reversed, so the reply proves the request arrived whole. */
  echo: '/test.Echo/Reverse',
  /** Unary: a real lnd GetInfoResponse, for the protobuf decoding in the page. */
  getInfo: lndMethods.getInfo.path,
  /** Server stream: three messages `[request[0], i]`, then OK. */
  three: '/test.Stream/Three',
  /** Server stream: a message every 20 ms until the client cancels. */
  endless: '/test.Stream/Endless',
  /** Unary: fails with gRPC status 2 (UNKNOWN), "no route found". */
  fail: '/test.Fail/NoRoute',
} as const;

const handlers: Record<string, TestHandler> = {
  [LNC_TEST_PATHS.echo]: (request, call) => call.send(request.slice().reverse()),
  [LNC_TEST_PATHS.getInfo]: (_request, call) =>
    call.send(encodeLnd(GetInfoResponse, { alias: 'browser-litd', blockHeight: 800_000, numActiveChannels: 3 })),
  [LNC_TEST_PATHS.three]: async (request, call) => {
    for (let i = 0; i < 3; i++) {
      call.send(Uint8Array.of(request[0] ?? 0, i));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  },
  [LNC_TEST_PATHS.endless]: async (request, call) => {
    for (let i = 0; !call.signal.aborted; i++) {
      call.send(Uint8Array.of(request[0] ?? 0, i & 0xff));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  },
  [LNC_TEST_PATHS.fail]: () => {
    throw new TestGrpcStatus(2, 'no route found');
  },
};

/** The mailbox, and an endpoint per session handed out; `session()` starts a new one. */
export interface BrowserTestLnc {
  /** A new litd session: its id (for `seen`), the mailbox URL and the pairing phrase. */
  session(): Promise<{ id: number; mailbox: string; phrase: string }>;
  /** What the endpoint of session `id` saw. */
  seen(id: number): { handshakes: string[]; cancelled: string[]; calls: number } | undefined;
  close(): Promise<void>;
}

/** Starts the test mailbox; endpoints come with each `session()`. */
export async function startBrowserTestLnc(): Promise<BrowserTestLnc> {
  const mailbox: TestMailbox = await startTestMailbox();
  const endpoints: TestEndpoint[] = [];
  return {
    async session() {
      const id = endpoints.length;
      const endpoint = await startTestEndpoint({
        mailbox,
        handlers,
        entropy: sha256(textEncoder.encode(`browser lnc session ${id} ${Date.now()}`)),
      });
      endpoints.push(endpoint);
      return { id, mailbox: mailbox.url, phrase: endpoint.phrase };
    },
    seen(id) {
      const endpoint = endpoints[id];
      if (!endpoint) return undefined;
      return { handshakes: [...endpoint.handshakes], cancelled: [...endpoint.cancelled], calls: endpoint.calls.length };
    },
    async close() {
      for (const endpoint of endpoints) await endpoint.close();
      await mailbox.close();
    },
  };
}
