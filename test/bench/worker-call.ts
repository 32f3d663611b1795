/**
 * The cost of the worker boundary: one engine call through the client with the engine in
 * a Web Worker (rpc.ts, a structured clone each way) against the same call with the
 * engine in the page, in the system Chromium on the built bundles. The call reads the
 * journal only (no node round trip), so the difference is the boundary.
 */
import { browserHarness } from '../worker/browser-harness.ts';

export interface WorkerCallFigures {
  calls: number;
  memory: { page_us: number; worker_us: number };
  indexeddb: { page_us: number; worker_us: number };
}

export async function benchWorkerCall(calls = 2000): Promise<WorkerCallFigures | undefined> {
  let h;
  try {
    h = await browserHarness({ seed: 90 });
  } catch (error) {
    if (String(error).includes('no Chromium')) return undefined;
    throw error;
  }
  try {
    const tab = await h.tab();
    const run = (storage: string, worker: boolean) =>
      tab.page.evaluate(
        async (access, storage, worker, calls) => {
          const client = await (window as any).ampkit.createAmpkit({ ...access, storage, worker, database: 'bench' });
          const input = { payment_hash: '00'.repeat(32) };
          for (let i = 0; i < 50; i++) await client.listpayments(input);
          // The page's clock is coarse (100 µs without cross-origin isolation): time the batch.
          const t = performance.now();
          for (let i = 0; i < calls; i++) await client.listpayments(input);
          const us = ((performance.now() - t) * 1000) / calls;
          await client.close();
          return us;
        },
        h.access('wallet'),
        storage,
        worker,
        calls,
      );
    const figures: WorkerCallFigures = {
      calls,
      memory: { page_us: await run('memory', false), worker_us: await run('memory', true) },
      indexeddb: { page_us: await run('indexeddb', false), worker_us: await run('indexeddb', true) },
    };
    return figures;
  } finally {
    await h.stop();
  }
}
