// The demo's checkout: the shop's <ampkit-invoice> (on the shop node, with a rune that can
// only make and follow plain invoices) and the wallet's <ampkit-pay> (on the wallet node),
// side by side; the shop's invoice goes to the wallet as a scanned QR code would. The fault
// panel switches simnet's faults through the demo server.
import { createAmpkit } from '/dist/ampkit.js';
import '/dist/ampkit-elements.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
const node = (alias) => config.nodes.find((n) => n.alias === alias);

// The shop's client: its own engine (a worker) on the shop node, a rune for plain invoices
// only. A checkout runs in the payer's browser, so it never makes hold invoices: their
// preimage would live in this page's journal (docs/design.md, "Trust").
const shopNode = node(config.checkout.alias);
const shop = createAmpkit({ nodeId: shopNode.id, url: shopNode.ws_url, rune: config.checkout.rune });

// The wallet connects through <ampkit-connect>, which shows what its rune may do.
const wallet = node('wallet');
const connect = $('wallet-connect');
connect.setAttribute('node-id', wallet.id);
connect.setAttribute('url', wallet.ws_url);
connect.setAttribute('rune', wallet.rune);
connect.setAttribute('autoconnect', '');

$('order').addEventListener('submit', async (event) => {
  event.preventDefault();
  const amount = new FormData($('order')).get('item');
  const invoice = document.createElement('ampkit-invoice');
  invoice.id = 'checkout-invoice';
  invoice.setAttribute('amount-msat', String(amount));
  invoice.setAttribute('description', `ampkit demo order ${new Date().toISOString()}`);
  invoice.addEventListener('ampkit-invoice-created', (e) => {
    $('wallet-pay').setAttribute('invoice', e.detail.bolt11);
    $('handover').hidden = false;
  });
  invoice.client = await shop;
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
