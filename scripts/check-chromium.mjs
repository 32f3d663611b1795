// Fails loudly, with the fix, when the browser tests cannot run.
import { HOW_TO_INSTALL, findChromium } from './chromium.mjs';

if (!findChromium()) {
  console.error(`\n✖ ${HOW_TO_INSTALL}\n`);
  process.exit(1);
}
