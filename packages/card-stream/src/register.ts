// Entry of every built file (dist/card-stream.js, .iife.js, .bundle.js): the public API
// plus registration of the elements. `defineElements()` is guarded (no registry → no-op,
// already registered tags are skipped), so server-side rendering can import this too.
import { defineElements } from './index.js';

export * from './index.js';

defineElements();
