/**
 * Rune probes: calls over commando with good, restricted, forged and malformed runes, and
 * the node's answer to each, in a form that does not depend on the node (its runes, ids and
 * unique ids are written as `{rune}`, `{alice}`, `{client}`). The answers of a real Core
 * Lightning node are kept in test/fixtures/cln/rune-errors.json (made by
 * test/real-cln/capture-rune-errors.ts); simnet must give the same (test/simnet/rune-errors.test.ts),
 * and the scenario list checks both networks against them (runes.ts).
 *
 * Every request is written by hand (not by the SDK's client), so a probe can leave out the
 * rune or the params, or send a rune that is not a string, exactly as a hostile caller would.
 */
import { base64url } from '@scure/base';
import {
  MessageType,
  Peer,
  commandoFrames,
  lightClientFeatures,
  openWebSocket,
  publicKeyOf,
  restrictRune,
  toHex,
  fromHex,
  type RuneRestriction,
} from '../../packages/wire/src/index.ts';
import { readCommandoPayload } from '../../packages/wire/src/commando.ts';
import { NodeWebSocket } from '../../packages/wire/src/node.ts';
import { ALIASES, type Alias, type ClnTarget } from './target.ts';

/** The probing client's key: fixed, so a rune may name it (`id=`) and a reply may mention it. */
export const PROBE_CLIENT_KEY = new Uint8Array(32).fill(0x07);
export const PROBE_CLIENT_ID = toHex(publicKeyOf(PROBE_CLIENT_KEY));

/** What a probe's rune is made from. */
export interface ProbeContext {
  target: ClnTarget;
  /** The probed node. */
  alias: Alias;
  /** A new rune made by the probed node's `createrune` (a unique id of its own, so no other call shares its rate). */
  createrune(restrictions: string[][]): Promise<string>;
}

/** The rune field of a request: a string, another JSON value, or no field at all. */
export type ProbeRune = string | { json: unknown } | undefined;

export interface RuneProbe {
  name: string;
  /** The node asked (alice by default). */
  alias?: Alias;
  rune(ctx: ProbeContext): ProbeRune | Promise<ProbeRune>;
  method: string;
  /** The request's params; `undefined` leaves the field out. */
  params?: unknown;
  /** Leave the request's `id` out. */
  noId?: boolean;
  /** The call is made this many times; the last answer is the one recorded (rate limits). */
  times?: number;
}

/** A node's answer, with its node-specific parts written as placeholders. */
export type ProbeAnswer = { ok: true } | { code: number; message: string };

/** 32 bytes of authcode (zeros: no node made it) and restriction text, as a rune string. */
const forged = (text: string): string => base64url.encode(new Uint8Array([...new Uint8Array(32), ...new TextEncoder().encode(text)]));
const own = (ctx: ProbeContext) => ctx.target.nodes[ctx.alias].rune;
const restricted = (ctx: ProbeContext, ...restrictions: Array<string | RuneRestriction>) => restrictRune(own(ctx), restrictions);
const unpadded = (rune: string) => rune.replace(/=+$/, '');

/** The readonly rune of the real-node harness (test/real-cln/network.ts), made alike on both networks. */
const READONLY = [['method^list', 'method^get', 'method=summary', 'method=decode'], ['method/listdatastore']];

