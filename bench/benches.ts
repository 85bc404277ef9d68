// The benches `npm run bench` runs (bench/run.ts), in order, each in a module of its own.
import type { StoreKind } from '../test/server/harness.js';

export const BENCHES: Record<string, (kind: StoreKind) => Promise<void>> = {
  sends: async (kind) => (await import('./sends.js')).run(kind),
  store: async () => (await import('./store.js')).run(),
  realtime: async () => (await import('./realtime.js')).run(),
  cancel: async (kind) => (await import('./cancel.js')).run(kind),
  export: async () => (await import('./export.js')).run(),
  webhooks: async () => (await import('./webhooks.js')).run(),
  audiences: async (kind) => (await import('./audiences.js')).run(kind),
};

/** The benches that take a store; the others run once. */
export const PER_STORE = new Set(['sends', 'cancel', 'audiences']);
