/**
 * A real regtest Lightning network for the tests: one bitcoind and four Core Lightning
 * nodes, every port on 127.0.0.1, every file in a temp folder, torn down afterwards.
 *
 *   alice ──1,000,000 sat──▶ bob ───1,000,000 sat──▶ dave
 *     └────1,000,000 sat──▶ carol ─1,000,000 sat──▶ ─┘
 *
 * Each arrow is a channel funded by its tail, so alice (the wallet) holds all of her two
 * channels and dave (the shop) can receive up to about 1,970,000 sat, but never more than
 * about 985,000 sat over one path: a payment above that must split. Every node has a
 * WebSocket listener for commando and three runes (full, invoice-only, read-only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RealBinaries } from './binaries.ts';
import { eventually as until } from '../scenarios/poll.ts';
import { BitcoinRpc, ClnSocketRpc } from './local-rpc.ts';

export const ALIASES = ['alice', 'bob', 'carol', 'dave'] as const;
export type Alias = (typeof ALIASES)[number];

/** The channels: funder, fundee, satoshi. */
export const CHANNELS: readonly [Alias, Alias, number][] = [
  ['alice', 'bob', 1_000_000],
  ['alice', 'carol', 1_000_000],
  ['bob', 'dave', 1_000_000],
  ['carol', 'dave', 1_000_000],
];

/** The invoice-only rune the README gives shops (it can make and follow invoices, never spend). */
export const INVOICE_RUNE_RESTRICTIONS = [
  [
    'method=invoice',
    'method=listinvoices',
    'method=holdinvoice',
    'method=listholdinvoices',
    'method=settleholdinvoice',
    'method=cancelholdinvoice',
    'method=listhtlcs',
    'method=wait',
  ],
];
/** Read-only: list*, get*, summary, decode (it cannot call `wait`). */
export const READONLY_RUNE_RESTRICTIONS = [['method^list', 'method^get', 'method=summary', 'method=decode'], ['method/listdatastore']];

export interface RealNode {
  alias: Alias;
  /** The node's public key. */
  id: string;
  /** Its commando WebSocket, ws://127.0.0.1:port. */
  ws_url: string;
  /** Its Lightning port, for `connect`. */
  p2p_port: number;
  rune: string;
  invoice_rune: string;
  readonly_rune: string;
  /** The harness's own line to the node (its unix socket), to look behind the SDK's back. */
  rpc: ClnSocketRpc;
  dir: string;
  /** The node's log, for a failing test to print. */
  log(): string;
}

