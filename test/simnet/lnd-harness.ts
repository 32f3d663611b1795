/**
 * Reaching simnet's LND nodes the way a page does: connectLnc (@ampkit/wire/lnc) with `ws`
 * through the simnet's mailbox to the node's LNC endpoint, calls encoded and decoded with
 * lnd's own protobuf messages (lndMethods).
 */
import {
  connectLnc,
  decodeLnd,
  encodeLnd,
  lndMethods,
  type LncClient,
  type LndMethod,
  type LndReply,
  type LndRequest,
} from '@ampkit/wire/lnc';
import { NodeWebSocket } from '@ampkit/wire/node';
import type { Simnet } from '../../packages/simnet/src/index.ts';
import { simNode } from './harness.ts';

export { lndMethods };

/** A typed lnd client over one LNC session. */
export interface LndTestClient {
  lnc: LncClient;
  call<M extends LndMethod>(method: M, request: LndRequest<M>): Promise<LndReply<M>>;
  /** A server-streaming call's decoded messages; `cancel()` ends it. */
  stream<M extends LndMethod>(method: M, request: LndRequest<M>): AsyncIterable<LndReply<M>> & { cancel(): void };
}

/**
 * An LNC client paired with a fresh session of the LND node `alias` (with only `permissions`,
 * if given), through simnet's mailbox, with go-back-N timers short for tests.
 */
export async function pairLnc(simnet: Simnet, alias: string, permissions?: string[]): Promise<LncClient> {
  const session = await simnet.lncSession(alias, permissions ? { permissions } : {});
  return connectLnc({
    pairingPhrase: session.pairingPhrase,
    mailbox: session.mailbox,
    WebSocket: NodeWebSocket,
    connectTimeout: 10_000,
    gbn: { handshakeTimeoutMs: 200, resendTimeoutMs: 100 },
  });
}

/** Pairs a typed lnd client with a fresh session of the LND node `alias`. */
export async function lndClient(simnet: Simnet, alias: string): Promise<LndTestClient> {
  const lnc = await pairLnc(simnet, alias);
  return {
    lnc,
    async call(method, request) {
      const reply = await lnc.unary(method.path, encodeLnd(method.input, request), { timeout: 20_000 });
      return decodeLnd(method.output, reply, method.path) as LndReply<typeof method>;
    },
    stream(method, request) {
      const raw = lnc.serverStream(method.path, encodeLnd(method.input, request));
      const iterable: AsyncIterable<LndReply<typeof method>> & { cancel(): void } = {
        cancel: () => raw.cancel(),
        async *[Symbol.asyncIterator]() {
          for await (const bytes of raw) yield decodeLnd(method.output, bytes, method.path) as LndReply<typeof method>;
        },
      };
      return iterable;
    },
  };
}

export { simNode };

/** lnd's uint64 channel id for `BxTxO`, computed here independently of simnet's. */
export function chanIdOf(scid: string): bigint {
  const [block, tx, out] = scid.split('x').map(BigInt) as [bigint, bigint, bigint];
  return (block << 40n) | (tx << 16n) | out;
}

/** The channel between two aliases. */
export function channelBetween(simnet: Simnet, a: string, b: string) {
  const from = simNode(simnet, a);
  const to = simNode(simnet, b);
  const channel = from.channels.find((c) => c.other(from) === to);
  if (!channel) throw new Error(`no channel ${a}-${b}`);
  return channel;
}

/**
 * A Core Lightning `sendpay` route payer → ...vias → destination delivering `amount` with
 * `finalCltv`, fees and delays from each forwarding direction's policy.
 */
export function clnRoute(simnet: Simnet, path: string[], amount: number, finalCltv: number) {
  const hops: { id: string; channel: string; direction: number; amount_msat: number; delay: number }[] = [];
  let amt = amount;
  let delay = finalCltv;
  for (let i = path.length - 1; i >= 1; i--) {
    const channel = channelBetween(simnet, path[i - 1]!, path[i]!);
    const from = simNode(simnet, path[i - 1]!);
    hops.unshift({ id: simNode(simnet, path[i]!).id, channel: channel.scid, direction: channel.side(from), amount_msat: amt, delay });
    if (i > 1) {
      // The node path[i-1] forwards over `channel`: its policy sets what it must receive.
      const policy = channel.policy[channel.side(from)];
      amt += policy.fee_base_msat + Math.floor((amt * policy.fee_proportional_millionths) / 1_000_000);
      delay += policy.cltv_expiry_delta;
    }
  }
  return hops;
}

/** Polls `check` until it returns a value (every 20 ms, up to 5 s). */
export async function eventually<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 250; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached in 5 s');
}
