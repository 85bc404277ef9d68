// Browser-side helpers for the end-to-end SDK tests: the real platform started by
// support/platform-plugin.mjs, reached through the test server's /__cs/ helpers.
import type { CardDefinition } from '../../../packages/protocol/src/definition.js';

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** Calls the platform API with the bootstrap key (through the test server: no CORS there). */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const res = await fetch(`/__cs/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

let info: Promise<{ apiUrl?: string; error?: string; fuzzSeeds?: string; fuzzSteps?: string }> | undefined;
const readInfo = () => (info ??= fetch('/__cs/info').then((r) => r.json()));

/** The platform's URL; throws when it did not start. */
export async function platformUrl(): Promise<string> {
  const { apiUrl, error } = await readInfo();
  if (!apiUrl) throw new Error(error ?? 'The platform did not start.');
  return apiUrl;
}

/** The fuzz test's seeds and steps: FUZZ_SEEDS (comma-separated) and FUZZ_STEPS where the test runner has them, else `fallback`'s. */
export async function fuzzRun(fallback: { seeds: number[]; steps: number }): Promise<{ seeds: number[]; steps: number }> {
  const { fuzzSeeds, fuzzSteps } = await readInfo();
  return { seeds: fuzzSeeds ? fuzzSeeds.split(',').map(Number) : fallback.seeds, steps: fuzzSteps ? Number(fuzzSteps) : fallback.steps };
}

/** True once the platform serves the SDK API (the feed answers a fresh user's token). */
export async function sdkApiAvailable(): Promise<boolean> {
  const token = await mintToken(uniqueUser('probe'));
  const res = await fetch(`${await platformUrl()}/v1/sdk/streams/default/cards`, { headers: { authorization: `Bearer ${token}` } });
  return res.status === 200;
}

export const uniqueUser = (label: string) => `${label}-${Math.random().toString(36).slice(2, 10)}`;

export async function mintToken(userId: string, expiresIn?: number): Promise<string> {
  const res = await api<{ token: string }>('POST', '/v1/auth/token', { userId, ...(expiresIn ? { expiresIn } : {}) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/** A session delegate for `userId` that counts its calls. */
export function delegateFor(userId: string): (() => Promise<string>) & { calls: number } {
  const delegate = Object.assign(async () => {
    delegate.calls++;
    return mintToken(userId);
  }, { calls: 0 });
  return delegate;
}

export interface SendOptions {
  streamId?: string;
  runtimeVariables?: { name: string; defaultValue: string }[];
  priority?: number;
  variables?: Record<string, string>;
}

/** Creates and publishes a template and sends it to `userId`; returns the card instance id. */
export async function sendCard(userId: string, definition: Partial<CardDefinition>, options: SendOptions = {}): Promise<string> {
  const created = await api('POST', '/v1/card-templates', {
    name: `T ${Math.random().toString(36).slice(2, 7)}`,
    definition: { blocks: [], ...definition },
    ...(options.streamId ? { streamId: options.streamId } : {}),
    ...(options.runtimeVariables ? { runtimeVariables: options.runtimeVariables } : {}),
  });
  if (created.status !== 201) throw new Error(`template: ${created.status} ${JSON.stringify(created.body)}`);
  const published = await api('POST', `/v1/card-templates/${created.body.id}/publish`);
  if (published.status !== 200) throw new Error(`publish: ${published.status} ${JSON.stringify(published.body)}`);
  const sent = await api('POST', `/v1/action-flows/${created.body.id}/start`, {
    flows: [
      {
        target: { type: 'user', targetUserIds: [userId] },
        payload: {
          ...(options.variables ? { variables: options.variables } : {}),
          ...(options.priority ? { cardOptions: { priority: options.priority } } : {}),
        },
      },
    ],
  });
  if (sent.status !== 201) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
  return sent.body.cards[0].cardInstanceId as string;
}

export async function cardsOf(userId: string, query = ''): Promise<any[]> {
  const res = await api('GET', `/v1/cards?userId=${encodeURIComponent(userId)}${query}`);
  if (res.status !== 200) throw new Error(`cards: ${res.status}`);
  return res.body.data;
}

/** Stored analytics events, or undefined while the platform has no analytics read API. */
export async function analyticsEvents(query: Record<string, string>): Promise<any[] | undefined> {
  const res = await api('GET', `/v1/analytics/events?${new URLSearchParams({ limit: '1000', ...query })}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`analytics: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A switchable path to the platform: cut it (offline), refuse WebSocket upgrades, or hold HTTP answers back. */
export interface Network {
  url: string;
  /** Resolves with the HTTP answer chunks held back (the hold-http modes) once the mode is set. */
  set(mode: NetworkMode): Promise<number>;
}

export type NetworkMode = 'online' | 'offline' | 'no-websocket' | 'blackhole' | 'hold-http' | 'hold-http-no-websocket';

export async function newNetwork(): Promise<Network> {
  await platformUrl();
  const { id, url } = await (await fetch('/__cs/network', { method: 'POST' })).json();
  return {
    url,
    async set(mode) {
      const res = await fetch(`/__cs/network/${id}/${mode}`, { method: 'POST' });
      if (!res.ok) throw new Error(`network ${mode}: ${res.status}`);
      return ((await res.json()) as { held: number }).held;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value (returned) or `timeout` passes (throws). */
export async function until<T>(check: () => T | Promise<T>, what: string, timeout = 8000): Promise<NonNullable<T>> {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Counts the WebSockets the page opens from now on, until `restore()`. */
export function countSockets(): { count(): number; restore(): void } {
  const RealWebSocket = window.WebSocket;
  let opened = 0;
  window.WebSocket = class extends RealWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      opened++;
    }
  };
  return { count: () => opened, restore: () => void (window.WebSocket = RealWebSocket) };
}
