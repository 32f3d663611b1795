/**
 * Core Lightning's node, channel and rune methods, answered in v25.12's shapes
 * (cln-fixtures/getinfo.json, listpeerchannels-held-in.json, listchannels.json,
 * getroute.json, getroutes.json, decode.json, createrune-restricted.json, showrunes.json).
 */
import { RpcError, auditRune, decodeBolt11, parseRune } from '@ampkit/wire';
import type { FullNode } from './full-node.ts';
import type { Channel, Policy, SimNode } from './network.ts';
import { arrayOf, badParam, msat, nodeId, number, opt, parseParams, req, scid, string, stringOrArray, u32 } from './params.ts';
import { findPath, planParts } from './routing.ts';

export type Method = (node: FullNode, params: unknown) => unknown;

/** Features a v25.12 node advertises (cln-fixtures/getinfo.json). */
export const OUR_FEATURES = { init: '0898880a8a59a1', node: '8898880a8a59a1', channel: '', invoice: '02000002024100' };

function htlcState(channel: Channel, side: 0 | 1, htlcFrom: 0 | 1): { direction: 'in' | 'out'; state: string } {
  return htlcFrom === side ? { direction: 'out', state: 'SENT_ADD_ACK_REVOCATION' } : { direction: 'in', state: 'RCVD_ADD_ACK_REVOCATION' };
}

function peerChannel(self: SimNode, channel: Channel): Record<string, unknown> {
  const side = channel.side(self);
  const other = (1 - side) as 0 | 1;
  const peer = channel.other(self);
  const local = channel.policy[side];
  const remote = channel.policy[other];
  const update = (p: Policy) => ({
    htlc_minimum_msat: p.htlc_minimum_msat,
    htlc_maximum_msat: p.htlc_maximum_msat,
    cltv_expiry_delta: p.cltv_expiry_delta,
    fee_base_msat: p.fee_base_msat,
    fee_proportional_millionths: p.fee_proportional_millionths,
  });
  // to_us counts our own offered HTLCs until they resolve, as a commitment does.
  const toUs = channel.balance[side] + channel.inFlight(side);
  const reserve = channel.reserve();
  const stats = channel.stats;
  const funding = channel.funder === side ? channel.capacity_msat : 0;
  const txid = channelId(channel);
  return {
    peer_id: peer.id,
    peer_connected: peer.online,
    reestablished: peer.online,
    channel_type: { bits: [12, 22], names: ['static_remotekey/even', 'anchors/even'] },
    ignore_fee_limits: true,
    updates: { local: update(local), remote: update(remote) },
    state: 'CHANNELD_NORMAL',
    scratch_txid: txid,
    last_tx_fee_msat: 1_735_000,
    lost_state: false,
    feerate: { perkw: 1250, perkb: 5000 },
    owner: 'channeld',
    short_channel_id: channel.scid,
    direction: side,
    channel_id: txid,
    funding_txid: txid,
    funding_outnum: 0,
    private: false,
    opener: channel.funder === side ? 'local' : 'remote',
    alias: { local: `${channel.scid}`, remote: `${channel.scid}` },
    features: ['option_static_remotekey', 'option_anchors'],
    funding: { local_funds_msat: funding, remote_funds_msat: channel.capacity_msat - funding, pushed_msat: 0, withheld: false },
    to_us_msat: toUs,
    min_to_us_msat: toUs,
    max_to_us_msat: toUs,
    total_msat: channel.capacity_msat,
    fee_base_msat: local.fee_base_msat,
    fee_proportional_millionths: local.fee_proportional_millionths,
    dust_limit_msat: 546_000,
    // Core Lightning prints u64::MAX here; JSON readers in JavaScript see this same number.
    their_max_htlc_value_in_flight_msat: 18446744073709551615,
    our_max_htlc_value_in_flight_msat: 18446744073709551615,
    their_reserve_msat: reserve,
    our_reserve_msat: reserve,
    spendable_msat: channel.spendable(side),
    receivable_msat: channel.spendable(other),
    minimum_htlc_in_msat: remote.htlc_minimum_msat,
    minimum_htlc_out_msat: local.htlc_minimum_msat,
    maximum_htlc_out_msat: local.htlc_maximum_msat,
    their_to_self_delay: 6,
    our_to_self_delay: 6,
    max_accepted_htlcs: 483,
    state_changes: [
      {
        timestamp: new Date(0).toISOString(),
        old_state: 'CHANNELD_AWAITING_LOCKIN',
        new_state: 'CHANNELD_NORMAL',
        cause: 'remote',
        message: 'Lockin complete',
      },
    ],
    status: [peer.online ? 'CHANNELD_NORMAL:Channel ready for use.' : 'CHANNELD_NORMAL:Peer disconnected'],
    in_payments_offered: stats[other]!.offered,
    in_offered_msat: stats[other]!.offered_msat,
    in_payments_fulfilled: stats[other]!.fulfilled,
    in_fulfilled_msat: stats[other]!.fulfilled_msat,
    out_payments_offered: stats[side]!.offered,
    out_offered_msat: stats[side]!.offered_msat,
    out_payments_fulfilled: stats[side]!.fulfilled,
    out_fulfilled_msat: stats[side]!.fulfilled_msat,
    htlcs: [...channel.htlcs].map((h) => ({
      direction: htlcState(channel, side, h.from).direction,
      id: h.id,
      amount_msat: h.amount_msat,
      expiry: h.expiry,
      payment_hash: h.payment_hash,
      state: htlcState(channel, side, h.from).state,
    })),
  };
}

