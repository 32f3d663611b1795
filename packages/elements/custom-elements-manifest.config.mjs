// `npm run build` runs the analyzer from this folder: custom-elements.json here (the
// package's `customElements`) and in the repository's dist/, beside the bundle. Both are
// generated, not committed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/** The theme's custom properties, from the table in src/theme.ts (one list, documented once). */
const cssProperties = [
  ...readFileSync('src/theme.ts', 'utf8').matchAll(/^ \* \| `(--ampkit-[\w-]+)` \| `?([^|`]+?)`? \| ([^|]+?) \|$/gm),
].map(([, name, defaultValue, description]) => ({ name, default: defaultValue.trim(), description: description.trim() }));

export default {
  globs: ['src/*-element.ts', 'src/events.ts', 'src/strings.ts', 'src/theme.ts'],
  outdir: '.',
  litelement: true,
  packagejson: false,
  plugins: [
    {
      name: 'ampkit-manifest-to-dist',
      packageLinkPhase({ customElementsManifest }) {
        for (const module of customElementsManifest.modules) {
          for (const declaration of module.declarations ?? []) {
            if (declaration.customElement) declaration.cssProperties = [...(declaration.cssProperties ?? []), ...cssProperties];
          }
        }
        mkdirSync('../../dist', { recursive: true });
        writeFileSync('../../dist/custom-elements.json', `${JSON.stringify(customElementsManifest, null, 2)}\n`);
      },
    },
  ],
};