export const RUNE_PROBES: RuneProbe[] = [
  // Before any check: the rune field itself.
  { name: 'no rune', rune: () => undefined, method: 'getinfo', params: {} },
  { name: 'empty rune', rune: () => '', method: 'getinfo', params: {} },
  { name: 'not base64', rune: () => 'abc!!', method: 'getinfo', params: {} },
  { name: 'base64 shorter than an authcode', rune: () => 'AAAA', method: 'getinfo', params: {} },
  { name: 'a rune that is a number', rune: () => ({ json: 12345 }), method: 'getinfo', params: {} },
  { name: 'a rune that is null', rune: () => ({ json: null }), method: 'getinfo', params: {} },
  {
    name: 'standard base64 (+ and /) is not base64url',
    rune: (ctx) => own(ctx).replace(/-/g, '+').replace(/_/g, '/').replace(/^(.)/, '+'),
    method: 'getinfo',
    params: {},
  },
  {
    name: 'a bad base64 length (one character past a whole quartet)',
    rune: (ctx) => {
      const text = unpadded(own(ctx));
      return text.slice(0, text.length - ((text.length - 1) % 4));
    },
    method: 'getinfo',
    params: {},
  },
  { name: "the node's rune without its = padding", rune: (ctx) => unpadded(own(ctx)), method: 'getinfo', params: {} },
  { name: "the node's rune with padding added", rune: (ctx) => unpadded(own(ctx)) + '====', method: 'getinfo', params: {} },
  {
    name: "the node's rune with the unused bits of its last character set",
    rune: (ctx) => {
      const text = unpadded(own(ctx));
      // Only a last character that carries unused bits (a length of 2 or 3 mod 4) can be bent.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const spare = text.length % 4 === 2 ? 15 : text.length % 4 === 3 ? 3 : 0;
      if (!spare) return text;
      const last = alphabet.indexOf(text[text.length - 1]!);
      return text.slice(0, -1) + alphabet[last | spare];
    },
    method: 'getinfo',
    params: {},
  },
  { name: "43 A's: base64 that decodes, no unique id", rune: () => 'A'.repeat(43), method: 'getinfo', params: {} },
  { name: 'restriction text with no condition', rune: () => forged('=0&method'), method: 'getinfo', params: {} },
  { name: 'restriction text ending in a backslash', rune: () => forged('=0&method=get\\'), method: 'getinfo', params: {} },
  { name: 'restriction text ending in |', rune: () => forged('=0&method=getinfo|'), method: 'getinfo', params: {} },
  {
    name: 'restriction bytes that are not UTF-8',
    rune: () => base64url.encode(new Uint8Array([...new Uint8Array(32), 0x3d, 0x31, 0x26, 0x6d, 0x3d, 0xff, 0xfe])),
    method: 'getinfo',
    params: {},
  },
  {
    name: 'restriction bytes that are not UTF-8, no unique id',
    rune: () => base64url.encode(new Uint8Array([...new Uint8Array(32), 0x6d, 0x3d, 0xff, 0xfe])),
    method: 'getinfo',
    params: {},
  },
  { name: 'a NUL in the restrictions', rune: () => forged('=0&method=get\u0000info'), method: 'getinfo', params: {} },
  { name: 'a unique id that is not the first restriction', rune: () => forged('method=getinfo&=1'), method: 'getinfo', params: {} },
  { name: 'a unique id with alternatives', rune: () => forged('=1|method=getinfo'), method: 'getinfo', params: {} },
  { name: 'a unique id that is not =', rune: () => forged('/1'), method: 'getinfo', params: {} },
  // checkrune's param_rune: the unique id must be a number.
  { name: 'no unique id', rune: () => forged('method=getinfo'), method: 'getinfo', params: {} },
  { name: 'no restrictions at all', rune: () => forged(''), method: 'getinfo', params: {} },
  { name: 'a unique id that is not a number', rune: () => forged('=abc'), method: 'getinfo', params: {} },
  { name: 'a negative unique id', rune: () => forged('=-1'), method: 'getinfo', params: {} },
  // Derivation.
  { name: 'a hexadecimal unique id, not derived', rune: () => forged('=0x1'), method: 'getinfo', params: {} },
  { name: 'an empty unique id, not derived', rune: () => forged('='), method: 'getinfo', params: {} },
  { name: 'a versioned unique id', rune: () => forged('=0-v2'), method: 'getinfo', params: {} },
  {
    name: "another node's rune",
    rune: (ctx) => ctx.target.nodes[ctx.alias === 'bob' ? 'carol' : 'bob'].rune,
    method: 'getinfo',
    params: {},
  },
  {
    name: 'a rune whose added restriction was cut off (authcode kept)',
    rune: (ctx) => {
      const child = base64url.decode(restricted(ctx, 'method=getinfo'));
      const base = base64url.decode(own(ctx));
      // The child's authcode over the parent's restriction text.
      return base64url.encode(new Uint8Array([...child.subarray(0, 32), ...base.subarray(32)]));
    },
    method: 'getinfo',
    params: {},
  },
  // Restrictions.
  {
    name: 'invoice-only rune calling listsendpays',
    rune: (ctx) => ctx.target.nodes[ctx.alias].invoice_rune,
    method: 'listsendpays',
    params: {},
  },
  { name: 'invoice-only rune calling getinfo', rune: (ctx) => ctx.target.nodes[ctx.alias].invoice_rune, method: 'getinfo', params: {} },
  {
    name: 'invoice-only rune calling sendpay',
    rune: (ctx) => ctx.target.nodes[ctx.alias].invoice_rune,
    method: 'sendpay',
    params: { route: [], payment_hash: '00'.repeat(32) },
  },
  {
    name: 'read-only rune calling wait',
    rune: (ctx) => ctx.createrune(READONLY),
    method: 'wait',
    params: { subsystem: 'htlcs', indexname: 'created', nextvalue: 0 },
  },
  { name: 'read-only rune calling listdatastore', rune: (ctx) => ctx.createrune(READONLY), method: 'listdatastore', params: {} },
  { name: 'unknown method with the full rune', rune: own, method: 'frobnicate', params: {} },
  {
    name: 'unknown method with a rune that does not allow it',
    rune: (ctx) => ctx.target.nodes[ctx.alias].invoice_rune,
    method: 'frobnicate',
    params: {},
  },
  { name: 'id= another peer', rune: (ctx) => restricted(ctx, `id=${ctx.target.nodes.carol.id}`), method: 'getinfo', params: {} },
  { name: 'id= this client', rune: (ctx) => restricted(ctx, `id=${PROBE_CLIENT_ID}`), method: 'getinfo', params: {} },
  {
    name: 'id^ a prefix this client does not have',
    rune: (ctx) => restricted(ctx, `id^${PROBE_CLIENT_ID.startsWith('02') ? '03' : '02'}ff`),
    method: 'getinfo',
    params: {},
  },
  { name: 'time< in the past', rune: (ctx) => restricted(ctx, 'time<1000000000'), method: 'getinfo', params: {} },
  { name: 'time> in the future', rune: (ctx) => restricted(ctx, 'time>9999999999'), method: 'getinfo', params: {} },
  { name: 'time< not a number', rune: (ctx) => restricted(ctx, 'time<soon'), method: 'getinfo', params: {} },
  { name: 'time< in the future passes', rune: (ctx) => restricted(ctx, 'time<9999999999'), method: 'getinfo', params: {} },
  {
    name: 'pname< an integer param over the limit',
    rune: (ctx) => restricted(ctx, 'pnameamount_msat<1000'),
    method: 'listinvoices',
    params: { amount_msat: 5000 },
  },
  {
    name: 'pname< without punctuation matches amount_msat',
    rune: (ctx) => restricted(ctx, 'pnameamountmsat<1000'),
    method: 'listinvoices',
    params: { amount_msat: 5000 },
  },
  {
    name: 'pname< a string param that reads as a number',
    rune: (ctx) => restricted(ctx, 'pnamelabel<1000'),
    method: 'listinvoices',
    params: { label: '123' },
  },
  { name: 'pname= a param that is absent', rune: (ctx) => restricted(ctx, 'pnamelabel=x'), method: 'listinvoices', params: {} },
  {
    name: 'pname= a param that is an object',
    rune: (ctx) => restricted(ctx, 'pnamelabel=x'),
    method: 'listinvoices',
    params: { label: { a: 1, b: [true, null] } },
  },
  {
    name: 'pname= a string with a quote and a backslash',
    rune: (ctx) => restricted(ctx, 'pnamelabel=x'),
    method: 'listinvoices',
    params: { label: 'a"b\\c' },
  },
  {
    name: 'pname= a string is compared as its JSON text (escapes kept)',
    rune: (ctx) => restricted(ctx, [{ fieldname: 'pnamelabel', condition: '=', value: 'a\\"b' }]),
    method: 'listinvoices',
    params: { label: 'a"b' },
  },
  {
    name: 'pname= a string is not compared as its decoded text',
    rune: (ctx) => restricted(ctx, [{ fieldname: 'pnamelabel', condition: '=', value: 'a"b' }]),
    method: 'listinvoices',
    params: { label: 'a"b' },
  },
  {
    name: 'pname= an integer compared as text',
    rune: (ctx) => restricted(ctx, 'pnamestart=5000'),
    method: 'listinvoices',
    params: { index: 'created', start: 5000 },
  },
  { name: 'pname< a boolean', rune: (ctx) => restricted(ctx, 'pnamelabel<5'), method: 'listinvoices', params: { label: true } },
  { name: 'pname! a param that is present', rune: (ctx) => restricted(ctx, 'pnamelabel!'), method: 'listinvoices', params: { label: 'x' } },
  { name: 'parr0= with array params', rune: (ctx) => restricted(ctx, 'parr0=x'), method: 'listinvoices', params: ['y'] },
  { name: 'parr0= with object params', rune: (ctx) => restricted(ctx, 'parr0=x'), method: 'listinvoices', params: { label: 'x' } },
  { name: 'pnum< too many params', rune: (ctx) => restricted(ctx, 'pnum<1'), method: 'listinvoices', params: { label: 'x' } },
  { name: 'pnum with no params field', rune: (ctx) => restricted(ctx, 'pnum=0'), method: 'getinfo' },
  {
    name: 'the second restriction fails',
    rune: (ctx) => restricted(ctx, 'method^get|method^list', 'method/getinfo'),
    method: 'getinfo',
    params: {},
  },
  {
    name: 'every condition, none holding',
    rune: (ctx) => restricted(ctx, 'method/getinfo|method$x|method~zz|method{a|method}z|method<1|method>1|method!'),
    method: 'getinfo',
    params: {},
  },
  { name: 'a comment always holds', rune: (ctx) => restricted(ctx, 'method=x|note#anything'), method: 'getinfo', params: {} },
  {
    name: 'a restriction value with a quote and a backslash',
    rune: (ctx) => restricted(ctx, [{ fieldname: 'method', condition: '=', value: 'a"b\\c' }]),
    method: 'getinfo',
    params: {},
  },
  { name: 'rate=1 allows one call', rune: (ctx) => ctx.createrune([['rate=1']]), method: 'getinfo', params: {} },
  { name: 'rate=1, a second call at once', rune: (ctx) => ctx.createrune([['rate=1']]), method: 'getinfo', params: {}, times: 2 },
  { name: 'rate=0 is malformed', rune: (ctx) => ctx.createrune([['rate=0']]), method: 'getinfo', params: {} },
  { name: 'rate=x is malformed', rune: (ctx) => ctx.createrune([['rate=x']]), method: 'getinfo', params: {} },
  { name: 'rate with another operator', rune: (ctx) => ctx.createrune([['rate<5']]), method: 'getinfo', params: {} },
  { name: 'per=1min, a second call at once', rune: (ctx) => ctx.createrune([['per=1min']]), method: 'getinfo', params: {}, times: 2 },
  { name: 'per=1fortnight is malformed', rune: (ctx) => ctx.createrune([['per=1fortnight']]), method: 'getinfo', params: {} },
  { name: 'per=0 is malformed', rune: (ctx) => ctx.createrune([['per=0']]), method: 'getinfo', params: {} },
  { name: 'per with another operator', rune: (ctx) => ctx.createrune([['per<5']]), method: 'getinfo', params: {} },
  // The request's other fields, checked before the rune.
  { name: 'no params field, a good rune', rune: own, method: 'getinfo' },
  { name: 'params null', rune: own, method: 'getinfo', params: null },
  { name: 'no id field', rune: () => undefined, method: 'getinfo', params: {}, noId: true },
];

