/**
 * How engines that share one journal (a page's tabs, each with its own engine) keep from
 * racing and keep each other informed. The engine needs two things, given in
 * {@link EngineOptions}: an exclusive lock by name, held across every engine on the journal
 * (Web Locks in browsers), and a channel to the other engines (a BroadcastChannel). Core
 * knows neither API; `@ampkit/worker` supplies both.
 */
import type { EngineEvents } from './payments/engine.ts';
import { KeyedLock } from './payments/waiters.ts';

/**
 * Runs `task` while holding the exclusive lock `name` and gives its result. The lock must
 * be shared by every engine that may open the same journal; a lock that only this engine
 * sees still serialises its own work, and the journal's transactions keep the money rules.
 */
export type Lock = <T>(name: string, task: () => Promise<T>) => Promise<T>;

/** The events an engine passes to the others on its journal: every one but `error`. */
export type PeerEvent = Exclude<keyof EngineEvents, 'error'>;

/** One message between engines: an event this engine emitted, with its record. */
export interface PeerMessage<K extends PeerEvent = PeerEvent> {
  type: K;
  detail: EngineEvents[K];
}

/**
 * A channel to the other engines on the same journal. Messages are plain records (they
 * cross a structured clone); a message is delivered to every other member, never back to
 * its sender.
 */
export interface PeerChannel {
  post(message: PeerMessage): void;
  /** Listens to the others' messages; returns the function that stops listening. */
  subscribe(listener: (message: unknown) => void): () => void;
}

/** A {@link Lock} seen by this engine only. */
export function localLock(): Lock {
  const locks = new KeyedLock<string>();
  return (name, task) => locks.run(name, task);
}

const PEER_EVENTS: ReadonlySet<string> = new Set<PeerEvent>([
  'part-created',
  'part-updated',
  'payment-updated',
  'pay-progress',
  'invoice-updated',
  'invoice-part',
  'invoice-part-gone',
  'invoice-paid',
  'invoice-expired',
]);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * A message from another engine, if it has the shape of one; anything else is dropped
 * (a channel is shared by everything on the origin).
 */
export function readPeerMessage(message: unknown): PeerMessage | undefined {
  if (!isRecord(message) || typeof message.type !== 'string' || !PEER_EVENTS.has(message.type) || !isRecord(message.detail))
    return undefined;
  const detail = message.type === 'invoice-part-gone' ? message.detail.part : message.detail;
  if (!isRecord(detail) || typeof detail.payment_hash !== 'string') return undefined;
  if (message.type.startsWith('part-') && typeof detail.id !== 'number') return undefined;
  return message as unknown as PeerMessage;
}
