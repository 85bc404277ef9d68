// The end-user token: asked of the host's session delegate, cached until shortly before it
// expires, refreshed ahead of expiry so an open socket can hand over a new one (`token`
// message) before the server closes it with 4419.
import type { SessionDelegate } from '../config.js';

interface Claims {
  sub?: string;
  exp?: number;
  iat?: number;
}

/**
 * When (seconds since the epoch) a token counts as stale: 60 s before `exp`, or a quarter
 * of its lifetime before for short-lived tokens, so those are not fetched for every call.
 */
function staleAt({ exp = Infinity, iat = 0 }: Claims): number {
  return exp - Math.min(60, (exp - iat) / 4);
}

export function decodeClaims(token: string): Claims {
  try {
    const part = token.split('.')[1] ?? '';
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))) as Claims;
  } catch {
    return {};
  }
}

/** No token came: the delegate threw or gave nothing, or the platform refused what it gave. */
export class SessionError extends Error {}

export class Session {
  #current?: { token: string; claims: Claims };
  #pending?: Promise<string>;
  #timer?: ReturnType<typeof setTimeout>;
  #listener?: ((token: string) => void) | undefined;
  #stopped = false;

  /** Replaceable: a host that passes a new function each render keeps this session. */
  delegate: SessionDelegate;

  /** `token`: one the delegate just gave (the page's registry asked it, to learn the user). */
  constructor(delegate: SessionDelegate, token?: string) {
    this.delegate = delegate;
    if (token) this.#current = { token, claims: decodeClaims(token) };
  }

  get userId(): string | undefined {
    return this.#current?.claims.sub;
  }

  /** A token that is not about to expire, from the cache when possible. */
  token(): Promise<string> {
    const c = this.#current;
    if (c && staleAt(c.claims) > Date.now() / 1000) {
      return Promise.resolve(c.token);
    }
    return this.refresh();
  }

  /** Asks the delegate again (after a 401 or an auth close); concurrent callers share one call. */
  refresh(): Promise<string> {
    this.#pending ??= Promise.resolve()
      .then(() => this.delegate())
      .catch((err: Error) => {
        throw new SessionError(`the session delegate failed: ${err?.message ?? err}`);
      })
      .then((token) => {
        if (typeof token !== 'string' || !token) throw new SessionError('the session delegate gave no token');
        const changed = token !== this.#current?.token;
        this.#current = { token, claims: decodeClaims(token) };
        this.#schedule();
        if (changed) this.#listener?.(token);
        return token;
      })
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** Called with each token that differs from the previous one (the client's socket listens). */
  onToken(listener: ((token: string) => void) | undefined): void {
    this.#listener = listener;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const claims = this.#current?.claims;
    if (this.#stopped || claims?.exp === undefined) return;
    // Never sooner than 5 s, so a token that is already stale cannot spin the delegate.
    const wait = Math.max(5_000, staleAt(claims) * 1000 - Date.now());
    this.#timer = setTimeout(() => void this.refresh().catch(() => undefined), Math.min(wait, 2 ** 31 - 1));
  }
}
