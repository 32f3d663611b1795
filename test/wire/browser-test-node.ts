/** The commando node the Chromium tests talk to, started by web-test-runner.config.mjs. */
import { RpcError } from '../../packages/wire/src/errors.ts';
import { serveCommando } from '../../packages/wire/src/node.ts';
import { createRune } from '../../packages/wire/src/runes.ts';

export async function startBrowserTestNode() {
  const masterSecret = new Uint8Array(32).fill(0x77);
  const node = await serveCommando({
    privateKey: new Uint8Array(32).fill(0x66),
    masterSecret,
    port: 0,
    handler(method, params) {
      const p = params as Record<string, unknown>;
      switch (method) {
        case 'getinfo':
          return { id: node.nodeId, alias: 'browser-test-node' };
        case 'echo':
          return { params };
        case 'big':
          return { blob: 'ab✓'.repeat(Number(p.repeat)) };
        case 'fail':
          throw new RpcError(method, 205, 'Could not find route', { erring_index: 1 });
        default:
          throw new RpcError(method, -32601, `Unknown command '${method}'`);
      }
    },
  });
  const config = {
    nodeId: node.nodeId,
    url: node.url,
    rune: createRune({ masterSecret, uniqueId: 0 }),
    readonlyRune: createRune({ masterSecret, uniqueId: 1, restrictions: ['method^list|method^get', 'method/listdatastore'] }),
  };
  return { node, config };
}
