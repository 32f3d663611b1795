/**
 * `npm run bench -- pay [--quick] [--json]`: the local planner on the real
 * mainnet graph, beside a single path, LND-style halving and the oracle. A fixed seed
 * draws every channel's true balance (simnet's loader: node_1's side uniform over the
 * capacity, less the 1% reserve), which no planner sees; then payment pairs between nodes
 * with at least five usable channels each way, and amounts from 10,000 to 20,000,000 sat.
 * Each planner pays each payment against the true balances in process: a part passes if
 * every hop can carry it (with what the payment's other parts hold) and the hop's fee and
 * CLTV are right; a failure names the erring channel like a temporary_channel_failure. A
 * planner learns from every result within a payment (never across payments) and may take
 * {@link MAX_ROUNDS} rounds (plan, send every part, learn from every result). The oracle
 * knows every balance: max flow for feasibility, min-cost flow for the cheapest fee.
 * Knobs: `PAY_BENCH_N` payments per size (default 40, `--quick` 8), `PAY_BENCH_SEED`
 * (default 1), `PAY_BENCH_SIZES` (sat, comma-separated), `PAY_BENCH_MU` (local's fee weight).
 */
import { DEFAULT_GRAPH, Network, loadGraph, readListChannels } from '@ampkit/simnet';
import { prng } from '../../packages/simnet/src/seed.ts';
import { ChannelGraph, DEFAULT_MU, Liquidity, learn, planPayment, type PlannedRoute } from '../../packages/core/src/planner/index.ts';
import { FINAL_CLTV, MAXDELAY, MAXPARTS, MAX_ROUNDS, Oracle, World, lndSplit, singlePath, type Outcome, type Payment } from './pay-sim.ts';

const SIZES_SAT = process.env.PAY_BENCH_SIZES
  ? process.env.PAY_BENCH_SIZES.split(',').map(Number)
  : [10_000, 100_000, 1_000_000, 5_000_000, 20_000_000];
/**
 * Times the local planner may start a payment over when its held parts cannot be completed
 * (it lets the payee's mpp_timeout release them, then plans the whole amount again with
 * what it learned); counted in `restarts`.
 */
const RESTARTS = 2;
/** The local planner's fee weight (its default unless `PAY_BENCH_MU` is set). */
const MU = process.env.PAY_BENCH_MU === undefined ? undefined : Number(process.env.PAY_BENCH_MU);
/** The baselines' fee weight: nats per 0.1% of the amount in fees. */
const BASELINE_MU = 1;

