// Mounting <card-stream> against the real platform, with every event it fires recorded.
import type { CardStreamElement } from '../../../packages/card-stream/src/index.js';
import type { AnalyticsEvent } from '../../../packages/card-stream/src/client/analytics.js';
import { delegateFor, platformUrl, until } from './platform.js';

export interface Mounted {
  el: CardStreamElement;
  events: AnalyticsEvent[];
  states: string[];
  counts: { visible: number; total: number; unseen?: number }[];
  actions: CustomEvent[];
  delegate: ReturnType<typeof delegateFor>;
  ids(): string[];
  card(id: string): HTMLElement & { shadowRoot: ShadowRoot };
  named(name: string): AnalyticsEvent[];
  remove(): void;
}

export interface MountOptions {
  apiBase?: string;
  transport?: 'auto' | 'websocket' | 'polling';
  pollInterval?: number;
  stream?: string;
  mode?: 'stream' | 'single' | 'horizontal' | 'launcher';
  runtimeVariables?: CardStreamElement['runtimeVariables'];
  delegate?: ReturnType<typeof delegateFor>;
  parent?: HTMLElement;
}

export async function mount(userId: string, options: MountOptions = {}): Promise<Mounted> {
  const el = document.createElement('card-stream');
  const delegate = options.delegate ?? delegateFor(userId);
  el.apiBase = options.apiBase ?? (await platformUrl());
  el.sessionDelegate = delegate;
  el.transport = options.transport ?? 'auto';
  if (options.pollInterval) el.pollInterval = options.pollInterval;
  if (options.stream) el.stream = options.stream;
  if (options.mode) el.mode = options.mode as CardStreamElement['mode'];
  if (options.runtimeVariables) el.runtimeVariables = options.runtimeVariables;
  const m: Mounted = {
    el,
    events: [],
    states: [],
    counts: [],
    actions: [],
    delegate,
    ids: () => [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id') ?? ''),
    card: (id) => {
      const card = el.shadowRoot!.querySelector(`[data-card-id="${id}"]`);
      if (!card) throw new Error(`card ${id} is not shown`);
      return card as HTMLElement & { shadowRoot: ShadowRoot };
    },
    named: (name) => m.events.filter((e) => e.analyticsEvent === name),
    remove: () => el.remove(),
  };
  el.addEventListener('cs-event', (e) => m.events.push(e.detail));
  el.addEventListener('cs-state', (e) => m.states.push(e.detail.state));
  el.addEventListener('cs-count', (e) => m.counts.push(e.detail));
  el.addEventListener('cs-action', (e) => m.actions.push(e));
  (options.parent ?? document.body).append(el);
  return m;
}

/** Waits until the stream shows exactly `ids` (in this order). */
export function showsExactly(m: Mounted, ids: string[], timeout?: number): Promise<boolean> {
  return until(() => JSON.stringify(m.ids()) === JSON.stringify(ids), `cards ${JSON.stringify(ids)} (showing ${JSON.stringify(m.ids())})`, timeout);
}

/** A part inside a card's shadow root. */
export function inCard<T extends Element = HTMLElement>(m: Mounted, id: string, selector: string): T {
  const found = m.card(id).shadowRoot.querySelector<T>(selector);
  if (!found) throw new Error(`${selector} not found in card ${id}`);
  return found;
}

/** Opens the card's menu and presses an item. */
export async function menu(m: Mounted, id: string, action: 'dismiss' | 'snooze' | 'vote-up' | 'vote-down'): Promise<void> {
  inCard(m, id, '[part~="menu-button"]').click();
  await until(() => m.card(id).shadowRoot.querySelector(`[part~="menu-item"][data-action="${action}"]`), `menu item ${action}`);
  inCard(m, id, `[part~="menu-item"][data-action="${action}"]`).click();
}
