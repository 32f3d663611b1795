/**
 * auditRune is default deny (docs/design.md, "Trust"): a rune is read-only or invoice-only
 * only if every method it can reach is on an allow-list; unknown methods, open method
 * conditions and conditions that become true later (time>) all count against it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { INVOICE_METHODS, KNOWN_METHODS, READ_ONLY_METHODS, SPENDING_METHODS, auditRune } from '../../packages/wire/src/rune-audit.ts';
import { createRune } from '../../packages/wire/src/runes.ts';
import { INVOICE_RESTRICTIONS, READONLY_RESTRICTIONS } from '../../packages/simnet/src/full-node.ts';
import { INVOICE_RUNE_RESTRICTIONS, READONLY_RUNE_RESTRICTIONS } from '../real-cln/network.ts';

const masterSecret = new Uint8Array(32).fill(0x42);
const rune = (...restrictions: string[]) => createRune({ masterSecret, uniqueId: 1, restrictions });
const only = (...methods: string[]) => rune(methods.map((m) => `method=${m}`).join('|'));

const help = JSON.parse(readFileSync(new URL('../fixtures/cln/help-commands.json', import.meta.url), 'utf8')) as {
  version: string;
  help: { command: string }[];
  developer_only: { command: string }[];
};
/** Core Lightning v25.12.1's methods, as its `help` names them (developer ones too). */
const CLN_METHODS = [...help.help, ...help.developer_only].map((c) => c.command.split(' ')[0]!);
/** Allow-listed methods from plugins that do not ship with Core Lightning. */
const PLUGIN_METHODS = ['summary', 'holdinvoice', 'listholdinvoices', 'settleholdinvoice', 'cancelholdinvoice'];
const ALLOWED = new Set<string>([...READ_ONLY_METHODS, ...INVOICE_METHODS]);

/** Methods that move funds or hand out the power to, whatever a future allow-list says. */
const SPENDERS = [
  'pay',
  'xpay',
  'xpay-as-pay',
  'renepay',
  'renesendpay',
  'sendpay',
  'sendonion',
  'injectpaymentonion',
  'keysend',
  'withdraw',
  'multiwithdraw',
  'txsend',
  'sendpsbt',
  'signpsbt',
  'fundchannel',
  'fundchannel_start',
  'fundchannel_complete',
  'multifundchannel',
  'openchannel_init',
  'openchannel_signed',
  'splice_init',
  'splice_signed',
  'close',
  'createrune',
  'exposesecret',
  'invoicerequest',
  'plugin',
  'reckless',
];
/** Not spenders, but not harmless either: they change the node, sign, or show secrets. */
const NOT_HARMLESS = [
  'stop',
  'disconnect',
  'connect',
  'setchannel',
  'setconfig',
  'datastore',
  'deldatastore',
  'blacklistrune',
  'destroyrune',
  'signmessage',
  'signinvoice',
  'createinvoice',
  'showrunes',
  'listconfigs',
  'listdatastore',
  'makesecret',
  'commando',
  'getemergencyrecoverdata',
  'staticbackup',
  'check',
  'txprepare',
  'reserveinputs',
  'sendinvoice',
  'fetchinvoice',
  'dev-forget-channel',
  'dev-sign-last-tx',
  'sendrawtransaction',
  'newaddr',
  'delpay',
  'askrene-create-layer',
];

/** The spending list ampkit had before default deny. */
const OLD_SPENDING = [
  'pay',
  'xpay',
  'renepay',
  'sendpay',
  'sendonion',
  'injectpaymentonion',
  'keysend',
  'withdraw',
  'txsend',
  'sendpsbt',
  'fundpsbt',
  'utxopsbt',
  'fundchannel',
  'fundchannel_start',
  'multifundchannel',
  'openchannel_init',
  'close',
  'splice_init',
  'spliceout',
  'sendinvoice',
  'createrune',
  'commando',
];

