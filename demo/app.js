// The demo's checkout: the shop's <ampkit-invoice> (on the shop node, with a rune or an LNC
// session that can only make and follow plain invoices) and the wallet's <ampkit-pay> (on
// the wallet node), side by side; the shop's invoice goes to the wallet as a scanned QR code
// would. Each is on Core Lightning (commando) or LND (LNC), as chosen (`?wallet=lnd`,
// `?shop=lnd`). The fault panel switches simnet's faults through the demo server.
import { createAmpkit } from '/dist/ampkit.js';
import '/dist/ampkit-elements.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
const node = (alias) => config.nodes.find((n) => n.alias === alias);

/** Which kind of node plays each role: the page's address says (`cln` unless `lnd`). */
const params = new URLSearchParams(location.search);
const choice = { wallet: params.get('wallet') === 'lnd' ? 'lnd' : 'cln', shop: params.get('shop') === 'lnd' ? 'lnd' : 'cln' };
for (const role of ['wallet', 'shop']) {
  document.querySelector(`input[name=${role}][value=${choice[role]}]`).checked = true;
  // Another node for a role is another page: its clients start afresh.
  $(`${role}-choice`).addEventListener('change', (event) => {
    params.set(role, event.target.value);
    location.search = params.toString();
  });
}

/** A new LNC session from the demo server, which plays Lightning Terminal: `{ pairingPhrase, mailbox }`. */
async function newSession(role) {
  const reply = await fetch('/lnc-session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  const body = await reply.json();
  if (!reply.ok) throw new Error(body.error);
  return body;
}

// The shop's client: its own engine (a worker) on the shop node, allowed plain invoices only:
// on Core Lightning a rune, on LND an LNC session whose macaroon may add plain invoices and
// read them. A checkout runs in the payer's browser, so it never makes hold invoices: their
// preimage would live in this page's journal (docs/design.md, "Trust").
const shop = choice.shop === 'lnd' ? lndShop() : clnShop();
shop.catch(() => undefined); // said at checkout
$('shop-node').innerHTML =
  choice.shop === 'lnd'
    ? `node <code>${config.lnd.shop}</code>, a session for plain invoices only`
    : `node <code>${config.checkout.alias}</code>, a rune for plain invoices only`;

function clnShop() {
  const shopNode = node(config.checkout.alias);
  return createAmpkit({ nodeId: shopNode.id, url: shopNode.ws_url, rune: config.checkout.rune });
}

/**
 * The LND shop: the keys this tab kept from an earlier pairing in this run of the demo, or,
 * when there are none or they do not connect, a new session. Its keys and journal live apart
 * from the wallet's, and each tab's apart (`database`): a database keeps one pairing, and a
 * session carries one link at a time, so a second tab with the same keys would wait for the
 * first's link in vain (the connection's 20 s timeout) before pairing anew.
 */
async function lndShop() {
  const tab = (sessionStorage.ampkitDemoTab ??= Math.random().toString(36).slice(2, 10));
  const database = `ampkit-demo-shop-${config.lnd.run}-${tab}`;
  try {
    return await createAmpkit({ lnc: { mailbox: config.lnd.mailbox }, database });
  } catch (error) {
    if (error?.data?.reason !== 'not-paired') console.info('ampkit demo: the checkout pairs anew:', error?.message);
  }
  const { pairingPhrase, mailbox } = await newSession('shop');
  return createAmpkit({ lnc: { pairingPhrase, mailbox }, database });
}

// The wallet connects through <ampkit-connect>: on Core Lightning with the wallet's rune
// (the element says what it may do), on LND with a pairing phrase the user types or pastes
// once; the element keeps the keys it gives, so the next visit connects without one.
const connect = $('wallet-connect');
if (choice.wallet === 'lnd') {
  connect.setAttribute('mode', 'lnc');
  connect.setAttribute('mailbox', config.lnd.mailbox);
  $('wallet-node').innerHTML = `node <code>${config.lnd.wallet}</code>, over Lightning Node Connect`;
  const pairing = $('pairing');
  connect.addEventListener('ampkit-connected', () => (pairing.hidden = true));
  connect.addEventListener('ampkit-disconnected', () => (pairing.hidden = false));
  $('fill-phrase').addEventListener('click', async () => {
    const { pairingPhrase } = await newSession('wallet');
    await connect.phraseReady();
    const input = connect.shadowRoot.querySelector('#phrase');
    input.value = pairingPhrase;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    input.focus();
  });
  // The keys kept from an earlier pairing first (quietly: none is no failure); the help for a
  // first pairing shows only when they did not connect.
  void customElements
    .whenDefined('ampkit-connect')
    .then(() => connect.updateComplete)
    .then(() => connect.connect({ quiet: true }))
    .then((client) => (pairing.hidden = Boolean(client)));
} else {
  const wallet = node('wallet');
  connect.setAttribute('node-id', wallet.id);
  connect.setAttribute('url', wallet.ws_url);
  connect.setAttribute('rune', wallet.rune);
  connect.setAttribute('autoconnect', '');
  $('wallet-node').innerHTML = 'node <code>wallet</code>, over commando';
}

$('order').addEventListener('submit', async (event) => {
  event.preventDefault();
  const item = $('order').querySelector('input[name=item]:checked');
  const amount = item.value;
  const invoice = document.createElement('ampkit-invoice');
  invoice.id = 'checkout-invoice';
  invoice.setAttribute('amount-msat', String(amount));
  invoice.setAttribute('description', item.dataset.name);
  invoice.addEventListener('ampkit-invoice-created', (e) => {
    $('wallet-pay').setAttribute('invoice', e.detail.bolt11);
    $('handover').hidden = false;
  });
  try {
    invoice.client = await shop;
  } catch (error) {
    $('invoice-slot').textContent = `The shop could not reach its node: ${error?.message ?? error}`;
    return;
  }
  $('invoice-slot').replaceChildren(invoice);
});

// Faults.
for (const fault of config.faults) {
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.fault = fault.name;
  const show = (on) => {
    button.textContent = fault.toggle ? `${on ? 'Undo: ' : ''}${fault.label}` : fault.label;
    button.setAttribute('aria-pressed', String(fault.toggle && on));
  };
  let on = fault.on;
  show(on);
  button.addEventListener('click', async () => {
    const want = fault.toggle ? !on : true;
    const reply = await fetch('/fault', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: fault.name, on: want }),
    });
    const result = await reply.json();
    on = result.on;
    show(on);
    $('fault-log').textContent = reply.ok ? `${fault.label}: ${want ? 'done' : 'undone'}` : `failed: ${result.error}`;
  });
  $('fault-buttons').append(button);
}

// Leaving the page: close both clients, so an LNC session's link ends with a FIN at once.
// Otherwise the node side learns of it only by its keepalive (about 8 s), and the next page's
// connection with the kept keys waits that long (a session has one link at a time).
addEventListener('pagehide', () => {
  void connect.disconnect();
  void shop.then((client) => client.close()).catch(() => undefined);
});
// Back from the back/forward cache, the clients closed above are gone: start afresh.
addEventListener('pageshow', (event) => event.persisted && location.reload());
