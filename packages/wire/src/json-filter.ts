/**
 * Core Lightning's JSON-RPC `filter` (lightningd-rpc(7), "Field filtering"): a request may
 * name the fields of the result it wants. An object keeps only the members it names, each
 * filtered by its value (`true`: the member whole); an array's one element filters every
 * member of an array. A member the filter names but the result lacks is simply absent.
 */
export function applyFilter(value: unknown, filter: unknown): unknown {
  if (filter === true || filter === undefined) return value;
  if (Array.isArray(filter)) return Array.isArray(value) ? value.map((v) => applyFilter(v, filter[0])) : value;
  if (filter === null || typeof filter !== 'object' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(filter)) {
    if (Object.prototype.hasOwnProperty.call(value, key)) out[key] = applyFilter((value as Record<string, unknown>)[key], sub);
  }
  return out;
}