/** One commando connection written by hand: any JSON goes, each answer comes back parsed. */
class RawCommando {
  private readonly waiting = new Map<string, { chunks: Uint8Array[]; resolve(reply: unknown): void }>();
  private counter = 0;
  private constructor(private readonly peer: Peer) {}

  static async open(url: string, nodeId: string): Promise<RawCommando> {
    const socket = await openWebSocket(url, NodeWebSocket, 10_000);
    let raw!: RawCommando;
    await new Promise<void>((resolve, reject) => {
      const peer = new Peer(
        socket,
        { role: 'initiator', localPrivateKey: PROBE_CLIENT_KEY, remotePublicKey: fromHex(nodeId), features: lightClientFeatures() },
        {
          onReady: () => resolve(),
          onMessage: (type, payload) => raw.receive(type, payload),
          onClose: (error) => reject(error ?? new Error('closed before ready')),
        },
      );
      raw = new RawCommando(peer);
    });
    return raw;
  }

  private receive(type: number, payload: Uint8Array): void {
    if (type !== MessageType.COMMANDO_REPLY_CONTINUES && type !== MessageType.COMMANDO_REPLY_TERM) return;
    const frame = readCommandoPayload(payload);
    const entry = frame && this.waiting.get(frame.key);
    if (!frame || !entry) return;
    entry.chunks.push(frame.chunk.slice());
    if (type !== MessageType.COMMANDO_REPLY_TERM) return;
    this.waiting.delete(frame.key);
    entry.resolve(JSON.parse(Buffer.concat(entry.chunks).toString('utf8')));
  }

