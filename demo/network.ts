/**
 * The demo's network: simnet's demo topology (a Core Lightning `wallet` and `shop`, four
 * routing nodes) with an LND wallet and an LND shop beside them, reached only over LNC, so
 * the page can pair with either kind of node for either role.
 *
 * `wallet-lnd` is opened to the four routers like `wallet` (750,000 sat of 1,000,000 on each),
 * and each router is opened to `shop-lnd` like to `shop` (700,000 sat its way), so an espresso
 * machine (1,500,000 sat) must split into three or more parts whichever wallet pays whichever
 * shop. Each LND node announces its channels disabled in the direction that would carry a
 * payment through it (into the wallet, out of the shop): no payment between two other nodes is
 * routed over them, so the Core Lightning checkout finds the same routes as without them.
 */
import { DEMO_TOPOLOGY, type Topology, type TopologyChannel } from '@ampkit/simnet';

/** The LND nodes' aliases, by role. */
export const LND = { wallet: 'wallet-lnd', shop: 'shop-lnd' } as const;

const ROUTERS = ['alice', 'bob', 'carol', 'dave'];

/** A direction nobody may route through (BOLT 7 `channel_update` with the disable bit). */
const DISABLED = { active: false } as const;

function lndChannels(): TopologyChannel[] {
  return [
    ...ROUTERS.map((r) => ({ a: LND.wallet, b: r, capacity_sat: 1_000_000, balance_a_sat: 750_000, policy_b: DISABLED })),
    ...ROUTERS.map((r, i) => ({
      a: r,
      b: LND.shop,
      capacity_sat: 1_000_000,
      balance_a_sat: 700_000,
      policy_a: { fee_base_msat: 1000, fee_proportional_millionths: 100 + 50 * i, cltv_expiry_delta: 40 },
      policy_b: DISABLED,
    })),
  ];
}

/** simnet's demo topology (unchanged, its channels first) and the two LND nodes with their channels. */
export const DEMO_NETWORK: Topology = {
  nodes: [...DEMO_TOPOLOGY.nodes, { alias: LND.wallet }, { alias: LND.shop }],
  channels: [...DEMO_TOPOLOGY.channels, ...lndChannels()],
};

/**
 * What the checkout's LNC session on the LND shop may do, the analogue of the Core Lightning
 * checkout's rune: make plain invoices (`AddInvoice` only, by its URI permission: not
 * `invoices:write`, which would also allow hold invoices) and follow them; read the node's
 * info. No spending, no hold invoices (docs/design.md, "Trust").
 */
export const CHECKOUT_PERMISSIONS = ['info:read', 'invoices:read', 'uri:/lnrpc.Lightning/AddInvoice'];
