/**
 * `ampkit-worker.js`: run as a Web Worker, it serves one {@link AmpkitHost} to the page
 * through comlink. Imported as a module in a page (the client's fallback when no worker
 * may start), it only exports the host.
 */
import { expose } from 'comlink';
import { AmpkitHost } from './host.ts';

export { AmpkitHost };

const scope = globalThis as unknown as { WorkerGlobalScope?: abstract new () => unknown };
if (scope.WorkerGlobalScope !== undefined && globalThis instanceof scope.WorkerGlobalScope) expose(new AmpkitHost());
