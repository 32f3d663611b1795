/**
 * `ampkit-worker.js`: run as a Web Worker, it serves one {@link AmpkitHost} to the page
 * through ./rpc.ts. Imported as a module in a page (the client's fallback when no worker
 * may start), it only exports the host.
 */
import { AmpkitHost } from './host.ts';
import { serveHost } from './rpc.ts';
import { READY } from './protocol.ts';

export { AmpkitHost };

const scope = globalThis as unknown as { WorkerGlobalScope?: abstract new () => unknown };
if (scope.WorkerGlobalScope !== undefined && globalThis instanceof scope.WorkerGlobalScope) {
  serveHost(new AmpkitHost(), globalThis as unknown as Parameters<typeof serveHost>[1]);
  // Messages sent before the host listened could be lost (this module may be imported
  // dynamically, after the worker started): the page waits for this word first.
  globalThis.postMessage(READY);
}
