/**
 * The soak: on simnet's demo topology, many invoices made by a shop engine
 * (half of them hold invoices, whose preimage is the engine's) and paid by `pay()` from
 * two wallet engines on one journal (two tabs: one lock, a BroadcastChannel), while faults
 * are injected at random: the wallet's sockets dropped, routing nodes offline and back,
 * slow hops, HTLCs held, failed HTLCs, and a wallet engine closed mid-payment and started
 * again on the same journal (a terminated worker), which pays the same invoice again.
 *
 * At the end every wallet engine is closed and a fresh one reconciles the journal with
 * the node; then the counts are taken from the node's side and the journals':
 * - double_sends: a part (groupid, partid) the node has more than once, or a payment the
 *   payee was paid more than once (two groups complete);
 * - overpayments: a payment whose complete parts deliver more than its invoice;
 * - early_preimages: an invoice the shop's node settled with less than its amount held;
 * - lost_records: a part the wallet's node has that the journal lacks; an invoice the
 *   shop's node has that the shop's journal lacks;
 * - mismatches: a journaled part or invoice whose status is not the node's.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { connect, type CommandoClient } from '../../packages/wire/src/index.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { startSimnet, type Simnet } from '../../packages/simnet/src/index.ts';
import { clnNode, createEngine, indexedDbStore, localLock, type Engine, type PayResult } from '../../packages/core/src/index.ts';
import { broadcastPeers } from '../../packages/worker/src/platform.ts';
import { prng } from '../wire/helpers.ts';

export interface SoakOptions {
  /** Invoices made and paid (half hold). */
  payments: number;
  seed?: number;
  /** Payments in flight at once. */
  width?: number;
  /** simnet's `demo` (default) or a graph, e.g. `graph:200` (a slice of the real mainnet graph). */
  topology?: 'demo' | `graph:${number}` | `generated:${number}`;
  /** Mean milliseconds between two faults (100: several faults per payment in flight). */
  faultEvery?: number;
  /** Each pay()'s retry_for, seconds (20). */
  retry_for?: number;
  log?: (line: string) => void;
}

export interface SoakCounts {
  payments: number;
  invoices: number;
  complete: number;
  failed: number;
  double_sends: number;
  overpayments: number;
  early_preimages: number;
  lost_records: number;
  mismatches: number;
  faults: Record<string, number>;
  restarts: number;
  /** Complete payments delivered by two or more parts. */
  multipart: number;
  /** Parts sent, all payments. */
  parts: number;
  /** Payments with no pay() result within two minutes (counted as failed). */
  stalled: number;
  seconds: number;
}

