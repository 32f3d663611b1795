// The node console's live tables: the engine of the chosen node (in a Web Worker, on this
// origin's IndexedDB journal, so it shares what the checkout's widgets did) and its four
// lists, redrawn on every engine event. Each list is read a page at a time (`limit`): a
// journal of 100,000 parts costs a redraw no more than one of 50; "show more" under a table
// asks for another page. Untrusted text goes in through textContent only.
import { createAmpkit } from '/dist/ampkit.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
const sat = new Intl.NumberFormat('en', { maximumFractionDigits: 3 });
const amount = (msat) => (msat === undefined ? '' : `${sat.format(msat / 1000)} sat`);
const short = (hex) => `${hex.slice(0, 10)}…`;
let client;
let redraw = Promise.resolve();
/** Rows asked for per table: one page to start with, a page more per "show more". */
const PAGE = 50;
const shown = { payments: PAGE, partialpayments: PAGE, invoices: PAGE, partialinvoices: PAGE };

/** The "show more" button under a table: there while the list has more than is shown. */
function more(table, next_start) {
  const id = `${table}-more`;
  let button = $(id);
  if (!button) {
    button = document.createElement('button');
    button.id = id;
    button.type = 'button';
    button.textContent = 'show more';
    button.addEventListener('click', () => {
      shown[table] += PAGE;
      schedule();
    });
    $(table).after(button);
  }
  button.hidden = next_start === undefined;
}

function fill(table, rows) {
  const body = $(table).tBodies[0];
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      for (const text of cells) tr.insertCell().textContent = String(text ?? '');
      return tr;
    }),
  );
  if (rows.length === 0) body.insertRow().insertCell().textContent = 'none yet';
}

async function draw() {
  if (!client) return;
  const [pays, parts, invs, held] = await Promise.all([
    client.listpayments({ limit: shown.payments }),
    client.listpartialpayments({ limit: shown.partialpayments }),
    client.listinvoices({ limit: shown.invoices }),
    client.listpartialinvoices({ limit: shown.partialinvoices }),
  ]);
  const { payments } = pays;
  const { partialpayments } = parts;
  const { invoices } = invs;
  const { partialinvoices } = held;
  more('payments', pays.next_start);
  more('partialpayments', parts.next_start);
  more('invoices', invs.next_start);
  more('partialinvoices', held.next_start);
  fill(
    'payments',
    payments.map((p) => [short(p.payment_hash), p.status, amount(p.amount_msat), amount(p.amount_sent_msat), p.parts]),
  );
  fill(
    'partialpayments',
    partialpayments.map((p) => [
      p.id,
      short(p.payment_hash),
      `${p.groupid}/${p.partid}`,
      p.status,
      amount(p.amount_msat),
      p.route.length,
      p.failcodename ?? p.failreason ?? '',
    ]),
  );
  fill(
    'invoices',
    invoices.map((i) => [i.label, i.status, amount(i.amount_msat), amount(i.amount_received_msat), amount(i.amount_held_msat), i.parts]),
  );
  fill(
    'partialinvoices',
    partialinvoices.map((p) => [
      short(p.payment_hash),
      p.incoming_scid,
      p.htlc_id,
      amount(p.partial_amount_msat),
      amount(p.total_amount_msat),
      p.state,
    ]),
  );
  $('live').dataset.drawn = String(Number($('live').dataset.drawn ?? 0) + 1);
}
const schedule = () => {
  redraw = redraw.then(draw).catch((e) => ($('live-state').textContent = `error: ${e.message}`));
};

async function start(alias) {
  await client?.close();
  client = undefined;
  const node = config.nodes.find((n) => n.alias === alias);
  $('live-state').textContent = `starting on ${alias}`;
  try {
    client = await createAmpkit({ nodeId: node.id, url: node.ws_url, rune: node.readonly_rune });
  } catch (e) {
    $('live-state').textContent = `failed: ${e.message}`;
    return;
  }
  $('live-state').textContent = `${alias}: ${client.state} (${client.mode})`;
  client.on('state', (state) => ($('live-state').textContent = `${alias}: ${state} (${client.mode})`));
  for (const type of [
    'part-created',
    'part-updated',
    'payment-updated',
    'invoice-updated',
    'invoice-part',
    'invoice-part-gone',
    'invoice-paid',
    'invoice-expired',
  ]) {
    client.on(type, schedule);
  }
  schedule();
}

$('node-choice').addEventListener('change', () => void start($('node-choice').value));
void start($('node-choice').value || config.default);