function channelId(channel: Channel): string {
  let h = 0;
  for (const ch of channel.scid) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return (channel.scid.replace(/x/g, '') + h.toString(16)).padStart(64, '0').slice(-64);
}

/** One direction of a channel as listchannels shows it. */
export function channelDirection(channel: Channel, side: 0 | 1, lastUpdate: number): Record<string, unknown> {
  const p = channel.policy[side];
  return {
    source: channel.node[side].id,
    destination: channel.node[1 - side]!.id,
    short_channel_id: channel.scid,
    direction: side,
    public: true,
    amount_msat: channel.capacity_msat,
    message_flags: 1,
    channel_flags: side | (p.active ? 0 : 2),
    active: p.active,
    last_update: lastUpdate,
    base_fee_millisatoshi: p.fee_base_msat,
    fee_per_millionth: p.fee_proportional_millionths,
    delay: p.cltv_expiry_delta,
    htlc_minimum_msat: p.htlc_minimum_msat,
    htlc_maximum_msat: p.htlc_maximum_msat,
    features: '',
  };
}

function lookupNode(node: FullNode, method: string, id: string): SimNode {
  const target = node.network.nodes.get(id);
  if (!target) throw new RpcError(method, 205, 'Could not find a route');
  return target;
}

export const infoMethods: Record<string, Method> = {
  getinfo(node, params) {
    parseParams('getinfo', params, []);
    const active = node.node.channels.length;
    return {
      id: node.node.id,
      alias: node.node.alias,
      color: node.node.color,
      num_peers: new Set(node.node.channels.map((c) => c.other(node.node))).size,
      num_pending_channels: 0,
      num_active_channels: active,
      num_inactive_channels: 0,
      address: [],
      binding: [],
      version: 'v25.12.1-ampkit-simnet',
      blockheight: node.network.blockheight,
      network: 'regtest',
      fees_collected_msat: 0,
      'lightning-dir': '/simnet',
      our_features: OUR_FEATURES,
    };
  },

  listpeerchannels(node, params) {
    const p = parseParams('listpeerchannels', params, [opt('id', nodeId), opt('short_channel_id', scid)]);
    return {
      channels: node.node.channels
        .filter((c) => (!p.id || c.other(node.node).id === p.id) && (!p.short_channel_id || c.scid === p.short_channel_id))
        .map((c) => peerChannel(node.node, c)),
    };
  },

  listchannels(node, params) {
    const p = parseParams('listchannels', params, [opt('short_channel_id', scid), opt('source', nodeId), opt('destination', nodeId)]);
    const out: Record<string, unknown>[] = [];
    const lastUpdate = node.network.seconds();
    const channels = p.short_channel_id
      ? [node.network.channels.get(p.short_channel_id)].filter((c): c is Channel => !!c)
      : p.source
        ? (node.network.nodes.get(p.source)?.channels ?? [])
        : p.destination
          ? (node.network.nodes.get(p.destination)?.channels ?? [])
          : node.network.channels.values();
    for (const channel of channels) {
      for (const side of [0, 1] as const) {
        if (p.source && channel.node[side].id !== p.source) continue;
        if (p.destination && channel.node[1 - side]!.id !== p.destination) continue;
        out.push(channelDirection(channel, side, lastUpdate));
      }
    }
    return { channels: out };
  },

  listnodes(node, params) {
    const p = parseParams('listnodes', params, [opt('id', nodeId)]);
    const nodes = p.id ? [node.network.nodes.get(p.id)].filter((n): n is SimNode => !!n) : node.network.nodes.values();
    const last = node.network.seconds();
    return {
      nodes: [...nodes].map((n) => ({
        nodeid: n.id,
        alias: n.alias,
        color: n.color,
        last_timestamp: last,
        features: OUR_FEATURES.node,
        addresses: [],
      })),
    };
  },

  getroute(node, params) {
    const p = parseParams('getroute', params, [
      req('id', nodeId),
      req('amount_msat', msat),
      req('riskfactor', number),
      opt('cltv', u32),
      opt('fromid', nodeId),
      opt('fuzzpercent', number),
      opt('exclude', arrayOf(string, 'should be an array')),
      opt('maxhops', u32),
    ]);
    const source = p.fromid ? lookupNode(node, 'getroute', p.fromid) : node.node;
    const target = lookupNode(node, 'getroute', p.id);
    const path = findPath(node.network, source, target, p.amount_msat, p.cltv ?? 9, {
      riskfactor: p.riskfactor,
      ...(p.exclude ? { exclude: new Set(p.exclude) } : {}),
      ...(p.maxhops !== undefined ? { maxHops: p.maxhops } : {}),
    });
    if (!path) throw new RpcError('getroute', 205, 'Could not find a route');
    let from = source;
    return {
      route: path.map((h) => {
        const direction = h.channel.side(from);
        from = h.to;
        return { id: h.to.id, channel: h.channel.scid, direction, amount_msat: h.amount_msat, delay: h.delay, style: 'tlv' };
      }),
    };
  },

  getroutes(node, params) {
    const p = parseParams('getroutes', params, [
      req('source', nodeId),
      req('destination', nodeId),
      req('amount_msat', msat),
      req('layers', arrayOf(string, 'should be an array')),
      req('maxfee_msat', msat),
      opt('final_cltv', u32),
      opt('maxdelay', u32),
      opt('maxparts', u32),
    ]);
    const source = node.network.nodes.get(p.source);
    const target = node.network.nodes.get(p.destination);
    if (!source) throw new RpcError('getroutes', 205, `Unknown source node ${p.source}`);
    if (!target) throw new RpcError('getroutes', 205, `Unknown destination node ${p.destination}`);
    const layers = node.askrene.limits(p.layers);
    if ('unknown' in layers) throw badParam('getroutes', 'layers', 'unknown layer', layers.unknown);
    const finalCltv = p.final_cltv ?? 18;
    // An oracle over the real balances, within what the layers disable and constrain.
    const plan = planParts(node.network, source, target, p.amount_msat, finalCltv, layers, p.maxparts ?? 16);
    if (!plan) {
      // askrene explains a request past what the source's channels could ever carry (v25.12's words).
      const own = source.channels.filter((c) => c.policy[c.side(source)].active);
      const capacity = own.reduce((s, c) => s + c.capacity_msat, 0);
      const why = p.amount_msat > capacity ? `  Total source capacity is only ${capacity}msat (in ${own.length} channels).` : '';
      throw new RpcError('getroutes', 205, `We could not find a usable set of paths.${why}`);
    }
    const fee = plan.reduce((s, path) => s + path[0]!.amount_msat - path[path.length - 1]!.amount_msat, 0);
    if (fee > p.maxfee_msat)
      throw new RpcError('getroutes', 205, `Could not find routes under the fee budget: ${fee}msat > ${p.maxfee_msat}msat`);
    return {
      probability_ppm: 1_000_000,
      routes: plan.map((path) => {
        let from = source;
        return {
          probability_ppm: 1_000_000,
          amount_msat: path[path.length - 1]!.amount_msat,
          final_cltv: finalCltv,
          // Core Lightning gives what is sent *into* each hop (the hop's own node's fee and
          // delta included), not what arrives at its far end: hop i carries what arrives at
          // the node before it; out of the source, fee and delay are zero (auto.sourcefree).
          path: path.map((h, i) => {
            const dir = h.channel.side(from);
            from = h.to;
            const into = path[Math.max(0, i - 1)]!;
            return {
              short_channel_id_dir: `${h.channel.scid}/${dir}`,
              next_node_id: h.to.id,
              amount_msat: into.amount_msat,
              delay: into.delay,
            };
          }),
        };
      }),
    };
  },

  decode(_node, params) {
    const p = parseParams('decode', params, [req('string', string)]);
    try {
      const inv = decodeBolt11(p.string);
      return {
        type: 'bolt11 invoice',
        currency: inv.currency,
        created_at: inv.created_at,
        expiry: inv.expiry,
        payee: inv.payee,
        ...(inv.amount_msat !== undefined ? { amount_msat: inv.amount_msat } : {}),
        ...(inv.description !== undefined ? { description: inv.description } : {}),
        ...(inv.description_hash !== undefined ? { description_hash: inv.description_hash } : {}),
        min_final_cltv_expiry: inv.min_final_cltv_expiry,
        ...(inv.payment_secret ? { payment_secret: inv.payment_secret } : {}),
        ...(inv.features !== undefined ? { features: inv.features } : {}),
        ...(inv.payment_metadata ? { payment_metadata: inv.payment_metadata } : {}),
        ...(inv.fallbacks?.length ? { fallbacks: inv.fallbacks } : {}),
        ...(inv.routes?.length ? { routes: inv.routes } : {}),
        payment_hash: inv.payment_hash,
        signature: inv.signature,
        valid: true,
      };
    } catch (error) {
      // Core Lightning answers an undecodable string with valid: false and the reason.
      return { type: 'unknown', valid: false, warning_invalid_string: (error as Error).message };
    }
  },

  createrune(node, params) {
    const p = parseParams('createrune', params, [opt('rune', string), opt('restrictions', stringOrArray)]);
    if (p.rune) throw new RpcError('createrune', -32602, 'rune: restricting an existing rune is not supported by simnet');
    const list = p.restrictions === undefined ? [] : typeof p.restrictions === 'string' ? [p.restrictions] : (p.restrictions as unknown[]);
    const restrictions: string[] = [];
    for (const r of list) {
      if (typeof r === 'string') restrictions.push(r);
      else if (Array.isArray(r) && r.every((x) => typeof x === 'string')) restrictions.push(r.join('|'));
      else
        throw new RpcError(
          'createrune',
          -32602,
          `restrictions: should be an array of restrictions: invalid token '${JSON.stringify(p.restrictions)}'`,
        );
    }
    let rune: string;
    try {
      rune = node.makeRune(restrictions);
    } catch (error) {
      throw new RpcError('createrune', -32602, `restrictions: ${(error as Error).message}`);
    }
    return { rune, unique_id: String(node.runes.length - 1) };
  },

  showrunes(node, params) {
    const p = parseParams('showrunes', params, [opt('rune', string)]);
    let runes = node.runes;
    if (p.rune) {
      try {
        parseRune(p.rune);
      } catch {
        throw new RpcError('showrunes', -32602, `rune: should be a valid rune: invalid token '${JSON.stringify(p.rune)}'`);
      }
      runes = [p.rune];
    }
    return {
      runes: runes.map((rune) => {
        const audit = auditRune(rune);
        return {
          rune,
          unique_id: audit.uniqueId,
          restrictions: audit.restrictions.map((r) => ({
            alternatives: r.alternatives.map((a) => ({
              fieldname: a.fieldname,
              value: a.value,
              condition: a.condition,
              english: a.english,
            })),
            english: r.english,
          })),
          restrictions_as_english: audit.restrictionsAsEnglish,
        };
      }),
    };
  },
};