describe('every Core Lightning v25.12.1 method is classified', () => {
  test(`the fixture is ${help.version}'s help, and ampkit knows every method in it`, () => {
    assert.equal(help.version, 'v25.12.1');
    assert.ok(CLN_METHODS.length > 150, `${CLN_METHODS.length} methods`);
    for (const m of ['pay', 'xpay', 'multiwithdraw', 'signpsbt', 'invoice', 'getinfo', 'dev-rawrequest'])
      assert.ok(CLN_METHODS.includes(m), m);
    const known = new Set(KNOWN_METHODS);
    assert.deepEqual(
      CLN_METHODS.filter((m) => !known.has(m)),
      [],
    );
    assert.equal(known.size, KNOWN_METHODS.length, 'no method listed twice');
  });

  test('every allow-listed method exists (in Core Lightning or a named plugin), and the lists are disjoint', () => {
    for (const m of ALLOWED) assert.ok(CLN_METHODS.includes(m) || PLUGIN_METHODS.includes(m), `${m} is not a method anyone has`);
    for (const m of READ_ONLY_METHODS) assert.ok(!(INVOICE_METHODS as readonly string[]).includes(m), m);
    for (const m of SPENDING_METHODS) assert.ok(!ALLOWED.has(m), `${m} spends and is allow-listed`);
  });

  test('a rune allowing one method is safe exactly when that method is allow-listed', () => {
    for (const m of [...CLN_METHODS, ...PLUGIN_METHODS]) {
      const audit = auditRune(only(m));
      assert.deepEqual(audit.methods, [m], m);
      assert.equal(audit.canSpend, !ALLOWED.has(m), m);
      assert.equal(audit.readOnly, (READ_ONLY_METHODS as readonly string[]).includes(m), m);
      assert.equal(audit.invoiceOnly, (INVOICE_METHODS as readonly string[]).includes(m), m);
      assert.equal(audit.canSpend, !(audit.readOnly || audit.invoiceOnly), m);
    }
  });

  test('the methods that spend are never allowed, and are named as spenders', () => {
    for (const m of SPENDERS) {
      assert.ok(!ALLOWED.has(m), m);
      const audit = auditRune(only(m));
      assert.equal(audit.canSpend, true, m);
      assert.deepEqual(audit.spendingMethods, [m], m);
      assert.match(audit.summary, /^Can spend/, m);
    }
  });

  test('methods that change the node, sign or show secrets are not harmless', () => {
    for (const m of NOT_HARMLESS) {
      assert.ok(CLN_METHODS.includes(m), `${m} is not a v25.12.1 method`);
      const audit = auditRune(only('getinfo', m));
      assert.equal(audit.canSpend, true, m);
      assert.equal(audit.readOnly || audit.invoiceOnly, false, m);
    }
  });
});

