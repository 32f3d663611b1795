// The node console: connect over commando from the page, audit the rune, send calls.
import { auditRune, connect } from '/dist/ampkit-wire.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
let node;

// Every simnet node is offered; the wallet is the default.
for (const n of config.nodes) {
  const option = new Option(`${n.alias} (${n.id.slice(0, 12)}…)`, n.alias, n.alias === config.default, n.alias === config.default);
  $('node-choice').append(option);
}
const chosen = () => config.nodes.find((n) => n.alias === $('node-choice').value);
const runeOf = () => ($('rune-choice').value === 'admin' ? chosen().rune : chosen().readonly_rune);

function showNode() {
  $('node-id').textContent = chosen().id;
}
$('node-choice').addEventListener('change', () => {
  showNode();
  showAudit();
});
showNode();

function showAudit() {
  const audit = auditRune(runeOf());
  $('rune-audit').textContent = audit.canSpend ? `Warning: ${audit.summary}` : audit.summary;
  $('rune-audit').classList.toggle('warn', audit.canSpend);
}
$('rune-choice').addEventListener('change', showAudit);
showAudit();

function setConnected(on) {
  $('connect').disabled = on;
  $('disconnect').disabled = !on;
  $('call').querySelector('button').disabled = !on;
}

$('connect').addEventListener('click', async () => {
  $('state').textContent = 'connecting';
  try {
    node = await connect({ nodeId: chosen().id, url: chosen().ws_url, rune: runeOf() });
    node.on('state', (state) => {
      $('state').textContent = state;
      setConnected(state === 'open' || state === 'reconnecting');
    });
    $('state').textContent = node.state;
    setConnected(true);
  } catch (e) {
    $('state').textContent = `failed: ${e.message}`;
  }
});

$('disconnect').addEventListener('click', () => {
  node?.close();
  setConnected(false);
});

$('call').addEventListener('submit', async (event) => {
  event.preventDefault();
  let params;
  try {
    params = JSON.parse($('params').value || '{}');
  } catch {
    $('output').textContent = 'Params must be JSON: an object or an array.';
    return;
  }
  const started = performance.now();
  try {
    const result = await node.request($('method').value, params);
    $('output').textContent = `${JSON.stringify(result, null, 2)}\n\n(${(performance.now() - started).toFixed(1)} ms)`;
  } catch (e) {
    $('output').textContent = `${e.name} ${e.code}: ${e.message}${e.data ? `\n${JSON.stringify(e.data, null, 2)}` : ''}`;
  }
});
