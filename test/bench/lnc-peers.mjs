// The worker thread's entry: tsx's hooks do not reach worker threads on Node 20, so register
// them here, then load the TypeScript peers (lnc-peers.ts).
import { register } from 'tsx/esm/api';

register();
await import('./lnc-peers.ts');
