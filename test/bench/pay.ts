/**
 * `npm run bench -- pay [--quick] [--json]`: the local planner on the real mainnet graph,
 * beside a single path, LND-style halving and the oracle, in worlds of hidden balances no
 * planner sees: `uniform` (simnet's loader: node_1's side uniform over the capacity, the
 * planners' own prior), `bimodal` (90% of channels with at most 5% of the capacity on one
 * side, the side drawn at random) and `mixed` (half of them so); see {@link drawBalances}.
 * Each side keeps a 1% reserve. Payment pairs are any two nodes of the largest strongly
 * connected component of active directions, amounts from 1,000 to 20,000,000 sat, the same
 * payments in every world. Each planner pays each payment against the true balances in
 * process: a part passes if every hop can carry it (with what the payment's other parts
 * hold) and the hop's fee and CLTV are right; a failure names the erring channel like a
 * temporary_channel_failure. A planner learns from every result within a payment (never
 * across payments) and may take {@link MAX_ROUNDS} rounds and {@link RESTARTS} restarts;
 * every planner weighs fees with the same `mu` in units of the cheapest path's fee (plan.ts).
 * The contenders take turns (the first rotating per payment), each on the same balances
 * with nothing held. The oracle knows every balance: max flow for feasibility, min-cost
 * flow for the cheapest fee. Plan time is per payment: every planning call of it summed.
 * Knobs: `PAY_BENCH_N` payments per size and world (default 40, `--quick` 10),
 * `PAY_BENCH_SEED` (default 1), `PAY_BENCH_SIZES` (sat, comma-separated), `PAY_BENCH_MU`
 * (every planner's fee weight), `PAY_BENCH_WORLDS` (default `uniform,bimodal,mixed`).
 */
import { DEFAULT_GRAPH, Network, loadGraph, readListChannels } from '@ampkit/simnet';
import { prng } from '../../packages/simnet/src/seed.ts';
import { ChannelGraph, DEFAULT_MU, Liquidity, learn, planPayment, type PlannedRoute } from '../../packages/core/src/planner/index.ts';
import {
  FINAL_CLTV,
  MAXDELAY,
  MAXPARTS,
  MAX_ROUNDS,
  Oracle,
  RESTARTS,
  World,
  drawBalances,
  largestComponent,
  lndSplit,
  singlePath,
  spendableOf,
  type Outcome,
  type Payment,
  type WorldName,
} from './pay-sim.ts';

const SIZES_SAT = process.env.PAY_BENCH_SIZES
  ? process.env.PAY_BENCH_SIZES.split(',').map(Number)
  : [1_000, 10_000, 100_000, 1_000_000, 5_000_000, 20_000_000];
/** Every planner's fee weight (the local planner's default unless `PAY_BENCH_MU` is set). */
const MU = process.env.PAY_BENCH_MU === undefined ? undefined : Number(process.env.PAY_BENCH_MU);

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

const CONTENDERS = ['local', 'single_path', 'lnd_split'] as const;
type Contender = (typeof CONTENDERS)[number];
const NAMES = [...CONTENDERS, 'oracle'] as const;
type Name = (typeof NAMES)[number];
const WORLD_NOTES: Record<WorldName, string> = {
  uniform: "node_1's side uniform over the capacity (simnet's loader), the planners' own prior",
  bimodal: '90% of channels hold at most 5% of the capacity on one side (side drawn at random), the rest uniform',
  mixed: 'half the channels one-sided as in bimodal, half uniform',
};

/** One planner's figures in one world, as `--json` prints them (keyed `<world>.<planner>`). */
export interface PlannerFigures {
  world: WorldName;
  attempted: number;
  succeeded: number;
  oracle_feasible: number;
  /** Oracle-feasible payments it made. */
  succeeded_feasible: number;
  /** Per planning call. */
  median_plan_ms: number;
  /** Per payment: every planning call of one payment summed. */
  median_payment_plan_ms: number;
  p90_payment_plan_ms: number;
  median_attempts: number;
  fees_msat: number;
  /** Its fees over the cheapest feasible flow's, on the oracle-feasible payments it made: ratio of the sums, median ratio. */
  fee_ratio_sum: number;
  fee_ratio_median: number;
  /** By amount bucket (sat): payment plan time p50/p90 and oracle-feasible made. */
  buckets: Record<string, { feasible: number; made: number; plan_ms_p50: number; plan_ms_p90: number; fee_ratio_sum: number }>;
}

