/**
 * askrene's layers, as Core Lightning v25.12 keeps and answers them
 * (test/fixtures/cln/askrene-*.json): `askrene-create-layer`, `askrene-remove-layer`,
 * `askrene-inform-channel` (constrained), `askrene-update-channel` (enabled),
 * `askrene-disable-node` and `askrene-listlayers`; `getroutes` plans around what the layers
 * it is given say ({@link AskreneLayers.limits}).
 */
import { RpcError } from '@ampkit/wire';
import type { FullNode } from './full-node.ts';
import { badParam, bool, msat, nodeId, oneOf, opt, parseParams, req, string, u16, u32, type ParamType } from './params.ts';
import type { Method } from './rpc-info.ts';

/** askrene's own layers, always there (plugins/askrene/askrene.c). */
export const BUILTIN_LAYERS = new Set(['auto.localchans', 'auto.sourcefree', 'auto.no_mpp_support']);

interface Constraint {
  short_channel_id_dir: string;
  timestamp: number;
  maximum_msat: number;
}

interface Layer {
  layer: string;
  persistent: boolean;
  disabled_nodes: string[];
  channel_updates: { short_channel_id_dir: string; enabled: boolean }[];
  constraints: Constraint[];
}

/** What getroutes leaves out and caps for a list of layers. */
export interface LayerLimits {
  /** `scid/direction` of disabled directions, and ids of disabled nodes. */
  exclude: Set<string>;
  /** Per `scid/direction`, the most it may carry (the least maximum of any constraint). */
  limits: Map<string, number>;
}

/** One node's askrene layers. */
export class AskreneLayers {
  readonly layers = new Map<string, Layer>();

  /** What `names` say together; undefined for the first name that is no layer (getroutes refuses it). */
  limits(names: string[]): LayerLimits | { unknown: string } {
    const exclude = new Set<string>();
    const limits = new Map<string, number>();
    for (const name of names) {
      if (BUILTIN_LAYERS.has(name)) continue;
      const layer = this.layers.get(name);
      if (!layer) return { unknown: name };
      for (const node of layer.disabled_nodes) exclude.add(node);
      for (const u of layer.channel_updates) if (!u.enabled) exclude.add(u.short_channel_id_dir);
      for (const c of layer.constraints)
        limits.set(c.short_channel_id_dir, Math.min(limits.get(c.short_channel_id_dir) ?? Infinity, c.maximum_msat));
    }
    return { exclude, limits };
  }
}

/** `NxNxN/N`, with askrene's message for anything else. */
const scidDir: ParamType<string> = (v) =>
  typeof v === 'string' && /^\d+x\d+x\d+\/[01]$/.test(v)
    ? { ok: true, value: v }
    : { ok: false, should: 'should be a short_channel_id_dir of form NxNxN/N' };

function existing(node: FullNode, method: string, name: string): Layer {
  const layer = node.askrene.layers.get(name);
  if (!layer) throw badParam(method, 'layer', 'Unknown layer', name);
  return layer;
}

/** A layer as askrene lists it, in its field order (simnet makes no channels and keeps no biases). */
const listed = (l: Layer) => ({
  layer: l.layer,
  persistent: l.persistent,
  disabled_nodes: l.disabled_nodes,
  created_channels: [],
  channel_updates: l.channel_updates,
  constraints: l.constraints,
  biases: [],
  node_biases: [],
});

export const askreneMethods: Record<string, Method> = {
  'askrene-create-layer'(node, params) {
    const p = parseParams('askrene-create-layer', params, [req('layer', string), opt('persistent', bool)]);
    if (node.askrene.layers.has(p.layer) || BUILTIN_LAYERS.has(p.layer))
      throw new RpcError('askrene-create-layer', -32602, 'Layer already exists');
    const layer: Layer = { layer: p.layer, persistent: p.persistent ?? false, disabled_nodes: [], channel_updates: [], constraints: [] };
    node.askrene.layers.set(p.layer, layer);
    return { layers: [listed(layer)] };
  },

  'askrene-remove-layer'(node, params) {
    const p = parseParams('askrene-remove-layer', params, [req('layer', string)]);
    existing(node, 'askrene-remove-layer', p.layer);
    node.askrene.layers.delete(p.layer);
    return {};
  },

  'askrene-inform-channel'(node, params) {
    const m = 'askrene-inform-channel';
    const p = parseParams(m, params, [
      req('layer', string),
      req('short_channel_id_dir', scidDir),
      req('amount_msat', msat),
      req('inform', oneOf('constrained', 'unconstrained', 'succeeded')),
    ]);
    const layer = existing(node, m, p.layer);
    if (p.inform !== 'constrained') throw new RpcError(m, -32602, `inform: ${p.inform} is not supported by simnet`);
    // A direction that could not carry amount_msat holds at most one msat less (askrene's layer.c).
    const constraint = {
      short_channel_id_dir: p.short_channel_id_dir,
      timestamp: node.network.seconds(),
      maximum_msat: Math.max(0, p.amount_msat - 1),
    };
    layer.constraints.push(constraint);
    return { constraints: [{ layer: p.layer, ...constraint }] };
  },

  'askrene-update-channel'(node, params) {
    const m = 'askrene-update-channel';
    const p = parseParams(m, params, [
      req('layer', string),
      req('short_channel_id_dir', scidDir),
      opt('enabled', bool),
      opt('htlc_minimum_msat', msat),
      opt('htlc_maximum_msat', msat),
      opt('fee_base_msat', msat),
      opt('fee_proportional_millionths', u32),
      opt('cltv_expiry_delta', u16),
    ]);
    const layer = existing(node, m, p.layer);
    const policy = ['htlc_minimum_msat', 'htlc_maximum_msat', 'fee_base_msat', 'fee_proportional_millionths', 'cltv_expiry_delta'] as const;
    const changed = policy.find((k) => p[k] !== undefined);
    if (changed) throw new RpcError(m, -32602, `${changed}: changing a channel's policy in a layer is not supported by simnet`);
    if (p.enabled !== undefined) {
      const update = layer.channel_updates.find((u) => u.short_channel_id_dir === p.short_channel_id_dir);
      if (update) update.enabled = p.enabled;
      else layer.channel_updates.push({ short_channel_id_dir: p.short_channel_id_dir, enabled: p.enabled });
    }
    return {};
  },

  'askrene-disable-node'(node, params) {
    const p = parseParams('askrene-disable-node', params, [req('layer', string), req('node', nodeId)]);
    const layer = existing(node, 'askrene-disable-node', p.layer);
    if (!layer.disabled_nodes.includes(p.node)) layer.disabled_nodes.push(p.node);
    return {};
  },

  'askrene-listlayers'(node, params) {
    const p = parseParams('askrene-listlayers', params, [opt('layer', string)]);
    const layers = p.layer === undefined ? [...node.askrene.layers.values()] : [existing(node, 'askrene-listlayers', p.layer)];
    return { layers: layers.map(listed) };
  },
};
