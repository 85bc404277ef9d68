// custom-elements.json for editors and framework tooling (CONTRACT §0), generated at build
// by @custom-elements-manifest/analyzer from the elements' JSDoc (`@tagname`, `@fires`,
// `@csspart`, `@cssprop`) and their Lit `static properties`.
import { readFileSync } from 'node:fs';

/**
 * Two corrections to what the analyzer reads: `dispatchEvent(new CustomEvent(type…))` with a
 * variable name is not an event called "type" (the elements fire only `cs-` events, each
 * declared with @fires); and Lit state (`{ state: true }`) and `#private` members are
 * internal, not the element's API.
 */
function publicSurfaceOnly() {
  return {
    name: 'card-stream:public-surface-only',
    packageLinkPhase({ customElementsManifest }) {
      for (const mod of customElementsManifest.modules) {
        const source = readFileSync(new URL(mod.path, import.meta.url), 'utf8');
        const states = new Set([...source.matchAll(/^\s*(\w+): \{[^}]*state: true/gm)].map((m) => m[1]));
        for (const declaration of mod.declarations ?? []) {
          if (!declaration.customElement) continue;
          declaration.events = (declaration.events ?? []).filter((e) => e.name?.startsWith('cs-'));
          declaration.attributes = (declaration.attributes ?? []).filter((a) => !states.has(a.fieldName ?? a.name));
          declaration.members = (declaration.members ?? []).filter((m) => !states.has(m.name) && !m.name.startsWith('#') && m.privacy !== 'private');
        }
      }
    },
  };
}

export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.styles.ts'],
  outdir: '.',
  litelement: true,
  plugins: [publicSurfaceOnly()],
};