describe('default deny', () => {
  test('multiwithdraw and signpsbt spend', () => {
    for (const m of ['multiwithdraw', 'signpsbt']) {
      const audit = auditRune(rune(`method=${m}`, 'rate=1'));
      assert.equal(audit.canSpend, true, m);
      assert.deepEqual(audit.methods, [m]);
      assert.match(audit.summary, new RegExp(`^Can spend: this rune allows ${m}`));
    }
  });

  test('a method nobody has heard of may spend', () => {
    const audit = auditRune(only('getinfo', 'frobnicate-the-wallet'));
    assert.equal(audit.canSpend, true);
    assert.equal(audit.readOnly, false);
    assert.equal(audit.unknownMethods, true);
    assert.deepEqual(audit.methods, ['getinfo', 'frobnicate-the-wallet']);
    assert.deepEqual(audit.spendingMethods, []);
    assert.match(audit.summary, /^Not known to be safe: this rune can call frobnicate-the-wallet, which ampkit cannot vouch for/);
  });

  test('a rune that excludes every method ampkit used to call spending can still spend', () => {
    const audit = auditRune(rune(...OLD_SPENDING.map((m) => `method/${m}`)));
    assert.equal(audit.canSpend, true);
    assert.equal(audit.unknownMethods, true);
    assert.equal(audit.anyMethod, true);
    for (const m of ['multiwithdraw', 'signpsbt', 'xpay-as-pay', 'invoicerequest']) assert.ok(audit.spendingMethods.includes(m), m);
    for (const m of OLD_SPENDING) assert.ok(!audit.methods.includes(m), m);
    assert.match(audit.summary, /^Can spend: this rune allows any method except where restricted/);
  });

  test('excluding every known spender still leaves unknown methods open', () => {
    const audit = auditRune(rune(...SPENDING_METHODS.map((m) => `method/${m}`)));
    assert.deepEqual(audit.spendingMethods, []);
    assert.equal(audit.canSpend, true);
    assert.match(audit.summary, /^Not known to be safe: .*any method a plugin or a later Core Lightning adds/);
  });

  test('an explicit list of read-only methods is read-only; one of invoice methods is invoice-only', () => {
    const ro = auditRune(only('getinfo', 'listfunds', 'listpeerchannels', 'decode'));
    assert.deepEqual([ro.readOnly, ro.invoiceOnly, ro.canSpend, ro.unknownMethods], [true, false, false, false]);
    assert.match(ro.summary, /^Read-only: can call getinfo, listpeerchannels, listfunds, decode;/);
    const inv = auditRune(only('invoice', 'delinvoice', 'listinvoices', 'waitinvoice'));
    assert.deepEqual([inv.readOnly, inv.invoiceOnly, inv.canSpend], [false, true, false]);
    assert.match(inv.summary, /^Invoice-only:/);
  });
});

describe('method conditions other than =', () => {
  test("method^list (Core Lightning's read-only recipe) reaches listconfigs and any future list…", () => {
    const audit = auditRune(rune('method^list|method^get|method=summary', 'method/listdatastore'));
    assert.equal(audit.canSpend, true);
    assert.equal(audit.readOnly, false);
    assert.equal(audit.unknownMethods, true);
    assert.equal(audit.anyMethod, false);
    assert.deepEqual(audit.spendingMethods, []);
    assert.ok(audit.methods.includes('listconfigs') && audit.methods.includes('getinfo') && !audit.methods.includes('listdatastore'));
    assert.match(audit.summary, /^Not known to be safe: this rune can call getemergencyrecoverdata, listconfigs and any method a plugin/);
  });

  test('a prefix matching only harmless known methods is still open', () => {
    const audit = auditRune(rune('method^waitinv'));
    assert.deepEqual(audit.methods, ['waitinvoice']);
    assert.equal(audit.canSpend, true);
    assert.equal(audit.unknownMethods, true);
  });

  test('$, ~, { and } are open too; ~pay reaches the payers', () => {
    for (const r of ['method$invoice', 'method~list', 'method{b', 'method}w', 'method/pay'])
      assert.equal(auditRune(rune(r)).canSpend, true, r);
    const pay = auditRune(rune('method~pay'));
    for (const m of ['pay', 'xpay', 'renepay', 'sendpay', 'xpay-as-pay']) assert.ok(pay.spendingMethods.includes(m), m);
  });

  test('a comment alternative always holds, so it opens its restriction', () => {
    assert.equal(auditRune(rune('method=getinfo|method#just reading')).canSpend, true);
    assert.equal(auditRune(rune('method=getinfo', 'method#just reading')).readOnly, true);
  });

  test('method!, method<N and method>N never hold: they add nothing', () => {
    const audit = auditRune(rune('method=getinfo|method!|method<5|method>5'));
    assert.equal(audit.readOnly, true);
    assert.deepEqual(audit.methods, ['getinfo']);
    assert.match(auditRune(rune('method!|method<5')).summary, /^Useless/);
  });

  test('a pinned list is narrowed by the other restrictions', () => {
    const audit = auditRune(rune('method=pay|method=getinfo|method=invoice', 'method/pay', 'method^get|method^inv'));
    assert.deepEqual(audit.methods, ['getinfo', 'invoice']);
    assert.equal(audit.invoiceOnly, true);
  });
});

