/**
 * Core Lightning's parameter handling (lightningd/jsonrpc `param()`): keyword or positional
 * params, required and optional ones, and the -32602 messages it gives for each kind of bad
 * input ("<name>: should be a <type>: invalid token '<json>'").
 */
import { RpcError } from '@ampkit/wire';

export const PARAM_ERROR = -32602;

/** A parser for one parameter: returns the value, or a "should be ..." phrase. */
export type ParamType<T> = (value: unknown) => { ok: true; value: T } | { ok: false; should: string };

export interface ParamSpec<T = unknown, N extends string = string, R extends boolean = boolean> {
  name: N;
  type: ParamType<T>;
  required: R;
}

type Out<S extends readonly ParamSpec[]> = {
  [K in S[number] as K['name']]: K extends ParamSpec<infer T, string, infer R> ? (R extends true ? T : T | undefined) : never;
};

/** Parses `params` by `specs`, throwing Core Lightning's errors. */
export function parseParams<const S extends readonly ParamSpec[]>(method: string, params: unknown, specs: S): Out<S> {
  const out: Record<string, unknown> = {};
  const raw: Record<string, unknown> = {};
  if (Array.isArray(params)) {
    if (params.length > specs.length) {
      throw new RpcError(method, PARAM_ERROR, `too many parameters: got ${params.length}, expected ${specs.length}`);
    }
    params.forEach((value, i) => {
      if (value !== null) raw[specs[i]!.name] = value;
    });
  } else if (params && typeof params === 'object') {
    for (const [key, value] of Object.entries(params)) {
      if (!specs.some((s) => s.name === key)) {
        throw new RpcError(
          method,
          PARAM_ERROR,
          `unknown parameter: ${key}, this may be caused by a failure to autodetect key=value-style parameters. Please try using the -k flag and explicit key=value pairs of parameters.`,
        );
      }
      if (value !== null) raw[key] = value;
    }
  }
  for (const spec of specs) {
    if (!(spec.name in raw)) {
      if (spec.required) throw new RpcError(method, PARAM_ERROR, `missing required parameter: ${spec.name}`);
      continue;
    }
    const value = raw[spec.name];
    const parsed = spec.type(value);
    if (!parsed.ok) throw badParam(method, spec.name, parsed.should, value);
    out[spec.name] = parsed.value;
  }
  return out as Out<S>;
}

/** Core Lightning's message for a parameter of the wrong shape. */
export function badParam(method: string, name: string, should: string, value: unknown): RpcError {
  return new RpcError(method, PARAM_ERROR, `${name}: ${should}: invalid token '${JSON.stringify(value)}'`);
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const no = (should: string) => ({ ok: false as const, should });

export const req = <const N extends string, T>(name: N, type: ParamType<T>): ParamSpec<T, N, true> => ({ name, type, required: true });
export const opt = <const N extends string, T>(name: N, type: ParamType<T>): ParamSpec<T, N, false> => ({ name, type, required: false });

export const string: ParamType<string> = (v) => (typeof v === 'string' ? ok(v) : no('should be a string'));

export const sha256: ParamType<string> = (v) =>
  typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v) ? ok(v.toLowerCase()) : no('should be a 32 byte hex value');

export const secret: ParamType<string> = (v) =>
  typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v) ? ok(v.toLowerCase()) : no('should be a 32 byte hex value');

export const nodeId: ParamType<string> = (v) =>
  typeof v === 'string' && /^0[23][0-9a-fA-F]{64}$/.test(v) ? ok(v.toLowerCase()) : no('should be a node id');

export const scid: ParamType<string> = (v) =>
  typeof v === 'string' && /^\d+x\d+x\d+$/.test(v) ? ok(v) : no('should be a short_channel_id of form NxNxN');

function unsigned(bits: 16 | 32 | 64): ParamType<number> {
  const max = bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  return (v) => {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= max ? ok(n) : no(`should be an unsigned ${bits} bit integer`);
  };
}
export const u16 = unsigned(16);
export const u32 = unsigned(32);
export const u64 = unsigned(64);

export const number: ParamType<number> = (v) => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? ok(n) : no('should be a number');
};

export const bool: ParamType<boolean> = (v) =>
  typeof v === 'boolean' ? ok(v) : v === 'true' || v === 'false' ? ok(v === 'true') : no("should be 'true' or 'false'");

/** A millisatoshi amount: a safe non-negative integer, or a string like "1000msat" / "5sat". */
export const msat: ParamType<number> = (v) => {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const m = /^(\d+)(msat|sat|btc)?$/.exec(v);
    if (m) n = Number(m[1]) * (m[2] === 'sat' ? 1000 : m[2] === 'btc' ? 100_000_000_000 : 1);
  }
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? ok(n) : no('should be a millisatoshi amount');
};

/** An amount or "any" (invoice). */
export const msatOrAny: ParamType<number | 'any'> = (v) => (v === 'any' ? ok('any' as const) : msat(v));

export function oneOf<const T extends string>(...values: T[]): ParamType<T> {
  return (v) => (typeof v === 'string' && (values as string[]).includes(v) ? ok(v as T) : no(`should be one of ${values.join(', ')}`));
}

export function arrayOf<T>(item: ParamType<T>, should: string): ParamType<T[]> {
  return (v) => {
    if (!Array.isArray(v)) return no(should);
    const out: T[] = [];
    for (const x of v) {
      const r = item(x);
      if (!r.ok) return no(should);
      out.push(r.value);
    }
    return ok(out);
  };
}

/** An array of strings, or a single string (Core Lightning accepts both for restrictions). */
export const stringOrArray: ParamType<unknown> = (v) =>
  typeof v === 'string' || Array.isArray(v) ? ok(v) : no('should be an array or a string');
