/**
 * The page ↔ worker boundary: the host's three methods (`open`, `call`, `close`) and the
 * events it tells, as tagged messages on the worker's own port, a structured clone each way.
 * It replaces a general RPC library with what {@link HostApi} needs: calls answered by id,
 * events pushed, nothing else. Messages without the tag (the READY word) are not ours and are
 * left alone; a reply for an id never asked is dropped.
 */
import type { AmpkitEvents, HostApi, Outcome } from './protocol.ts';

/** Marks our messages on the port. */
const TAG = 'ampkit:rpc';

type HostMethod = 'open' | 'call' | 'close';

/** A message on the port: a call (page → worker), its answer, or an event (worker → page). */
type Message =
  | { [TAG]: 'call'; id: number; method: HostMethod; args: unknown[] }
  | { [TAG]: 'answer'; id: number; value?: unknown; failure?: string }
  | { [TAG]: 'event'; type: keyof AmpkitEvents; detail: unknown };

/** The part of a Worker (or a worker's global scope) the boundary uses. */
interface Port {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

const ours = (data: unknown): data is Message => typeof data === 'object' && data !== null && TAG in data;

/**
 * The page's side: the host in `worker`, as a {@link HostApi}. A call whose input the
 * structured clone refuses rejects with its `DataCloneError`; `fail(reason)` rejects every
 * call still waiting (the worker died) and any made after.
 */
export function remoteHost(worker: Port): HostApi & { fail(reason: string): void } {
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let next = 0;
  let listener: ((type: keyof AmpkitEvents, detail: unknown) => void) | undefined;
  let failed: string | undefined;
  worker.addEventListener('message', ({ data }) => {
    if (!ours(data)) return;
    if (data[TAG] === 'event') return listener?.(data.type, data.detail);
    if (data[TAG] !== 'answer') return;
    const call = waiting.get(data.id);
    waiting.delete(data.id);
    if (data.failure !== undefined) call?.reject(new Error(data.failure));
    else call?.resolve(data.value);
  });
  const send = (method: HostMethod, args: unknown[]): Promise<never> =>
    new Promise((resolve, reject) => {
      if (failed !== undefined) return reject(new Error(failed));
      const id = ++next;
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        worker.postMessage({ [TAG]: 'call', id, method, args } satisfies Message);
      } catch (error) {
        waiting.delete(id);
        reject(error as Error);
      }
    });
  return {
    open(options, onEvent): Promise<Outcome> {
      listener = onEvent;
      return send('open', [options]);
    },
    call: (method, input): Promise<Outcome> => send('call', [method, input]),
    close: (): Promise<void> => send('close', []),
    fail(reason) {
      failed = reason;
      for (const call of waiting.values()) call.reject(new Error(reason));
      waiting.clear();
    },
  };
}

/**
 * The worker's side: serves `host` on `scope` (the worker's global scope). Events the host
 * tells go to the page; an answer the structured clone refuses goes as a failure instead.
 */
export function serveHost(host: HostApi, scope: Port): void {
  const post = (message: Message): void => {
    try {
      scope.postMessage(message);
    } catch (error) {
      if (message[TAG] === 'answer') scope.postMessage({ [TAG]: 'answer', id: message.id, failure: String(error) } satisfies Message);
    }
  };
  scope.addEventListener('message', ({ data }) => {
    if (!ours(data) || data[TAG] !== 'call') return;
    const { id, method, args } = data;
    const run = async (): Promise<unknown> => {
      if (method === 'open') return host.open(args[0] as never, (type, detail) => post({ [TAG]: 'event', type, detail }));
      if (method === 'call') return host.call(args[0] as never, args[1]);
      if (method === 'close') return host.close();
      throw new TypeError(`unknown host method ${String(method)}`);
    };
    run().then(
      (value) => post({ [TAG]: 'answer', id, value }),
      (error: unknown) => post({ [TAG]: 'answer', id, failure: (error as Error)?.message ?? String(error) }),
    );
  });
}
