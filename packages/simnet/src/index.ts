/**
 * @ampkit/simnet: a simulated Lightning network whose nodes answer Core Lightning's RPC
 * over commando (BOLT 8 over WebSocket), for tests, benchmarks and the demo. Node only.
 */
export {
  startSimnet,
  METHODS,
  DEFAULT_GRAPH,
  type Simnet,
  type LncSessionOptions,
  type SimnetLndNodeInfo,
  type SimnetNodeInfo,
  type SimnetOptions,
} from './simnet.ts';
export { LndNode, LND_MPP_TIMEOUT_MS } from './lnd/lnd-node.ts';
export { LND_METHOD_PERMISSIONS } from './lnd/permissions.ts';
export { DEMO_TOPOLOGY, generateGraph, loadGraph, readListChannels, type Topology, type TopologyChannel } from './topology.ts';
export { Network, Channel, SimNode, FailCode, failCodeName, feeFor, type Faults, type Policy, type RouteHop } from './network.ts';
export { FullNode, INVOICE_RESTRICTIONS, READONLY_RESTRICTIONS } from './full-node.ts';
export { HoldPlugin, HOLD_EXPIRY, HOLD_MIN_FINAL_CLTV, type HoldState } from './hold-plugin.ts';
export { runControl } from './control.ts';
