// HTTP to the SDK API (docs/protocol.md): the token in `Authorization`, one retry with a
// fresh token after a 401, and a clear split between "the network failed" (retry later)
// and "the server answered" (a definite result).
import { SessionError, type Session } from './session.js';

export interface ApiResponse<T> {
  status: number;
  body: T | undefined;
  etag: string | null;
}

/** The request never got an answer (offline, refused, reset, CORS). */
export class NetworkError extends Error {}

export class Api {
  /** Absent for a channel: its routes are public. */
  readonly #session: Session | undefined;

  constructor(
    readonly base: string,
    session: Session | undefined,
  ) {
    this.#session = session;
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const session = this.#session;
    let res = await this.#send(method, path, body, headers, await session?.token());
    if (res.status === 401 && session) res = await this.#send(method, path, body, headers, await session.refresh());
    if (res.status === 401 && session) throw new SessionError('the platform refused the session token (401)');
    const parsed = res.status === 304 ? undefined : ((await res.json().catch(() => undefined)) as T | undefined);
    return { status: res.status, body: parsed, etag: res.headers.get('etag') };
  }

  async #send(method: string, path: string, body: unknown, headers: Record<string, string>, token?: string): Promise<Response> {
    try {
      return await fetch(this.base + path, {
        method,
        headers: {
          ...headers,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : String(err));
    }
  }
}
