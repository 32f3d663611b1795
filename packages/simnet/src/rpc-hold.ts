/**
 * The hold plugin's JSON-RPC methods (BoltzExchange/hold v0.3.3, `src/commands/*.rs`) on a
 * simulated node. Parameters are handled as `src/commands/structs.rs` does: an object by
 * name through serde (unknown keys ignored, serde's words for a missing or mistyped field),
 * an array by position (extra values ignored, "too few parameters", "could not parse
 * request"). Every error is JSON-RPC -32700 with the error's words and `data: null`, as
 * cln-plugin sends it. A node started without the plugin answers these methods as
 * lightningd answers any method no one registered: -32601 "Unknown command".
 */
import { RpcError, decodeBolt11 } from '@ampkit/wire';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FullNode } from './full-node.ts';
import { HoldPluginError, type HoldPlugin } from './hold-plugin.ts';
import type { Method } from './rpc-info.ts';

/** cln-plugin's code for every error a plugin method returns. */
const PLUGIN_ERROR = -32700;

type Kind = 'string' | 'u64' | 'u32';
type Value<K extends Kind> = K extends 'string' ? string : number;

/** How serde names a JSON value it did not expect. */
function unexpected(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return Array.isArray(v) ? 'sequence' : 'map';
}

/** serde's check of one field; `null` is absent for an optional field. */
function field<K extends Kind>(params: Record<string, unknown>, name: string, kind: K, required: boolean): Value<K> | undefined {
  const v = params[name];
  if (v === undefined || (v === null && !required)) {
    if (required) throw new HoldPluginError(`missing field \`${name}\``);
    return undefined;
  }
  const expected = kind === 'string' ? 'a string' : kind;
  if (kind === 'string') {
    if (typeof v !== 'string') throw new HoldPluginError(`invalid type: ${unexpected(v)}, expected ${expected}`);
    return v as Value<K>;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new HoldPluginError(`invalid type: ${unexpected(v)}, expected ${expected}`);
  if (v < 0 || (kind === 'u32' && v > 0xffffffff)) throw new HoldPluginError(`invalid value: ${unexpected(v)}, expected ${expected}`);
  return v as Value<K>;
}

/** `Value::as_u64`: a non-negative integer, else nothing. */
const asU64 = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const asStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseError(): never {
  throw new HoldPluginError('could not parse request');
}

/** Positional parameters: at least `min`, else "too few parameters". */
function positional(params: unknown[], min: number): unknown[] {
  if (params.length < min) throw new HoldPluginError('too few parameters');
  return params;
}

/** The params as an object (by name), or as an array (by position). */
function shape(params: unknown): { byName: Record<string, unknown> } | { byPosition: unknown[] } {
  if (Array.isArray(params)) return { byPosition: params };
  return { byName: params !== null && typeof params === 'object' ? (params as Record<string, unknown>) : {} };
}

/** The `hex` crate's decoding, with its words. */
function hexBytes(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length % 2 !== 0) throw new HoldPluginError('Odd number of digits');
  const out = new Uint8Array(bytes.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const c = String.fromCharCode(bytes[i]!);
    if (!/[0-9a-fA-F]/.test(c)) throw new HoldPluginError(`Invalid character '${c}' at position ${i}`);
    out[i >> 1] = (out[i >> 1]! << 4) | parseInt(c, 16);
  }
  return out;
}

/** A hold method: the plugin must be loaded, and its errors travel as -32700. */
function method(
  name: string,
  run: (plugin: HoldPlugin, params: { byName: Record<string, unknown> } | { byPosition: unknown[] }) => unknown,
): Method {
  return (node: FullNode, params: unknown) => {
    if (!node.hold) throw new RpcError(name, -32601, `Unknown command '${name}'`);
    try {
      return run(node.hold, shape(params));
    } catch (error) {
      if (error instanceof HoldPluginError) throw new RpcError(name, PLUGIN_ERROR, error.message, null);
      throw error;
    }
  };
}

/** A BOLT 11 invoice's payment hash, with the decoder's words when it is none. */
function hashOf(invoice: string): string {
  try {
    return decodeBolt11(invoice).payment_hash;
  } catch (error) {
    throw new HoldPluginError((error as Error).message);
  }
}

export const holdMethods: Record<string, Method> = {
  holdinvoice: method('holdinvoice', (plugin, p) => {
    let payment_hash: string;
    let amount: number;
    if ('byName' in p) {
      payment_hash = field(p.byName, 'payment_hash', 'string', true)!;
      amount = field(p.byName, 'amount', 'u64', true)!;
    } else {
      const [hash, msat] = positional(p.byPosition, 2);
      payment_hash = asStr(hash) ?? parseError();
      amount = asU64(msat) ?? parseError();
    }
    return { bolt11: plugin.invoice(hexBytes(payment_hash), amount) };
  }),

  injectholdinvoice: method('injectholdinvoice', (plugin, p) => {
    let invoice: string;
    let min_cltv: number | undefined;
    if ('byName' in p) {
      invoice = field(p.byName, 'invoice', 'string', true)!;
      min_cltv = field(p.byName, 'min_cltv', 'u32', false);
    } else {
      const args = positional(p.byPosition, 1);
      invoice = asStr(args[0]) ?? parseError();
      // `as u32` in the plugin: the value wraps.
      if (args.length > 1) min_cltv = (asU64(args[1]) ?? parseError()) % 2 ** 32;
    }
    plugin.inject(invoice, min_cltv);
    return {};
  }),

  listholdinvoices: method('listholdinvoices', (plugin, p) => {
    // By name the filter is `invoice` (v0.3.0 on); `bolt11`, like any unknown key, is ignored.
    const payment_hash = 'byName' in p ? field(p.byName, 'payment_hash', 'string', false) : asStr(p.byPosition[0]);
    const invoice = 'byName' in p ? field(p.byName, 'invoice', 'string', false) : asStr(p.byPosition[1]);
    if (payment_hash !== undefined && invoice !== undefined) throw new HoldPluginError('too many parameters');
    const hash = payment_hash !== undefined ? bytesToHex(hexBytes(payment_hash)) : invoice !== undefined ? hashOf(invoice) : undefined;
    return { holdinvoices: plugin.list(hash) };
  }),

  settleholdinvoice: method('settleholdinvoice', (plugin, p) => {
    const preimage = 'byName' in p ? field(p.byName, 'preimage', 'string', true)! : (asStr(positional(p.byPosition, 1)[0]) ?? parseError());
    plugin.settle(bytesToHex(hexBytes(preimage)));
    return {};
  }),

  cancelholdinvoice: method('cancelholdinvoice', (plugin, p) => {
    const payment_hash =
      'byName' in p ? field(p.byName, 'payment_hash', 'string', true)! : (asStr(positional(p.byPosition, 1)[0]) ?? parseError());
    plugin.cancel(bytesToHex(hexBytes(payment_hash)));
    return {};
  }),

  cleanholdinvoices: method('cleanholdinvoices', (plugin, p) => {
    let age: number | undefined;
    if ('byName' in p) age = field(p.byName, 'age', 'u64', false);
    else if (p.byPosition.length > 0) age = asU64(p.byPosition[0]) ?? parseError();
    return { cleaned: plugin.clean(age ?? 0) };
  }),
};
