// The Node version every script needs: 20.19 or later (the first 20.x that loads ES modules
// with require(), and what @noble's packages declare). An older Node gets one clear line.
const [major, minor] = process.versions.node.split('.').map(Number);

/** Exits with a message naming `what` unless this Node is 20.19 or later. */
export function checkNode(what) {
  if (major > 20 || (major === 20 && minor >= 19)) return;
  console.error(`${what}: ampkit needs Node 20.19 or later (this is ${process.version}); see .nvmrc`);
  process.exit(1);
}

// Run as a script (`node scripts/check-node.mjs`, first in `npm start`): the check alone.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) checkNode('ampkit');