describe('conditions that may hold later, or for some call', () => {
  const now = Math.floor(Date.now() / 1000);

  test('time> in the future: a spender not yet valid is still a spender', () => {
    const later = now + 86_400;
    const audit = auditRune(rune('method=pay|method=xpay', `time>${later}`));
    assert.equal(audit.canSpend, true);
    assert.deepEqual(audit.methods, ['pay', 'xpay']);
    assert.doesNotMatch(audit.summary, /Useless/);
    assert.match(audit.summary, /^Can spend: this rune allows pay, xpay/);
    assert.equal(audit.notBefore?.getTime(), (later + 1) * 1000);
    assert.match(audit.summary, /Not valid before /);
    const bare = auditRune(rune(`time>${later}`));
    assert.equal(bare.canSpend, true);
    assert.equal(bare.anyMethod, true);
  });

  test('time< that has passed is final; one still ahead is an expiry', () => {
    assert.match(auditRune(rune('method=pay', `time<${now - 60}`)).summary, /^Useless/);
    const audit = auditRune(rune('method=pay', `time<${now + 3600}`));
    assert.equal(audit.canSpend, true);
    assert.equal(audit.expiresAt?.getTime(), (now + 3600) * 1000);
    assert.equal(auditRune(rune(`time<${now - 60}|method=pay`)).canSpend, true, 'an expired alternative beside a live one');
  });

  test('rate, per, id, pnum and params are assumed satisfiable', () => {
    const audit = auditRune(
      rune('method=pay', 'rate=1', 'per=1day', `id=02${'ab'.repeat(32)}`, 'pnum<2', 'pnameamount_msat<1000', 'parr0^lnbc'),
    );
    assert.equal(audit.canSpend, true);
    assert.equal(audit.rateLimit, 1);
    for (const other of ['pnamelabel=shop', 'rate=5', 'per=10sec', `id=02${'ab'.repeat(32)}`, 'pnum=0']) {
      const mixed = auditRune(rune(`method=getinfo|${other}`));
      assert.equal(mixed.canSpend, true, `${other} beside method=getinfo lets any method through when it holds`);
    }
  });
});

describe('the runes ampkit hands out', () => {
  test('the invoice-only rune (README, simnet, real-node harness) is invoice-only', () => {
    for (const restrictions of [INVOICE_RESTRICTIONS, INVOICE_RUNE_RESTRICTIONS.map((r) => r.join('|'))]) {
      const audit = auditRune(rune(...restrictions));
      assert.equal(audit.invoiceOnly, true);
      assert.equal(audit.canSpend, false);
      assert.deepEqual(audit.spendingMethods, []);
      assert.ok(audit.methods.includes('settleholdinvoice') && audit.methods.includes('listhtlcs'));
    }
  });

  test("simnet's read-only rune names its methods and is read-only", () => {
    const audit = auditRune(rune(...READONLY_RESTRICTIONS));
    assert.equal(audit.readOnly, true);
    assert.equal(audit.canSpend, false);
    assert.ok(audit.methods.includes('listsendpays') && !audit.methods.includes('listconfigs'));
  });

  test("the real-node harness's list*/get* rune (Core Lightning's recipe) is not provably read-only", () => {
    for (const restrictions of [READONLY_RUNE_RESTRICTIONS.map((r) => r.join('|'))]) {
      const audit = auditRune(rune(...restrictions));
      assert.equal(audit.readOnly, false);
      assert.equal(audit.canSpend, true);
      assert.deepEqual(audit.spendingMethods, []);
      assert.ok(audit.methods.includes('listconfigs'));
    }
  });
});