/**
 * Runs the benchmark; `line` prints (run.ts passes one that is quiet under `--json`).
 * Per world: every payment is made by each contender in turn (the first rotating from one
 * payment to the next), each on the same balances with nothing held, and solved by the oracle.
 */
export async function benchPay(line: (text: string) => void): Promise<{ planners: Record<string, PlannerFigures> }> {
  const quick = process.argv.includes('--quick');
  const perSize = Number(process.env.PAY_BENCH_N ?? (quick ? 10 : 40));
  const seed = Number(process.env.PAY_BENCH_SEED ?? 1);
  const worlds = (process.env.PAY_BENCH_WORLDS ?? 'uniform,bimodal,mixed').split(',').map((w) => w.trim()) as WorldName[];
  for (const w of worlds) if (!(w in WORLD_NOTES)) throw new Error(`PAY_BENCH_WORLDS: unknown world ${w} (uniform, bimodal, mixed)`);
  const mu = MU ?? DEFAULT_MU;
  let t = performance.now();
  const entries = readListChannels(DEFAULT_GRAPH);
  const graph = ChannelGraph.fromListChannels(entries);
  const component = largestComponent(graph);
  line(
    `pay planner bench — ${graph.nodeCount} nodes, ${graph.size} channel directions (graph built in ${(performance.now() - t).toFixed(0)} ms), largest strongly connected component ${component.length} nodes; seed ${seed}, ${perSize} payments per size, worlds ${worlds.join(', ')}`,
  );

  // Payment pairs: any two nodes of the largest strongly connected component (active directions).
  const random = prng(seed, 'pay-bench');
  const payments: Payment[] = [];
  for (const sat of SIZES_SAT) {
    for (let i = 0; i < perSize; i++) {
      const source = component[Math.floor(random() * component.length)]!;
      let target = source;
      while (target === source) target = component[Math.floor(random() * component.length)]!;
      const amount = sat * 1000;
      // Core Lightning's default budget: 0.5%, with 5 sat always allowed.
      payments.push({ source, target, amount, maxfee: Math.max(5000, Math.floor(amount * 0.005)) });
    }
  }
  line(
    `${payments.length} payments per world (${SIZES_SAT.map((s) => `${s.toLocaleString('en')} sat`).join(', ')}), fee budget 0.5% (at least 5 sat); maxparts ${MAXPARTS}, ${MAX_ROUNDS} rounds, ${RESTARTS} restarts for every planner; fee weight mu ${mu} (nats per the cheapest path's fee) for every planner`,
  );

  const planners: Record<string, PlannerFigures> = {};
  for (const worldName of worlds) {
    let truth: Float64Array;
    if (worldName === 'uniform') {
      const network = new Network();
      loadGraph(network, entries, seed);
      truth = new Float64Array(graph.size);
      for (let e = 0; e < graph.size; e++) truth[e] = network.channels.get(graph.scids[e]!)!.spendable(graph.direction[e] as 0 | 1);
    } else truth = spendableOf(graph, drawBalances(graph, worldName, prng(seed, `world:${worldName}`)));
    const world = new World(graph, truth);
    const oracle = new Oracle(graph, truth);
    type Row = { pay: Payment; feasible: boolean; cheapest: number; outcome: Record<Name, Outcome> };
    const rows: Row[] = [];
    let leaks = 0;
    t = performance.now();
    payments.forEach((pay, i) => {
      const o = oracle.solve(pay);
      // What the oracle can make: the amount fits in the max flow, and its cheapest flow in the budget.
      const feasible = o.feasible && o.fee <= pay.maxfee;
      const outcome = {
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
      } as Record<Name, Outcome>;
      for (let k = 0; k < CONTENDERS.length; k++) {
        const name = CONTENDERS[(i + k) % CONTENDERS.length]!;
        world.own(pay.source, true);
        outcome[name] =
          name === 'local'
            ? local(world, new Liquidity(), pay)
            : name === 'single_path'
              ? singlePath(world, new Liquidity(), pay, mu)
              : lndSplit(world, new Liquidity(), pay, mu);
        world.own(pay.source, false);
        leaks += world.reset();
      }
      rows.push({ pay, feasible, cheapest: o.fee, outcome });
    });
    const seconds = (performance.now() - t) / 1000;
    (globalThis as { gc?: () => void }).gc?.();

    const feasibleRows = rows.filter((r) => r.feasible);
    const made = (name: Name, of: Row[]) => of.filter((r) => r.feasible && r.outcome[name].ok).length;
    /** Fees over the cheapest feasible flow's, on the oracle-feasible payments a planner made: the sums' ratio and the median ratio. */
    const feeRatios = (name: Name, of: Row[]) => {
      const paid = of.filter((r) => r.feasible && r.outcome[name].ok);
      const cheapest = paid.reduce((s, r) => s + r.cheapest, 0);
      return {
        sum: paid.length === 0 ? NaN : paid.reduce((s, r) => s + r.outcome[name].fee, 0) / Math.max(1, cheapest),
        median: quantile(
          paid.map((r) => (r.outcome[name].fee + 1) / (r.cheapest + 1)),
          0.5,
        ),
      };
    };
    const paymentMs = (name: Name, of: Row[]) => of.map((r) => r.outcome[name].planMs.reduce((s, x) => s + x, 0));
    const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
    line('');
    line(
      `world ${worldName}: ${WORLD_NOTES[worldName]}; ${feasibleRows.length}/${rows.length} payments feasible for the oracle within the budget; ran in ${seconds.toFixed(0)} s${leaks ? `; ${leaks} directions left held (a bench bug)` : ''}`,
    );
    line(
      '  planner      success on feasible  succeeded  attempts med/p90  rounds med/p90  parts med  fees/cheapest sum, med  plan ms/payment p50/p90  plan ms/call p50  restarts  invalid',
    );
    for (const name of NAMES) {
      const outs = rows.map((r) => r.outcome[name]);
      const won = rows.filter((r) => r.outcome[name].ok);
      const perPayment = paymentMs(name, rows);
      const attempts = outs.map((o) => o.attempts);
      const rounds = outs.map((o) => o.rounds);
      const ratio = feeRatios(name, rows);
      const buckets: PlannerFigures['buckets'] = {};
      for (const sat of SIZES_SAT) {
        const of = rows.filter((r) => r.pay.amount === sat * 1000);
        const ms = paymentMs(name, of);
        buckets[sat] = {
          feasible: of.filter((r) => r.feasible).length,
          made: made(name, of),
          plan_ms_p50: quantile(ms, 0.5),
          plan_ms_p90: quantile(ms, 0.9),
          fee_ratio_sum: feeRatios(name, of).sum,
        };
      }
      const figures: PlannerFigures = {
        world: worldName,
        attempted: rows.length,
        succeeded: won.length,
        oracle_feasible: feasibleRows.length,
        succeeded_feasible: made(name, rows),
        median_plan_ms: quantile(
          outs.flatMap((o) => o.planMs),
          0.5,
        ),
        median_payment_plan_ms: quantile(perPayment, 0.5),
        p90_payment_plan_ms: quantile(perPayment, 0.9),
        median_attempts: quantile(attempts, 0.5),
        fees_msat: won.reduce((s, r) => s + r.outcome[name].fee, 0),
        fee_ratio_sum: ratio.sum,
        fee_ratio_median: ratio.median,
        buckets,
      };
      planners[`${worldName}.${name}`] = figures;
      const cells = [
        `  ${name.padEnd(11)}`,
        `${figures.succeeded_feasible}/${feasibleRows.length} = ${pct(figures.succeeded_feasible, feasibleRows.length)}`.padStart(19),
        String(won.length).padStart(9),
        `${quantile(attempts, 0.5)}/${quantile(attempts, 0.9)}`.padStart(16),
        `${quantile(rounds, 0.5)}/${quantile(rounds, 0.9)}`.padStart(14),
        String(
          quantile(
            won.map((r) => r.outcome[name].parts),
            0.5,
          ),
        ).padStart(9),
        `${ratio.sum.toFixed(3)}, ${ratio.median.toFixed(3)}`.padStart(22),
        `${figures.median_payment_plan_ms.toFixed(1)}/${figures.p90_payment_plan_ms.toFixed(1)}`.padStart(23),
        figures.median_plan_ms.toFixed(1).padStart(16),
        String(outs.reduce((s, o) => s + o.restarts, 0)).padStart(8),
        String(outs.reduce((s, o) => s + o.invalid, 0)).padStart(7),
      ];
      line(cells.join('  '));
    }
    line(
      '  by amount: oracle-feasible made; fees/cheapest (sum); plan ms per payment p50/p90 — winner: most oracle-feasible made, then lower fees/cheapest (within 1%: a tie)',
    );
    line(`  ${'amount'.padStart(14)}  feasible  ${CONTENDERS.map((n) => n.padEnd(29)).join('  ')}  winner`);
    for (const sat of SIZES_SAT) {
      const of = rows.filter((r) => r.pay.amount === sat * 1000);
      const feasible = of.filter((r) => r.feasible).length;
      const cell = (name: Contender) => {
        const b = planners[`${worldName}.${name}`]!.buckets[sat]!;
        return `${b.made} ${Number.isNaN(b.fee_ratio_sum) ? '-' : `${b.fee_ratio_sum.toFixed(2)}x`} ${b.plan_ms_p50.toFixed(0)}/${b.plan_ms_p90.toFixed(0)} ms`.padEnd(
          29,
        );
      };
      // Winner: most oracle-feasible payments made; among those, the lowest fees over the cheapest (NaN: made none).
      const top = Math.max(...CONTENDERS.map((n) => made(n, of)));
      const leaders = CONTENDERS.filter((n) => made(n, of) === top);
      const fee = (n: Contender) => feeRatios(n, of).sum;
      const least = Math.min(...leaders.map((n) => (Number.isNaN(fee(n)) ? Infinity : fee(n))));
      const winners = least === Infinity ? leaders : leaders.filter((n) => fee(n) <= least * 1.01);
      const why = (n: Contender) => {
        const w = new Map<string, number>();
        for (const r of of) if (r.feasible && !r.outcome[n].ok) w.set(r.outcome[n].why ?? '?', (w.get(r.outcome[n].why ?? '?') ?? 0) + 1);
        return [...w].map(([k, v]) => `${k} ${v}`).join(', ');
      };
      const failed = why('local');
      line(
        `  ${`${sat.toLocaleString('en')} sat`.padStart(14)}  ${String(feasible).padStart(8)}  ${CONTENDERS.map(cell).join('  ')}  ${feasible === 0 ? '- (none feasible)' : winners.length > 1 ? `tie: ${winners.join(', ')}` : winners[0]}${failed ? `  (local failed: ${failed})` : ''}`,
      );
    }
    // Targets (printed, never asserted).
    const l = planners[`${worldName}.local`]!;
    const better = Math.max(made('single_path', rows), made('lnd_split', rows));
    const slow = SIZES_SAT.filter((s) => !(l.buckets[s]!.plan_ms_p90 <= 300));
    const targets = [
      `success ${pct(l.succeeded_feasible, feasibleRows.length)} of oracle-feasible vs the better baseline's ${pct(better, feasibleRows.length)} ${l.succeeded_feasible >= better ? 'met' : 'NOT met'}`,
      ...(worldName === 'uniform' ? [`≥ 97% ${l.succeeded_feasible >= 0.97 * feasibleRows.length ? 'met' : 'NOT met'}`] : []),
      `plan time per payment p90 ≤ 300 ms in every amount bucket ${slow.length === 0 ? 'met' : `NOT met (${slow.map((s) => `${s.toLocaleString('en')} sat`).join(', ')})`}`,
      `fees ${l.fee_ratio_sum.toFixed(3)}× the cheapest feasible flow in sum, ${l.fee_ratio_median.toFixed(3)}× in the median (≤ 1.15) ${l.fee_ratio_sum <= 1.15 && l.fee_ratio_median <= 1.15 ? 'met' : 'NOT met'}`,
    ];
    line(`  targets (local, ${worldName}): ${targets.join('; ')}`);
  }
  return { planners };
}
