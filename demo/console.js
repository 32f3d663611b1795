// The node console: connect over commando from the page, audit the rune, send calls.
import { auditRune, connect } from '/dist/ampkit-wire.js';

const $ = (id) => document.getElementById(id);
const config = await (await fetch('/config.json')).json();
let node;

$('node-id').textContent = config.nodeId;

function showAudit() {
  const audit = auditRune(config.runes[$('rune-choice').value]);
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
    node = await connect({ nodeId: config.nodeId, url: config.url, rune: config.runes[$('rune-choice').value] });
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
