/**
 * Finds the real Bitcoin Core and Core Lightning programs for the real-node tests: from
 * `AMPKIT_BITCOIND`, `AMPKIT_BITCOIN_CLI`, `AMPKIT_LIGHTNINGD` (each a path), from
 * `AMPKIT_REALNODE_DIR` (a folder searched for them, e.g. an unpacked binary tarball), or
 * from the PATH. Nothing here knows where a particular machine keeps them.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RealBinaries {
  bitcoind: string;
  bitcoinCli: string;
  lightningd: string;
  /** `lightningd --version`, e.g. `v25.12.1`. */
  version: string;
}

const NAMES = { bitcoind: 'AMPKIT_BITCOIND', bitcoinCli: 'AMPKIT_BITCOIN_CLI', lightningd: 'AMPKIT_LIGHTNINGD' } as const;
const FILES = { bitcoind: 'bitcoind', bitcoinCli: 'bitcoin-cli', lightningd: 'lightningd' } as const;

/** How to make the real-node tests run, for the line printed when they are skipped. */
export const HOW_TO_ENABLE =
  'set AMPKIT_REALNODE_DIR to a folder holding bitcoind, bitcoin-cli and lightningd (Core Lightning v25.05 or newer), or put them on the PATH';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every file named `name` under `dir`, a few levels deep (bin/ folders of an install tree). */
function findUnder(dir: string, name: string, depth = 4): string | undefined {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const here = entries.find((e) => e.name === name && executable(join(dir, name)));
  if (here) return join(dir, name);
  if (depth === 0) return undefined;
  for (const e of entries) {
    // lightningd's own subdaemons live in libexec/; the programs we want sit in bin/ folders.
    if (e.isDirectory() && e.name !== 'libexec' && e.name !== 'share') {
      const found = findUnder(join(dir, e.name), name, depth - 1);
      if (found) return found;
    }
  }
  return undefined;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * The three programs, or the reason they cannot be used (a missing program, or one that
 * does not start: missing shared libraries, a Core Lightning older than v25.05).
 */
export function findRealBinaries(env: NodeJS.ProcessEnv = process.env): RealBinaries | { missing: string } {
  const dir = env.AMPKIT_REALNODE_DIR;
  const found: Partial<Record<keyof typeof FILES, string>> = {};
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const explicit = env[NAMES[key]];
    const path = explicit || (dir ? findUnder(dir, FILES[key]) : undefined) || onPath(FILES[key]);
    if (!path || !executable(path)) {
      return { missing: `${FILES[key]} not found${explicit ? ` at ${NAMES[key]}` : dir ? ' under AMPKIT_REALNODE_DIR' : ' on the PATH'}` };
    }
    found[key] = path;
  }
  const run = spawnSync(found.lightningd!, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const version = run.stdout?.trim();
  if (run.status !== 0 || !version) {
    return {
      missing: `lightningd does not start (${(run.stderr || run.error?.message || 'no output').trim().split('\n')[0]}); are its runtime libraries installed?`,
    };
  }
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m || Number(m[1]) * 100 + Number(m[2]) < 2505)
    return { missing: `lightningd ${version} is older than v25.05 (listhtlcs indexes, wait htlcs)` };
  const btc = spawnSync(found.bitcoind!, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (btc.status !== 0) return { missing: `bitcoind does not start (${(btc.stderr || btc.error?.message || '').trim().split('\n')[0]})` };
  return { bitcoind: found.bitcoind!, bitcoinCli: found.bitcoinCli!, lightningd: found.lightningd!, version };
}
