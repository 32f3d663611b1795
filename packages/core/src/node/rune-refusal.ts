/**
 * A rune refusal in plain words. Over commando Core Lightning answers a call its rune does
 * not allow with 19537 "Invalid rune: Not permitted: method is not equal to invoice AND …"
 * (and 19536 for a rune missing or unreadable; test/fixtures/cln/rune-errors.json): true,
 * but it names neither the method refused nor what to do. The engine's `PERMISSION` error
 * says both, and keeps the node's code and words in `nodeCode` and `data`.
 */
import type { RpcError } from '@ampkit/wire';
import { engineError, type AmpkitError } from '../errors.ts';

/** Commando's code for a request it could not run (plugins/commando.c COMMANDO_ERROR_REMOTE). */
const COMMANDO_REMOTE = 19536;
/** Commando's code for a rune checkrune refused (COMMANDO_ERROR_REMOTE_AUTH). */
const COMMANDO_AUTH = 19537;

/** What the engine needs each node method for, to say why a rune must allow it. */
const NEEDED_FOR: Record<string, string> = {
  sendpay: 'to send payments',
  waitsendpay: 'to send payments',
  listsendpays: 'to send payments',
  getroutes: 'to plan payments on the node',
  getroute: 'to plan payments on the node',
  listchannels: 'to plan payments',
  listnodes: 'to plan payments',
  listpeerchannels: 'to plan payments',
  getinfo: "to read the node's name and network",
  invoice: 'to make invoices',
  listinvoices: 'to follow invoices',
  holdinvoice: 'to make hold invoices',
  listholdinvoices: 'to follow hold invoices',
  settleholdinvoice: 'to settle hold invoices',
  cancelholdinvoice: 'to cancel hold invoices',
  listhtlcs: 'to follow incoming payments',
  wait: 'to follow incoming payments',
};

const SEE = 'see README';

/** The plain sentence for one refusal of `method`, from the node's words after "Invalid rune: ". */
function sentence(method: string, code: number, text: string): string {
  const why = NEEDED_FOR[method] ? ` (needed ${NEEDED_FOR[method]})` : '';
  if (code === COMMANDO_REMOTE) {
    return text === 'Missing rune'
      ? `no rune was given, and the node needs one for ${method}${why}; make one with createrune, ${SEE}`
      : `the rune is not a rune the node can read (is it copied whole?), so it does not permit ${method}${why}; ${SEE}`;
  }
  const reason = text.replace(/^Invalid rune: /, '');
  if (reason.startsWith('Not permitted: ')) {
    const detail = reason.slice('Not permitted: '.length);
    if (detail === 'too soon')
      return `the rune's rate limit does not permit another ${method} yet${why}; try again later or make a rune with a higher rate, ${SEE}`;
    if (detail.startsWith('time '))
      return `the rune has expired (or is not valid yet), so it does not permit ${method}${why}; make a new rune, ${SEE}`;
    if (detail.startsWith('id '))
      return `the rune is tied to another client's node id, so it does not permit ${method} from this one${why}; ${SEE}`;
    if (detail.startsWith('parameter') || detail.startsWith('number of parameters'))
      return `the rune does not permit ${method} with these parameters (${detail})${why}; ${SEE}`;
    return `the rune does not permit ${method}${why}; make a rune that allows it, ${SEE}`;
  }
  if (reason === 'Not authorized: Blacklisted rune')
    return `the rune has been blacklisted on the node, so it does not permit ${method}${why}; make a new rune, ${SEE}`;
  if (reason.startsWith('Not authorized: ') || reason.includes('unique_id')) {
    return `the rune was not made by this node, so it does not permit ${method}${why}; make one on this node with createrune, ${SEE}`;
  }
  return `the node refused the rune for ${method}${why}: ${reason}; ${SEE}`;
}

/**
 * The engine's `PERMISSION` error for a node error that is a rune refusal, or undefined when
 * it is not one. `nodeCode` is the node's code; `data` is `{ method, message }`, the method
 * refused and the node's own text.
 *
 * @example
 * ```ts
 * // 19537 "Invalid rune: Not permitted: method is not equal to invoice AND …" from listsendpays:
 * runeRefusal(error)?.message; // "the rune does not permit listsendpays (needed to send payments); make a rune that allows it, see README"
 * ```
 */
export function runeRefusal(error: RpcError): AmpkitError | undefined {
  const refused =
    (error.code === COMMANDO_REMOTE && (error.message === 'Missing rune' || error.message === 'Invalid rune')) ||
    (error.code === COMMANDO_AUTH && error.message.startsWith('Invalid rune'));
  if (!refused) return undefined;
  return engineError('PERMISSION', sentence(error.method, error.code, error.message), {
    nodeCode: error.code,
    data: { method: error.method, message: error.message },
    cause: error,
  });
}
