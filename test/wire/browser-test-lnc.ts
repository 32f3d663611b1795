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

/**
 * Faults the mailbox can play on the go-back-N packets it carries, for the scenarios of the
 * reference tests: `drop-request` drops the next DATA that carries a message (the page's
 * request), `drop-reply` the one after it (litd's reply), `drop-acks` every ACK for 1.5 s, `duplicate` each of the next
 * 40 packets, `lossy` one packet in 20 (a seeded choice) until `clear`.
 */
export const LNC_FAULTS = ['drop-request', 'drop-reply', 'drop-acks', 'duplicate', 'lossy', 'clear'] as const;
export type LncFault = (typeof LNC_FAULTS)[number];

/** What the mailbox did to the packets since the last fault was set. */
export interface LncFaultStats {
  fault: LncFault;
  dropped: number;
  duplicated: number;
  /** Of the dropped, how many were DATA and ACK. */
  droppedData: number;
  droppedAcks: number;
}

/** mulberry32's output step. */
function mix(seed: number): number {
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}

const DATA = 0x02;
const ACK = 0x03;

/** The mailbox, and an endpoint per session handed out; `session()` starts a new one. */
export interface BrowserTestLnc {
  /** Plays a fault on every packet from now on (`clear` stops); see {@link LNC_FAULTS}. */
  fault(fault: LncFault): LncFaultStats;
  /** What the current fault has done so far. */
  faultStats(): LncFaultStats;
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
  let stats: LncFaultStats = { fault: 'clear', dropped: 0, duplicated: 0, droppedData: 0, droppedAcks: 0 };
  return {
    fault(fault) {
      stats = { fault, dropped: 0, duplicated: 0, droppedData: 0, droppedAcks: 0 };
      const mine = stats;
      const since = Date.now();
      let data = 0;
      let seen = 0;
      let seed = 0x5eed;
      const drop = (packet: Uint8Array) => {
        mine.dropped++;
        if (packet[0] === DATA) mine.droppedData++;
        if (packet[0] === ACK) mine.droppedAcks++;
        return 'drop' as const;
      };
      mailbox.onForward = ({ packet }) => {
        // A DATA with a gRPC message in it: not a ping, nor a bare HTTP/2 SETTINGS or WINDOW_UPDATE.
        const isData = packet[0] === DATA && packet[3] === 0 && packet.length >= 80;
        if (isData) data++;
        seen++;
        switch (fault) {
          case 'drop-request':
            return isData && data === 1 ? drop(packet) : 'deliver';
          case 'drop-reply':
            return isData && data === 2 ? drop(packet) : 'deliver';
          case 'drop-acks':
            return packet[0] === ACK && Date.now() - since < 1500 ? drop(packet) : 'deliver';
          case 'duplicate':
            if (seen > 40) return 'deliver';
            mine.duplicated++;
            return 'duplicate';
          case 'lossy':
            // mulberry32: the same choice of packets on every run.
            seed = (seed + 0x6d2b79f5) | 0;
            return mix(seed) % 20 === 0 ? drop(packet) : 'deliver';
          default:
            return 'deliver';
        }
      };
      if (fault === 'clear') mailbox.onForward = undefined;
      return { ...stats };
    },
    faultStats() {
      return { ...stats };
    },
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
