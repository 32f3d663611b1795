/**
 * The local payment planner (`planner: 'local'`): a channel graph from the node's
 * gossip, learned liquidity bounds, and a min-cost flow that plans a payment's parts;
 * `LocalPlanner`, which keeps them for an engine (`@ampkit/core/planner`).
 */
export {
  ChannelGraph,
  ChannelFlag,
  channelKey,
  forwardFee,
  type ListChannelsEntry,
  type OwnChannel,
  type RouteHintOptions,
} from './graph.ts';
export { Liquidity, successProbability, type LiquidityOptions, type SerializedLiquidity } from './liquidity.ts';
export { learn, settle, type LearnOptions, type PartOutcome } from './learn.ts';
export {
  planPayment,
  DEFAULT_MAX_ARCS,
  DEFAULT_MIN_PART_PROBABILITY,
  DEFAULT_MU,
  type NoPlan,
  type NoPlanReason,
  type Plan,
  type PlannedRoute,
  type PlanRequest,
} from './plan.ts';
export { hopsOf, indexesOf, heldBy } from './routes.ts';
export { createFlowNetwork, decomposeFlow, minCostFlow, type FlowNetwork, type FlowPath, type FlowResult } from './flow.ts';
export { LocalPlanner, type LocalPlannerOptions, type PlannerCache } from './local.ts';
