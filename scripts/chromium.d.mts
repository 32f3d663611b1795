/** The Chromium to use: $CHROME_PATH, else the usual system locations; undefined if none. */
export function findChromium(): string | undefined;
/** Flags for headless Chromium as root on a machine without a network. */
export const CHROMIUM_ARGS: string[];
export const HOW_TO_INSTALL: string;
