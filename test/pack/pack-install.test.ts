/**
 * The packages as a developer installs them: each workspace package packed (`npm pack`),
 * the tarballs installed into an empty project outside the repository, and then, in plain
 * Node (no tsx, no `source` condition):
 * - every entry point in each package's `exports` imports;
 * - `@ampkit/elements` imports with no DOM, as a server-side renderer would load it;
 * - the packages work: a simnet started from `@ampkit/simnet`, its shop asked for an invoice
 *   over commando (`@ampkit/wire/node`'s WebSocket) with its invoice-only rune, the invoice
 *   decoded;
 * - a small TypeScript consumer type-checks against the published types (strict, NodeNext,
 *   no skipLibCheck);
 * - publint and @arethetypeswrong/cli (ESM-only profile) find nothing wrong.
 * Needs `npm run build` first (npm test builds before the Node tests). The packed sizes are
 * printed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['wire', 'core', 'worker', 'elements', 'simnet'] as const;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const manifest = (name: string): Manifest => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

let dir: string;
const tarballs = new Map<string, string>();

/** Runs `file args` in the consumer project; its output, or the failure with both streams. */
async function inApp(file: string, args: string[], timeout = 120_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd: join(dir, 'app'), timeout, maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('the packages as installed from their tarballs', { concurrency: 1, timeout: 600_000 }, () => {
  before(async () => {
    for (const name of PACKAGES) {
      for (const target of Object.values(manifest(name).exports)) {
        const file = typeof target === 'string' ? target : target.default!;
        assert.ok(existsSync(join(root, 'packages', name, file)), `packages/${name}/${file} is missing: run \`npm run build\` first`);
      }
    }
    dir = mkdtempSync(join(tmpdir(), 'ampkit-pack-'));
    mkdirSync(join(dir, 'packs'));
    const { stdout } = await run(npm, ['pack', '--workspaces', '--json', '--pack-destination', join(dir, 'packs')], {
      cwd: root,
      maxBuffer: 64 << 20,
    });
    const packed = JSON.parse(stdout) as { name: string; filename: string; size: number; unpackedSize: number; entryCount: number }[];
    for (const p of packed) {
      tarballs.set(p.name, join(dir, 'packs', p.filename));
      console.log(
        `packed ${p.name}: ${(p.size / 1024).toFixed(1)} kB (${(p.unpackedSize / 1024).toFixed(1)} kB unpacked, ${p.entryCount} files)`,
      );
    }
    // An empty project that depends on every tarball, and on what a consumer adds itself:
    // ws (wire's optional peer, for Node), TypeScript and the types of Node and ws.
    mkdirSync(join(dir, 'app'));
    const dependencies = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
    writeFileSync(
      join(dir, 'app', 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { ...dependencies, ws: manifest('wire').peerDependencies!.ws },
        devDependencies: {
          typescript: rootManifest.devDependencies.typescript,
          '@types/node': rootManifest.devDependencies['@types/node'],
          '@types/ws': rootManifest.devDependencies['@types/ws'],
        },
      }),
    );
    await inApp(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], 300_000);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every workspace package is packed', () => {
    assert.deepEqual([...tarballs.keys()].sort(), PACKAGES.map((n) => `@ampkit/${n}`).sort());
  });

  test('every entry point in every package imports in plain Node, @ampkit/elements without a DOM', async () => {
    const entries = PACKAGES.flatMap((name) =>
      Object.keys(manifest(name).exports)
        .filter((sub) => !sub.endsWith('.json'))
        .map((sub) => `@ampkit/${name}${sub.slice(1)}`),
    );
    const script = `
      const out = {};
      for (const entry of ${JSON.stringify(entries)}) out[entry] = Object.keys(await import(entry)).sort();
      out.dom = typeof document;
      out.defined = globalThis.customElements?.get('ampkit-pay') !== undefined;
      console.log(JSON.stringify(out));`;
    const out = JSON.parse(await inApp(process.execPath, ['--input-type=module', '-e', script]));
    for (const entry of entries) if (!entry.endsWith('/define')) assert.ok(out[entry].length > 0, `${entry} exports nothing`);
    assert.ok(out['@ampkit/wire'].includes('connect') && out['@ampkit/wire'].includes('decodeBolt11'));
    assert.ok(out['@ampkit/core'].includes('createEngine') && out['@ampkit/core/planner'].includes('planPayment'));
    assert.ok(out['@ampkit/worker'].includes('createAmpkit'));
    assert.ok(out['@ampkit/elements'].includes('AmpkitPay') && out['@ampkit/elements'].includes('AmpkitInvoice'));
    assert.ok(out['@ampkit/simnet'].includes('startSimnet'));
    assert.equal(out.dom, 'undefined', 'no DOM in plain Node');
    assert.equal(out.defined, true, '@ampkit/elements/define registers <ampkit-pay> (in Lit’s server-side registry)');
  });

  test('importing @ampkit/elements alone registers nothing', async () => {
    const script = `await import('@ampkit/elements'); console.log(String(globalThis.customElements?.get('ampkit-pay') === undefined));`;
    assert.equal((await inApp(process.execPath, ['--input-type=module', '-e', script])).trim(), 'true');
  });

  test('the installed packages work: a simnet shop makes an invoice over commando for its invoice rune, refuses it getinfo, and the invoice decodes', async () => {
    const script = `
      import { connect, decodeBolt11 } from '@ampkit/wire';
      import { NodeWebSocket } from '@ampkit/wire/node';
      import { startSimnet } from '@ampkit/simnet';
      const simnet = await startSimnet({ topology: 'demo', seed: 1, host: '127.0.0.1', port: 0 });
      try {
        const shop = simnet.nodes.find((n) => n.alias === 'shop');
        const client = await connect({ nodeId: shop.id, url: shop.ws_url, rune: shop.invoice_rune, WebSocket: NodeWebSocket });
        // The invoice-only rune makes invoices and is refused anything else.
        const refused = await client.request('getinfo').then(() => 'allowed', (e) => e.code);
        const made = await client.request('invoice', { amount_msat: 21000, label: 'pack', description: 'from the tarballs' });
        const decoded = decodeBolt11(made.bolt11);
        client.close();
        console.log(JSON.stringify({ refused, shop: shop.id, amount: decoded.amount_msat, payee: decoded.payee }));
      } finally {
        await simnet.stop();
      }`;
    const out = JSON.parse((await inApp(process.execPath, ['--input-type=module', '-e', script])).trim().split('\n').at(-1)!);
    assert.equal(out.refused, 19537, 'getinfo refused by the invoice-only rune');
    assert.equal(out.amount, 21000);
    assert.equal(out.payee, out.shop);
  });

  test('the ampkit-simnet command runs from the installed package', async () => {
    assert.match(await inApp(join(dir, 'app', 'node_modules', '.bin', 'ampkit-simnet'), ['--help']), /usage: ampkit-simnet/);
  });

  test('a TypeScript consumer type-checks against the published types', async () => {
    writeFileSync(
      join(dir, 'app', 'consumer.ts'),
      `import { connect, decodeBolt11, auditRune, type CommandoClient } from '@ampkit/wire';
import { NodeWebSocket } from '@ampkit/wire/node';
import { clnNode, createEngine, memoryStore, AmpkitError, type Engine } from '@ampkit/core';
import { planPayment, ChannelGraph } from '@ampkit/core/planner';
import { createAmpkit } from '@ampkit/worker';
import { AmpkitPay, AmpkitInvoice, setStrings } from '@ampkit/elements';
import '@ampkit/elements/define';
import { startSimnet, type SimnetNodeInfo } from '@ampkit/simnet';

export async function consumer(node: SimnetNodeInfo): Promise<number> {
  const client: CommandoClient = await connect({ nodeId: node.id, url: node.ws_url, rune: node.rune, WebSocket: NodeWebSocket });
  const engine: Engine = await createEngine({ node: clnNode(client), store: memoryStore() });
  const { payments } = await engine.listpayments({});
  const audit = auditRune(node.invoice_rune);
  const invoice = decodeBolt11('lnbc1');
  const pay: typeof AmpkitPay = AmpkitPay;
  void [planPayment, ChannelGraph, createAmpkit, AmpkitInvoice, setStrings, startSimnet, pay, invoice, audit.canSpend];
  if (payments.length < 0) throw new AmpkitError('INVALID_ARGUMENT', 'never');
  return payments.length;
}
`,
    );
    writeFileSync(
      join(dir, 'app', 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    await inApp(process.execPath, [join(dir, 'app', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
  });

  test('publint finds nothing wrong in any package', async () => {
    const publint = join(root, 'node_modules', 'publint', 'src', 'cli.js');
    for (const name of PACKAGES) {
      const { stdout } = await run(process.execPath, [publint, '--strict', join(root, 'packages', name)], { cwd: root });
      assert.match(stdout, /All good!/, `publint @ampkit/${name}:\n${stdout}`);
    }
  });

  test('@arethetypeswrong finds every entry point typed for ESM consumers', async () => {
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    for (const [name, file] of tarballs) {
      try {
        await run(process.execPath, [attw, file, '--profile', 'esm-only', '--format', 'ascii'], { cwd: root, maxBuffer: 16 << 20 });
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string };
        assert.fail(`attw ${name}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    }
  });
});
