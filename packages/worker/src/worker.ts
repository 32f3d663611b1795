/**
 * `ampkit-worker.js`: run as a Web Worker, it serves one {@link AmpkitHost} to the page
 * through comlink. Imported as a module in a page (the client's fallback when no worker
 * may start), it only exports the host.
 */
import { expose } from 'comlink';
import { AmpkitHost } from './host.ts';
import { READY } from './protocol.ts';

export { AmpkitHost };

const scope = globalThis as unknown as { WorkerGlobalScope?: abstract new () => unknown };
if (scope.WorkerGlobalScope !== undefined && globalThis instanceof scope.WorkerGlobalScope) {
  expose(new AmpkitHost());
  // Messages sent before the host listened could be lost (this module may be imported
  // dynamically, after the worker started): the page waits for this word first.
  globalThis.postMessage(READY);
}
