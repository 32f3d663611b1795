/**
 * A simulated node that answers RPC: its key, its runes, its invoices and its sendpay
 * table, and the Core Lightning methods over them (see rpc-*.ts for the method tables).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createRune } from '@ampkit/wire';
import { HoldPlugin } from './hold-plugin.ts';
import { InvoiceBook } from './invoices.ts';
import type { Network, SimNode } from './network.ts';
import { SendpayBook } from './payments.ts';
import { AskreneLayers } from './rpc-askrene.ts';
import { derive, deriveKey } from './seed.ts';

/** The restrictions of the read-only rune: list*, get*, wait* and decode. */
export const READONLY_RESTRICTIONS = [
  [
    'getinfo',
    'listpeers',
    'listpeerchannels',
    'listchannels',
    'listnodes',
    'listfunds',
    'listinvoices',
    'listsendpays',
    'listpays',
    'listforwards',
    'listhtlcs',
    'listholdinvoices',
    'getroute',
    'getroutes',
    'decode',
    'wait',
    'waitinvoice',
    'waitanyinvoice',
    'waitsendpay',
  ]
    .map((m) => `method=${m}`)
    .join('|'),
];

/** The restrictions of the invoice-only rune a shop uses: make and follow invoices, never spend. */
export const INVOICE_RESTRICTIONS = [
  'method=invoice|method=listinvoices|method=holdinvoice|method=listholdinvoices|method=settleholdinvoice|method=cancelholdinvoice|method=listhtlcs|method=wait',
];

export interface FullNodeOptions {
  seed: number;
  alias: string;
  mppTimeout: number;
  currency: string;
  /** Run the hold plugin (BoltzExchange/hold); default true. */
  holdPlugin?: boolean;
}

export class FullNode {
  readonly privateKey: Uint8Array;
  readonly masterSecret: Uint8Array;
  readonly invoices: InvoiceBook;
  /** The hold plugin, when the node runs it: its methods are unknown commands otherwise. */
  readonly hold?: HoldPlugin;
  readonly sendpays: SendpayBook;
  /** askrene's layers on this node (none persist: simnet never restarts a node). */
  readonly askrene = new AskreneLayers();
  /** Runes made by createrune (and the two the network starts with), by unique id. */
  readonly runes: string[] = [];
  readonly rune: string;
  readonly readonlyRune: string;
  readonly invoiceRune: string;
  private preimageCounter = 0;
  private secretCounter = 0;
  readonly currency: string;

  constructor(
    readonly network: Network,
    readonly node: SimNode,
    readonly seed: number,
    mppTimeout: number,
    currency: string,
    holdPlugin = true,
  ) {
    this.privateKey = deriveKey(seed, node.alias);
    this.masterSecret = derive(seed, 'master', node.alias);
    this.invoices = new InvoiceBook(network, node, mppTimeout);
    if (holdPlugin) {
      const hold = new HoldPlugin(this, mppTimeout);
      this.hold = hold;
      // Its htlc_accepted hook sees every arriving HTLC before the node's own invoices do.
      this.invoices.hook = (attempt) => hold.htlcAccepted(attempt);
    }
    this.sendpays = new SendpayBook(network, node);
    this.currency = currency;
    this.rune = this.makeRune([]);
    this.readonlyRune = this.makeRune(READONLY_RESTRICTIONS);
    this.invoiceRune = this.makeRune(INVOICE_RESTRICTIONS);
  }

  static publicKeyOf(seed: number, alias: string): string {
    return bytesToHex(secp256k1.getPublicKey(deriveKey(seed, alias), true));
  }

  makeRune(restrictions: string[]): string {
    const rune = createRune({ masterSecret: this.masterSecret, uniqueId: this.runes.length, restrictions });
    this.runes.push(rune);
    return rune;
  }

  /** A fresh preimage, derived from the seed so one seed gives the same invoices. */
  nextPreimage(): string {
    return bytesToHex(derive(this.seed, 'preimage', this.node.alias, ++this.preimageCounter));
  }

  nextSecret(): string {
    return bytesToHex(derive(this.seed, 'secret', this.node.alias, ++this.secretCounter));
  }

  /** How many times each method was called (rune-permitted calls only): for tests. */
  readonly calls = new Map<string, number>();
  /** How many calls of each method the rune check refused (they never reached {@link calls}): for tests. */
  readonly refused = new Map<string, number>();
  /** Set by {@link stop}: long waits end. */
  stopped = false;

  stop(): void {
    this.stopped = true;
    this.node.htlcLog.stop();
    this.invoices.stop();
    this.hold?.stop();
    this.sendpays.stop();
  }
}