export interface RealNetwork {
  nodes: Record<Alias, RealNode>;
  bitcoin: BitcoinRpc;
  version: string;
  /** Seconds from the first process started to the last channel seen in alice's and dave's gossip. */
  startupSeconds: number;
  /** Mines `n` blocks and waits until every node has seen them. */
  mine(n: number): Promise<void>;
  /** Stops the node (`stop`) and starts it again with the same folder and ports; waits until it is back. */
  restart(alias: Alias): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Process {
  child: ChildProcess;
  exited: Promise<void>;
}

function start(program: string, args: string[], logFile: string): Process {
  const out = openSync(logFile, 'a');
  const child = spawn(program, args, { stdio: ['ignore', out, out] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited };
}

async function end(p: Process, ask: () => Promise<unknown>): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  await ask().catch(() => {});
  const killed = await Promise.race([p.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

/** Every child this process started, killed if the test process dies without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts bitcoind and four Core Lightning nodes, funds them, opens the channels, waits for
 * the gossip and makes the runes. `keep: true` leaves the temp folder for a post-mortem.
 */
export async function startRealNetwork(bin: RealBinaries, options: { keep?: boolean } = {}): Promise<RealNetwork> {
  const began = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'ampkit-realcln-'));
  const processes: Process[] = [];
  const rpcUser = 'ampkit';
  const rpcPassword = randomBytes(12).toString('hex');
  const rpcPort = await freePort();
  const btcDir = join(root, 'bitcoin');
  mkdirSync(btcDir);
  const bitcoinProcess = start(
    bin.bitcoind,
    [
      '-regtest',
      '-server',
      '-listen=0',
      '-txindex=0',
      `-datadir=${btcDir}`,
      `-rpcuser=${rpcUser}`,
      `-rpcpassword=${rpcPassword}`,
      `-rpcport=${rpcPort}`,
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      '-fallbackfee=0.00001',
      '-printtoconsole=0',
    ],
    join(root, 'bitcoind.out'),
  );
  live.add(bitcoinProcess.child);
  processes.push(bitcoinProcess);
  const bitcoin = new BitcoinRpc(rpcPort, rpcUser, rpcPassword);
  const nodes = {} as Record<Alias, RealNode>;
  const nodeProcesses = new Map<Alias, Process>();
  const nodeArgs = new Map<Alias, string[]>();

  const stop = async () => {
    await Promise.all(ALIASES.filter((a) => nodes[a]).map((a) => end(nodeProcesses.get(a)!, () => nodes[a].rpc.call('stop'))));
    for (const a of ALIASES) nodes[a]?.rpc.close();
    await end(bitcoinProcess, () => bitcoin.call('stop'));
    for (const p of processes) live.delete(p.child);
    for (const p of nodeProcesses.values()) live.delete(p.child);
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  };

  try {
    await until('bitcoind to answer', () => bitcoin.call('getblockchaininfo'), 30);

    const launch = (alias: Alias) => {
      const p = start(bin.lightningd, nodeArgs.get(alias)!, join(nodes[alias].dir, 'lightningd.out'));
      live.add(p.child);
      nodeProcesses.set(alias, p);
    };

    for (const alias of ALIASES) {
      const dir = join(root, alias);
      mkdirSync(dir);
      const [p2p, ws] = [await freePort(), await freePort()];
      nodeArgs.set(alias, [
        '--network=regtest',
        `--lightning-dir=${dir}`,
        `--alias=${alias}`,
        `--bitcoin-cli=${bin.bitcoinCli}`,
        `--bitcoin-datadir=${btcDir}`,
        `--bitcoin-rpcuser=${rpcUser}`,
        `--bitcoin-rpcpassword=${rpcPassword}`,
        `--bitcoin-rpcport=${rpcPort}`,
        '--bitcoin-rpcconnect=127.0.0.1',
        `--addr=127.0.0.1:${p2p}`,
        `--bind-addr=ws:127.0.0.1:${ws}`,
        `--log-file=${join(dir, 'log')}`,
        '--log-level=debug',
        // Fast gossip and block polling (seconds, not minutes); deprecated APIs off, as a current node.
        '--developer',
        '--dev-fast-gossip',
        '--dev-bitcoind-poll=1',
      ]);
      nodes[alias] = {
        alias,
        id: '',
        ws_url: `ws://127.0.0.1:${ws}`,
        p2p_port: p2p,
        rune: '',
        invoice_rune: '',
        readonly_rune: '',
        rpc: new ClnSocketRpc(join(dir, 'regtest', 'lightning-rpc')),
        dir,
        log: () => {
          try {
            return readFileSync(join(dir, 'log'), 'utf8');
          } catch {
            return '';
          }
        },
      };
      launch(alias);
    }

    await Promise.all(
      ALIASES.map(async (alias) => {
        const info = await until<{ id: string }>(`${alias} to start`, () => nodes[alias].rpc.call('getinfo'), 60);
        nodes[alias].id = info.id;
      }),
    );

    // Coins: one mature coinbase per channel a node funds.
    const address = async (alias: Alias) => (await nodes[alias].rpc.call('newaddr', { addresstype: 'p2tr' })).p2tr as string;
    for (const [funder] of CHANNELS) await bitcoin.call('generatetoaddress', [1, await address(funder)]);
    await bitcoin.call('generatetoaddress', [100, await address('dave')]);
    const mine = async (n: number) => {
      await bitcoin.call('generatetoaddress', [n, await address('dave')]);
      const height = await bitcoin.call<number>('getblockcount');
      await Promise.all(
        ALIASES.map((a) =>
          until(`${a} to reach block ${height}`, async () => {
            const info = await nodes[a].rpc.call('getinfo');
            return info.blockheight >= height ? true : undefined;
          }),
        ),
      );
    };
    await mine(0);
    await Promise.all(
      ALIASES.map((a) =>
        until(`${a}'s coins`, async () => {
          const funds = await nodes[a].rpc.call('listfunds');
          const need = CHANNELS.filter(([f]) => f === a).length;
          return funds.outputs.filter((o: { status: string }) => o.status === 'confirmed').length >= need ? true : undefined;
        }),
      ),
    );

    for (const [a, b, sat] of CHANNELS) {
      await nodes[a].rpc.call('connect', { id: nodes[b].id, host: '127.0.0.1', port: nodes[b].p2p_port });
      await nodes[a].rpc.call('fundchannel', { id: nodes[b].id, amount: sat, announce: true });
    }
    await mine(6);
    await Promise.all(
      CHANNELS.map(([a, b]) =>
        until(`the channel ${a}→${b}`, async () => {
          const { channels } = await nodes[a].rpc.call('listpeerchannels', { id: nodes[b].id });
          return channels.some((c: { state: string }) => c.state === 'CHANNELD_NORMAL') ? true : undefined;
        }),
      ),
    );
    // Gossip: every direction of every channel, in the graph of the payer and of the payee.
    const seen = async (alias: Alias) => {
      const { channels } = await nodes[alias].rpc.call('listchannels', {});
      return channels.filter((c: { active: boolean }) => c.active).length >= CHANNELS.length * 2 ? true : undefined;
    };
    let kicks = 0;
    await until(
      'the channels in gossip',
      async () => {
        const done = (await seen('alice')) && (await seen('dave'));
        // Announcements need six confirmations; a further block now and then moves a laggard on.
        if (!done && ++kicks % 50 === 0) await bitcoin.call('generatetoaddress', [1, await address('dave')]);
        return done;
      },
      120,
    );

    for (const alias of ALIASES) {
      const n = nodes[alias];
      n.rune = (await n.rpc.call('createrune', {})).rune;
      n.invoice_rune = (await n.rpc.call('createrune', { restrictions: INVOICE_RUNE_RESTRICTIONS })).rune;
      n.readonly_rune = (await n.rpc.call('createrune', { restrictions: READONLY_RUNE_RESTRICTIONS })).rune;
    }

    return {
      nodes,
      bitcoin,
      version: bin.version,
      startupSeconds: (Date.now() - began) / 1000,
      mine,
      async restart(alias) {
        await end(nodeProcesses.get(alias)!, () => nodes[alias].rpc.call('stop'));
        nodes[alias].rpc.close();
        launch(alias);
        await until(`${alias} to start again`, () => nodes[alias].rpc.call('getinfo'), 60);
      },
      stop,
    };
  } catch (error) {
    const logs = ALIASES.filter((a) => nodes[a])
      .map((a) => `── ${a}\n${nodes[a].log().split('\n').slice(-30).join('\n')}`)
      .join('\n');
    await stop().catch(() => {});
    throw new Error(`the real network did not start: ${String(error)}\n${logs}`);
  }
}