  call(body: Record<string, unknown>): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
    const id = new Uint8Array(8);
    new DataView(id.buffer).setUint32(4, ++this.counter);
    const [frame] = commandoFrames('request', id, new TextEncoder().encode(JSON.stringify(body)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(body).slice(0, 200)}`)), 20_000);
      this.waiting.set(`0:${this.counter}`, {
        chunks: [],
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as { result?: unknown; error?: { code: number; message: string } });
        },
      });
      this.peer.send(frame!);
    });
  }

  close(): void {
    this.peer.close();
  }
}

/** Writes the node-specific parts of a message as placeholders. */
function generalize(target: ClnTarget, text: string, rune: ProbeRune): string {
  let out = text;
  if (typeof rune === 'string' && rune.length > 0) out = out.split(rune).join('{rune}');
  for (const alias of ALIASES) out = out.split(target.nodes[alias].id).join(`{${alias}}`);
  return out.split(PROBE_CLIENT_ID).join('{client}');
}

/**
 * Runs the probes against one network and gives each probe's answer by name. One connection
 * per node, with the fixed {@link PROBE_CLIENT_KEY}.
 */
export async function runRuneProbes(target: ClnTarget, probes: RuneProbe[] = RUNE_PROBES): Promise<Record<string, ProbeAnswer>> {
  const links = new Map<Alias, RawCommando>();
  const link = async (alias: Alias) => {
    let raw = links.get(alias);
    if (!raw) links.set(alias, (raw = await RawCommando.open(target.nodes[alias].ws_url, target.nodes[alias].id)));
    return raw;
  };
  const answers: Record<string, ProbeAnswer> = {};
  try {
    for (const probe of probes) {
      const alias = probe.alias ?? 'alice';
      const raw = await link(alias);
      const ctx: ProbeContext = {
        target,
        alias,
        async createrune(restrictions) {
          const reply = await raw.call({
            id: 'probe-createrune',
            method: 'createrune',
            params: { restrictions },
            rune: target.nodes[alias].rune,
          });
          if (!reply.result) throw new Error(`createrune ${JSON.stringify(restrictions)}: ${JSON.stringify(reply.error)}`);
          return (reply.result as { rune: string }).rune;
        },
      };
      const rune = await probe.rune(ctx);
      const body: Record<string, unknown> = { method: probe.method };
      if (!probe.noId) body.id = `probe-${probe.name}`;
      if ('params' in probe) body.params = probe.params;
      if (rune !== undefined) body.rune = typeof rune === 'string' ? rune : rune.json;
      let reply: Awaited<ReturnType<RawCommando['call']>> = {};
      for (let i = 0; i < (probe.times ?? 1); i++) reply = await raw.call(body);
      answers[probe.name] = reply.error ? { code: reply.error.code, message: generalize(target, reply.error.message, rune) } : { ok: true };
    }
  } finally {
    for (const raw of links.values()) raw.close();
  }
  return answers;
}
