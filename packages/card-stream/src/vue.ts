// `card-stream/vue` (types only): Vue 3 template types for the elements. With it among an
// app's types (`import type {} from 'card-stream/vue'` in env.d.ts), vue-tsc and the Vue
// editor tools check <card-stream> and <card-count> in templates: their attributes, the
// properties Vue sets (`:session-delegate`, `:filter`) and `@cs-…` listeners with each
// event's detail. The elements still register through `import 'card-stream'`, and Vue's
// compiler is told they are custom elements (`isCustomElement: (tag) => tag.startsWith('card-')`).
// The shape is the one Vue's guide gives for custom elements: Vue's tools read a
// component's template props from `$props` and its events from `$emit`.
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { CardCountElement } from './card-count/card-count.js';
import type { CardStreamElement } from './card-stream/card-stream.js';
import type { CardCountProperties, CardStreamEvents, CardStreamProperties } from './template-types.js';

type VueCustomElement<Element extends HTMLElement, Properties, Events> = new () => Element & {
  /** @deprecated For template type checking only; not on the element. */
  $props: HTMLAttributes & Properties & PublicProps;
  /** @deprecated For template type checking only; not on the element. */
  $emit: EmitFn<{ [Name in keyof Events]: (event: Events[Name]) => void }>;
};

declare module 'vue' {
  interface GlobalComponents {
    'card-stream': VueCustomElement<CardStreamElement, CardStreamProperties, CardStreamEvents>;
    'card-count': VueCustomElement<CardCountElement, CardCountProperties, object>;
  }
}

export type { CardCountProperties, CardStreamEvents, CardStreamProperties } from './template-types.js';
