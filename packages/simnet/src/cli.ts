/**
 * `ampkit-simnet`: starts a simulated network and runs until SIGINT/SIGTERM.
 * With --json it prints one line, `{ "nodes": [ { alias, id, ws_url, rune, readonly_rune, invoice_rune } ] }`,
 * once every node listens. Control commands (see control.ts) are read from stdin.
 * `--lnd <alias>` (repeatable) runs that node with lnd's personality, reachable only over LNC:
 * it prints the node's mailbox URL and a pairing phrase (with --json, in `lnd: [ { alias, id,
 * lnc: { mailbox, pairingPhrase } } ]`).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { runControl } from './control.ts';
import { startSimnet } from './simnet.ts';

const usage = `usage: ampkit-simnet [--topology demo|graph|graph:N|generated:N|<file.json>] [--seed N] [--host 127.0.0.1]
                     [--port BASE] [--mpp-timeout SECONDS] [--hop-delay MS] [--lnd ALIAS]... [--json]`;

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`ampkit-simnet: --${name} must be a non-negative number\n${usage}`);
    process.exit(2);
  }
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      topology: { type: 'string', default: 'demo' },
      seed: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      'mpp-timeout': { type: 'string' },
      'hop-delay': { type: 'string' },
      lnd: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (error) {
  console.error(`ampkit-simnet: ${(error as Error).message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}

const simnet = await startSimnet({
  topology: args.topology!,
  seed: number('seed', args.seed, 1),
  host: args.host!,
  port: number('port', args.port, 0),
  mppTimeout: number('mpp-timeout', args['mpp-timeout'], 60),
  hopDelay: number('hop-delay', args['hop-delay'], 10),
  lnd: args.lnd!,
}).catch((error: Error) => {
  console.error(`ampkit-simnet: ${error.message}`);
  process.exit(1);
});

if (args.json) console.log(JSON.stringify({ nodes: simnet.nodes, lnd: simnet.lnd }));
else {
  console.log(`ampkit-simnet: ${simnet.network.nodes.size} nodes, ${simnet.network.channels.size} channels; listening:`);
  for (const n of simnet.nodes) console.log(`  ${n.alias.padEnd(8)} ${n.id}  ${n.ws_url}`);
  for (const n of simnet.lnd) {
    console.log(`  ${n.alias.padEnd(8)} ${n.id}  LND over LNC, mailbox ${n.lnc.mailbox}`);
    console.log(`           pairing phrase (pairs once): ${n.lnc.pairingPhrase}`);
  }
  console.log("runes: --json prints each node's rune (full), readonly_rune and invoice_rune (invoice-only, for a shop)");
  console.log('control commands on stdin: latency|slow|fail|hold|drop|offline|online <node|scid> [arg]');
}

const lines = createInterface({ input: process.stdin, terminal: false });
lines.on('line', (line) => {
  if (line.trim()) void runControl(simnet, line).then((reply) => console.error(reply));
});

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  lines.close();
  void simnet.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