/** One planner's figures, as `--json` prints them. */
export interface PlannerFigures {
  attempted: number;
  succeeded: number;
  oracle_feasible: number;
  median_plan_ms: number;
  median_attempts: number;
  fees_msat: number;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The local planner: plan, send every part, learn from every result, replan the remainder. */
export function local(world: World, liquidity: Liquidity, pay: Payment, trace?: (text: string) => void): Outcome {
  const g = world.graph;
  const out: Outcome = { ok: false, attempts: 0, rounds: 0, parts: 0, fee: 0, planMs: [], invalid: 0, restarts: 0 };
  const held: PlannedRoute[] = [];
  const source = g.nodeIds[pay.source]!;
  const destination = g.nodeIds[pay.target]!;
  const finish = (ok: boolean, why?: string): Outcome => {
    world.release(held.map((r) => r.hops));
    return { ...out, ok, parts: ok ? held.length : 0, fee: ok ? held.reduce((s, r) => s + r.fee_msat, 0) : 0, ...(why ? { why } : {}) };
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const delivered = held.reduce((s, r) => s + r.amount_msat, 0);
    if (delivered >= pay.amount) return finish(true);
    out.rounds++;
    const spent = held.reduce((s, r) => s + r.fee_msat, 0);
    const t = performance.now();
    const plan = planPayment(g, liquidity, {
      source,
      destination,
      amount_msat: pay.amount - delivered,
      maxfee_msat: pay.maxfee - spent,
      maxparts: MAXPARTS - held.length,
      final_cltv: FINAL_CLTV,
      maxdelay: MAXDELAY,
      inflight: held.map((r) => r.hops),
      ...(MU === undefined ? {} : { mu: MU }),
      now: 0,
    });
    out.planMs.push(performance.now() - t);
    trace?.(
      plan.ok
        ? `round ${round}: remaining ${pay.amount - delivered} partsLeft ${MAXPARTS - held.length} plan ${plan.routes.map((r) => `${r.amount_msat}@${r.probability.toFixed(2)}`).join(' ')} fee ${plan.fee_msat} p ${plan.probability.toFixed(3)} mu ${plan.mu}`
        : `round ${round}: ${plan.reason} ${plan.message}`,
    );
    if (!plan.ok) {
      // The parts held cannot be completed within maxparts (or the room left): let the payee's
      // mpp_timeout release them and start over with everything learned, once or twice.
      if ((plan.reason === 'MAXPARTS' || plan.reason === 'CAPACITY') && held.length > 0 && out.restarts < RESTARTS) {
        out.restarts++;
        world.release(held.map((r) => r.hops));
        held.length = 0;
        continue;
      }
      return finish(false, plan.reason);
    }
    const before = held.map((r) => r.hops);
    const arrived: PlannedRoute[] = [];
    const results = plan.routes.map((route) => {
      out.attempts++;
      const result = world.send(route.hops, route.amount_msat);
      if (!result.ok && result.invalid) out.invalid++;
      if (result.ok) arrived.push(route);
      return result;
    });
    plan.routes.forEach((route, i) => {
      const concurrent = arrived.filter((r) => r !== route).map((r) => r.hops);
      learn(liquidity, g, route.hops, results[i]!, { held: before, concurrent, now: 0 });
    });
    held.push(...arrived);
    trace?.(`  arrived ${arrived.map((r) => r.amount_msat).join(' ')}`);
  }
  return held.reduce((s, r) => s + r.amount_msat, 0) >= pay.amount ? finish(true) : finish(false, 'deadline');
}

/** Runs the benchmark; `line` prints (run.ts passes one that is quiet under `--json`). */
export async function benchPay(line: (text: string) => void): Promise<{ planners: Record<string, PlannerFigures> }> {
  const quick = process.argv.includes('--quick');
  const perSize = Number(process.env.PAY_BENCH_N ?? (quick ? 8 : 40));
  const seed = Number(process.env.PAY_BENCH_SEED ?? 1);
  let t = performance.now();
  const entries = readListChannels(DEFAULT_GRAPH);
  const graph = ChannelGraph.fromListChannels(entries);
  const network = new Network();
  loadGraph(network, entries, seed);
  const truth = new Float64Array(graph.size);
  for (let e = 0; e < graph.size; e++) {
    const channel = network.channels.get(graph.scids[e]!)!;
    truth[e] = channel.spendable(graph.direction[e] as 0 | 1);
  }
  const world = new World(graph, truth);
  const oracle = new Oracle(graph, truth);
  line(
    `pay planner bench — ${graph.nodeCount} nodes, ${graph.size} channel directions (graph built in ${(performance.now() - t).toFixed(0)} ms), seed ${seed}, ${perSize} payments per size`,
  );

  // Payment pairs: nodes with at least five active channels out and five in.
  const { outStart, inStart } = graph.adjacency();
  const wellConnected: number[] = [];
  for (let v = 0; v < graph.nodeCount; v++)
    if (outStart[v + 1]! - outStart[v]! >= 5 && inStart[v + 1]! - inStart[v]! >= 5) wellConnected.push(v);
  const random = prng(seed, 'pay-bench');
  const payments: Payment[] = [];
  for (const sat of SIZES_SAT) {
    for (let i = 0; i < perSize; i++) {
      const source = wellConnected[Math.floor(random() * wellConnected.length)]!;
      let target = source;
      while (target === source) target = wellConnected[Math.floor(random() * wellConnected.length)]!;
      const amount = sat * 1000;
      // Core Lightning's default budget: 0.5%, with 5 sat always allowed.
      payments.push({ source, target, amount, maxfee: Math.max(5000, Math.floor(amount * 0.005)) });
    }
  }

  const names = ['local', 'single_path', 'lnd_split', 'oracle'] as const;
  type Row = { pay: Payment; feasible: boolean; cheapest: number; outcome: Record<(typeof names)[number], Outcome> };
  const rows: Row[] = [];
  t = performance.now();
  for (const pay of payments) {
    const o = oracle.solve(pay);
    // What the oracle can make: the amount fits in the max flow, and its cheapest flow in the budget.
    const feasible = o.feasible && o.fee <= pay.maxfee;
    world.own(pay.source, true);
    const outcome = {
      local: local(world, new Liquidity(), pay),
      single_path: singlePath(world, new Liquidity(), pay, BASELINE_MU),
      lnd_split: lndSplit(world, new Liquidity(), pay, BASELINE_MU),
      oracle: {
        ok: feasible,
        attempts: feasible ? o.parts : 0,
        rounds: 1,
        parts: o.parts,
        fee: feasible ? o.fee : 0,
        planMs: [o.ms],
        invalid: 0,
        restarts: 0,
      },
    };
    world.own(pay.source, false);
    rows.push({ pay, feasible, cheapest: o.fee, outcome });
  }
  const seconds = (performance.now() - t) / 1000;

  const planners: Record<string, PlannerFigures> = {};
  const feasibleRows = rows.filter((r) => r.feasible);
  /** Fees over the cheapest feasible flow's, on the oracle-feasible payments a planner made: the sums' ratio and the median ratio. */
  const feeRatios = (name: (typeof names)[number], of: Row[]) => {
    const paid = of.filter((r) => r.feasible && r.outcome[name].ok);
    const sum =
      paid.reduce((s, r) => s + r.outcome[name].fee, 0) /
      Math.max(
        1,
        paid.reduce((s, r) => s + r.cheapest, 0),
      );
    return {
      sum,
      median: quantile(
        paid.map((r) => (r.outcome[name].fee + 1) / (r.cheapest + 1)),
        0.5,
      ),
    };
  };
  line(
    `${rows.length} payments (${SIZES_SAT.map((s) => `${s.toLocaleString('en')} sat`).join(', ')}), ${feasibleRows.length} feasible for the oracle within the 0.5% fee budget; maxparts ${MAXPARTS}, ${MAX_ROUNDS} rounds; local mu ${MU ?? DEFAULT_MU}; ran in ${seconds.toFixed(0)} s`,
  );
  line(
    'planner      attempted  succeeded  success on feasible  attempts med/p90  rounds med/p90  parts med  fees total (msat)  fee med (msat)  fees/cheapest sum, med  plan ms med/p90  restarts  invalid',
  );
  for (const name of names) {
    const outs = rows.map((r) => r.outcome[name]);
    const won = rows.filter((r) => r.outcome[name].ok);
    const wonFeasible = feasibleRows.filter((r) => r.outcome[name].ok);
    const planMs = outs.flatMap((o) => o.planMs);
    const attempts = outs.map((o) => o.attempts);
    const rounds = outs.map((o) => o.rounds);
    const fees = won.map((r) => r.outcome[name].fee);
    const ratio = feeRatios(name, rows);
    planners[name] = {
      attempted: rows.length,
      succeeded: won.length,
      oracle_feasible: feasibleRows.length,
      median_plan_ms: quantile(planMs, 0.5),
      median_attempts: quantile(attempts, 0.5),
      fees_msat: fees.reduce((s, f) => s + f, 0),
    };
    const cells = [
      name.padEnd(12),
      String(rows.length).padStart(9),
      String(won.length).padStart(9),
      `${wonFeasible.length}/${feasibleRows.length} = ${((100 * wonFeasible.length) / Math.max(1, feasibleRows.length)).toFixed(1)}%`.padStart(
        19,
      ),
      `${quantile(attempts, 0.5)}/${quantile(attempts, 0.9)}`.padStart(16),
      `${quantile(rounds, 0.5)}/${quantile(rounds, 0.9)}`.padStart(14),
      String(
        quantile(
          won.map((r) => r.outcome[name].parts),
          0.5,
        ),
      ).padStart(9),
      String(planners[name]!.fees_msat).padStart(17),
      String(quantile(fees, 0.5)).padStart(14),
      `${ratio.sum.toFixed(3)}, ${ratio.median.toFixed(3)}`.padStart(22),
      `${quantile(planMs, 0.5).toFixed(1)}/${quantile(planMs, 0.9).toFixed(1)}`.padStart(15),
      String(outs.reduce((s, o) => s + o.restarts, 0)).padStart(8),
      String(outs.reduce((s, o) => s + o.invalid, 0)).padStart(7),
    ];
    line(cells.join('  '));
  }
  line('by size: oracle-feasible payments made by local / single_path / lnd_split; local fees over the cheapest (sum, median):');
  for (const sat of SIZES_SAT) {
    const of = feasibleRows.filter((r) => r.pay.amount === sat * 1000);
    const made = (name: (typeof names)[number]) => of.filter((r) => r.outcome[name].ok).length;
    const why = new Map<string, number>();
    for (const r of of) if (!r.outcome.local.ok) why.set(r.outcome.local.why ?? '?', (why.get(r.outcome.local.why ?? '?') ?? 0) + 1);
    const ratio = feeRatios('local', of);
    line(
      `  ${sat.toLocaleString('en').padStart(10)} sat: ${String(of.length).padStart(3)} feasible; ${made('local')} / ${made('single_path')} / ${made('lnd_split')}; fees ${ratio.sum.toFixed(3)}, ${ratio.median.toFixed(3)}${why.size ? `; local failed: ${[...why].map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`,
    );
  }
  const l = planners.local!;
  const made = feasibleRows.filter((r) => r.outcome.local.ok).length;
  const fee = feeRatios('local', rows);
  line(
    `targets (local): success ${((100 * made) / Math.max(1, feasibleRows.length)).toFixed(1)}% of oracle-feasible (≥ 95%) ${made >= 0.95 * feasibleRows.length ? 'met' : 'NOT met'}; median plan ${l.median_plan_ms.toFixed(1)} ms (≤ 100 ms) ${l.median_plan_ms <= 100 ? 'met' : 'NOT met'}; fees ${fee.sum.toFixed(3)}× the cheapest feasible flow in sum (≤ 1.10) ${fee.sum <= 1.1 ? 'met' : 'NOT met'}, ${fee.median.toFixed(3)}× in the median (≤ 1.10) ${fee.median <= 1.1 ? 'met' : 'NOT met'}`,
  );
  return { planners };
}