const DEMO_ROUTERS = ['alice', 'bob', 'carol', 'dave'];
const STALL_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function soak(options: SoakOptions): Promise<SoakCounts> {
  const started = performance.now();
  const rand = prng(options.seed ?? 7);
  const log = options.log ?? (() => undefined);
  const topology = options.topology ?? 'demo';
  const simnet: Simnet = await startSimnet({ topology, seed: options.seed ?? 7, hopDelay: 2, mppTimeout: 2 });
  // Faults go to the routers: in a graph, the hubs the wallet and the shop have channels with.
  const ROUTERS =
    topology === 'demo'
      ? DEMO_ROUTERS
      : [...new Set(['wallet', 'shop'].map((alias) => simnet.node(alias).node).flatMap((end) => end.channels.map((c) => c.other(end).id)))];
  const clients: CommandoClient[] = [];
  const engineClients = new Map<Engine, CommandoClient>();
  const client = async (alias: string) => {
    const info = simnet.nodes.find((n) => n.alias === alias)!;
    const c = await connect({
      nodeId: info.id,
      url: info.ws_url,
      rune: info.rune,
      WebSocket: NodeWebSocket,
      reconnect: { minDelay: 20, maxDelay: 200, attempts: 1000 },
      timeout: 30_000,
    });
    clients.push(c);
    return c;
  };
  const shopClient = await client('shop');
  const walletRpc = await client('wallet');
  const walletStore = indexedDbStore({ indexedDB: new IDBFactory(), name: 'soak-wallet' });
  const shopStore = indexedDbStore({ indexedDB: new IDBFactory(), name: 'soak-shop' });
  const shop = await createEngine({ node: clnNode(shopClient), store: shopStore, mppTimeout: 2 });
  const lock = localLock();
  const channel = `soak-${options.seed ?? 7}-${Date.now()}`;
  const peerChannels: { close(): void }[] = [];
  const walletEngine = async () => {
    const peers = broadcastPeers(channel)!;
    peerChannels.push(peers);
    const c = await client('wallet');
    // Liquidity goes round every second here (recycle() below), not over hours: what a
    // failure taught of a channel is half forgotten after 30 s rather than six hours.
    const engine = await createEngine({ node: clnNode(c), store: walletStore, lock, peers, waitChunk: 5, learnedHalfLife: 30 });
    engineClients.set(engine, c);
    return engine;
  };
  const wallets: Engine[] = [await walletEngine(), await walletEngine()];
  const faults: Record<string, number> = {};
  let restarts = 0;
  /** Payments whose pay() gave no result within STALL_MS across its attempts (it keeps running; the journal is reconciled at the end). */
  let stalled = 0;
  let running = true;

  // Faults, at random, while the payments run.
  const injector = (async () => {
    while (running) {
      await sleep((rand() * 2 * (options.faultEvery ?? 100)) | 0);
      if (!running) break;
      const router = ROUTERS[(rand() * ROUTERS.length) | 0]!;
      // Weighted: an engine restart or a long hold is rarer than a dropped socket or a failed HTLC.
      const kind = ['drop', 'drop', 'offline', 'offline', 'slow', 'slow', 'fail', 'fail', 'hold', 'restart'][(rand() * 10) | 0]!;
      faults[kind] = (faults[kind] ?? 0) + 1;
      switch (kind) {
        case 'drop':
          simnet.dropConnections('wallet');
          break;
        case 'offline':
          await simnet.setOnline(router, false);
          setTimeout(() => void simnet.setOnline(router, true), 100 + rand() * 400);
          break;
        case 'slow':
          simnet.setFaults(router, { latency: 200 + rand() * 500 });
          setTimeout(() => simnet.setFaults(router, { latency: 0 }), 1000);
          break;
        case 'hold':
          // Longer, at times, than the payee's mpp_timeout: the rest of the set then fails back.
          simnet.setFaults(router, { hold: true });
          setTimeout(() => simnet.setFaults(router, { hold: false }), 300 + rand() * 4700);
          break;
        case 'fail':
          simnet.setFaults(router, { failNext: 1 + ((rand() * 2) | 0) });
          break;
        case 'restart': {
          // A worker terminated mid-payment: its engine and its socket close; a new one starts on the journal.
          const i = (rand() * wallets.length) | 0;
          const old = wallets[i]!;
          wallets[i] = await walletEngine();
          old.close();
          engineClients.get(old)!.close();
          restarts++;
          break;
        }
      }
    }
  })();

  /** What a stalled payment waits for, in one line: its parts as the node has them, and the payee's view. */
  const stuck = async (hash: string): Promise<string> => {
    try {
      const c = engineClients.get(wallets[0]!)!;
      const parts = (await c.request('listsendpays', { payment_hash: hash })).payments as {
        groupid: number;
        partid: number;
        status: string;
        amount_msat: number;
      }[];
      const held = (await shopClient.request('listholdinvoices', { payment_hash: hash })).holdinvoices as {
        state: string;
        htlcs: unknown[];
      }[];
      const journal = (await wallets[0]!.listpartialpayments({ payment_hash: hash })).partialpayments;
      const faulty = ROUTERS.filter((r) => Object.values((simnet.network.nodes.get(r) ?? simnet.node(r).node).faults).some((f) => f));
      return `node parts ${JSON.stringify(parts.map((p) => `${p.groupid}/${p.partid}:${p.status}`))}, journal ${JSON.stringify(journal.map((p) => `${p.groupid}/${p.partid}:${p.status}`))}, payee ${JSON.stringify(held.map((h) => `${h.state} with ${h.htlcs.length} htlcs`))}, routers with faults ${faulty.length}`;
    } catch (error) {
      return `(could not look: ${(error as Error).message})`;
    }
  };

  /**
   * The shop's node pays what it got back to the wallet's node (its own `pay`, outside the
   * engines and the counts), so the channels' liquidity goes round and the soak can go on.
   */
  let recycled = 0;
  const recycling = new Set<Promise<void>>();
  const recycle = (amount_msat: number) => {
    const done = (async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          const back = await walletRpc.request('invoice', {
            amount_msat,
            label: `soak-back-${recycled}-${attempt}-${Date.now()}`,
            description: 'soak: liquidity back',
          });
          const paid = await shopClient.request('pay', { bolt11: back.bolt11, retry_for: 30 });
          if (paid.status === 'complete') {
            recycled++;
            return;
          }
        } catch {
          // A router offline, a dropped socket: try again.
        }
        await sleep(200);
      }
    })();
    recycling.add(done);
    void done.finally(() => recycling.delete(done));
  };

  // The payments: each invoice paid by a random wallet engine; a closed engine's pay() is tried again by another.
  const results = new Map<string, { amount_msat: number; hold: boolean; result?: PayResult }>();
  let next = 0;
  const width = options.width ?? 4;
  const worker = async () => {
    while (next < options.payments) {
      const n = next++;
      const hold = n % 2 === 1;
      // Four in five small; every fifth more than one path is likely to carry (in the demo,
      // ~700,000 sat a router; in the graph, big against most hubs' balances), in parts.
      const [low, high] = n % 5 !== 4 ? [300, 1500] : topology === 'demo' ? [150_000, 450_000] : [3_000_000, 6_000_000];
      const amount_msat = Math.floor(low + rand() * (high - low)) * 1000;
      const inv = await shop.invoice({ amount_msat, description: `soak ${n}`, hold, expiry: 3600 });
      const entry: { amount_msat: number; hold: boolean; result?: PayResult } = { amount_msat, hold };
      results.set(inv.payment_hash, entry);
      const deadline = Date.now() + STALL_MS;
      for (let attempt = 0; attempt < 20 && !entry.result; attempt++) {
        const engine = wallets[(rand() * wallets.length) | 0]!;
        const left = deadline - Date.now();
        if (left <= 0) {
          stalled++;
          log(`soak: payment ${n} had no result after ${STALL_MS / 1000} s (${attempt} attempts); ${await stuck(inv.payment_hash)}`);
          break;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), left)));
          const outcome = await Promise.race([engine.pay({ bolt11: inv.bolt11, retry_for: options.retry_for ?? 20 }), late]);
          if (outcome === 'late') continue;
          entry.result = outcome;
          if (outcome.status === 'complete') recycle(amount_msat);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code !== 'CONNECTION' && code !== 'TIMEOUT') throw error;
          await sleep(50);
        } finally {
          // A pay() ended by a closed engine leaves no two-minute timer behind.
          clearTimeout(timer);
        }
      }
      // Liquidity comes back before the next one goes out.
      while (recycling.size > width) await sleep(20);
      if (entry.result?.status === 'failed')
        log(`soak: payment ${n} (${amount_msat} msat, ${hold ? 'hold' : 'plain'}) failed: ${entry.result.failreason}`);
      if ((n + 1) % 50 === 0) log(`soak: ${n + 1} of ${options.payments} paid or failed`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  await Promise.all(recycling);
  running = false;
  await injector;
  for (const r of ROUTERS) {
    simnet.setFaults(r, { latency: 0, hold: false, failNext: 0 });
    await simnet.setOnline(r, true);
  }

  // Settle: every wallet engine closed; a fresh one reconciles the journal with the node.
  for (const w of wallets) w.close();
  const auditor = await createEngine({ node: clnNode(await client('wallet')), store: walletStore, waitChunk: 5 });
  for (let i = 0; i < 600; i++) {
    if ((await auditor.listpartialpayments({})).partialpayments.every((p) => p.status !== 'pending')) break;
    await sleep(100);
  }
  // Hold invoices: the shop engine settles complete sets; give it the time to.
  for (let i = 0; i < 100; i++) {
    const open = (await shop.listinvoices({})).invoices.filter(
      (x) => x.status === 'unpaid' && results.get(x.payment_hash)?.result?.status === 'complete',
    );
    if (open.length === 0) break;
    await sleep(100);
  }

  const walletClient = await client('wallet');
  const counts = { double_sends: 0, overpayments: 0, early_preimages: 0, lost_records: 0, mismatches: 0 };
  /** Counts one bad finding and prints it: what the journal says, what the node says. */
  const bad = (kind: keyof typeof counts, hash: string, what: string) => {
    counts[kind]++;
    log(`soak: ${kind.replace('_', ' ').replace(/s$/, '')} ${hash.slice(0, 16)}…: ${what}`);
  };
  const journalParts = (await auditor.listpartialpayments({})).partialpayments;
  const journalPayments = new Map((await auditor.listpayments({})).payments.map((p) => [p.payment_hash, p]));
  const shopInvoices = new Map((await shop.listinvoices({})).invoices.map((x) => [x.payment_hash, x]));
  for (const [hash, entry] of results) {
    const nodeParts = (await walletClient.request('listsendpays', { payment_hash: hash })).payments as {
      groupid: number;
      partid: number;
      status: string;
      amount_msat: number;
    }[];
    const keys = new Map<string, number>();
    for (const p of nodeParts) keys.set(`${p.groupid}/${p.partid}`, (keys.get(`${p.groupid}/${p.partid}`) ?? 0) + 1);
    for (const [key, n] of keys) if (n > 1) bad('double_sends', hash, `the node has part ${key} ${n} times`);
    const completeGroups = new Set(nodeParts.filter((p) => p.status === 'complete').map((p) => p.groupid));
    if (completeGroups.size > 1) bad('double_sends', hash, `the node completed groups ${[...completeGroups].join(', ')}`);
    const delivered = nodeParts.filter((p) => p.status === 'complete').reduce((s, p) => s + p.amount_msat, 0);
    if (delivered > entry.amount_msat)
      bad('overpayments', hash, `the node delivered ${delivered} msat of an invoice for ${entry.amount_msat}`);
    const mine = journalParts.filter((p) => p.payment_hash === hash);
    for (const p of nodeParts) {
      const j = mine.find((m) => m.groupid === p.groupid && m.partid === p.partid);
      if (!j) bad('lost_records', hash, `the node has part ${p.groupid}/${p.partid} (${p.status}), the journal has not`);
      else if (j.status !== p.status)
        bad(
          'mismatches',
          hash,
          `part ${p.groupid}/${p.partid}: journal ${j.status}${j.failreason ? ` (${j.failreason})` : ''}, node ${p.status}`,
        );
    }
    for (const j of mine) {
      if (j.status !== 'failed' && !nodeParts.some((p) => p.groupid === j.groupid && p.partid === j.partid))
        bad('mismatches', hash, `part ${j.groupid}/${j.partid}: journal ${j.status}, the node has no such part`);
    }
    const payment = journalPayments.get(hash);
    if (payment && (payment.status === 'complete') !== completeGroups.size > 0) {
      bad('mismatches', hash, `payment: journal ${payment.status}, node ${completeGroups.size > 0 ? 'complete' : 'not complete'}`);
    }
    // The payee's side.
    const record = shopInvoices.get(hash);
    if (!record) {
      bad('lost_records', hash, "the shop's node has an invoice its journal has not");
      continue;
    }
    if (entry.hold) {
      const [held] = (await shopClient.request('listholdinvoices', { payment_hash: hash })).holdinvoices as {
        state: string;
        htlcs: { msat: number; state: string }[];
      }[];
      const got = (held?.htlcs ?? []).filter((x) => x.state === 'paid').reduce((s, x) => s + x.msat, 0);
      if (held?.state === 'paid' && got < entry.amount_msat)
        bad('early_preimages', hash, `hold invoice settled with ${got} of ${entry.amount_msat} msat held`);
      if ((held?.state === 'paid') !== (record.status === 'paid'))
        bad('mismatches', hash, `hold invoice: journal ${record.status}, node ${held?.state ?? 'none'}`);
    } else {
      const [inv] = (await shopClient.request('listinvoices', { payment_hash: hash })).invoices as {
        status: string;
        amount_received_msat?: number;
      }[];
      if ((inv?.status === 'paid') !== (record.status === 'paid'))
        bad('mismatches', hash, `invoice: journal ${record.status}, node ${inv?.status ?? 'none'}`);
    }
    if (record.status === 'paid' && (record.amount_received_msat ?? 0) < entry.amount_msat)
      bad('early_preimages', hash, `invoice paid with ${record.amount_received_msat ?? 0} of ${entry.amount_msat} msat`);
  }
  const done = [...results.values()].filter((r) => r.result?.status === 'complete');
  const complete = done.length;
  const multipart = done.filter((r) => r.result!.parts.filter((p) => p.status === 'complete').length >= 2).length;
  const parts = journalParts.length;
  auditor.close();
  shop.close();
  for (const c of peerChannels) c.close();
  for (const c of clients) c.close();
  await simnet.stop();
  return {
    payments: results.size,
    invoices: shopInvoices.size,
    complete,
    failed: results.size - complete,
    ...counts,
    faults,
    restarts,
    multipart,
    parts,
    stalled,
    seconds: (performance.now() - started) / 1000,
  };
}
