#!/usr/bin/env node
// The `ampkit-simnet` command: the built CLI (dist/cli.js; `npm run build` makes it).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('ampkit-simnet: dist/cli.js is missing; run `npm run build` in the ampkit repository first');
  process.exit(1);
}
await import(cli.href);
