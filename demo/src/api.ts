// The demo's calls to the platform API go through /demo/api/…, which a server started with
// --demo answers for its own pages on this machine only, adding its credential itself: the
// page never holds a key.

export interface ApiResult<T> {
  status: number;
  body: T;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const res = await fetch(`/demo/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** An end-user token for the picked test user (the demo's stand-in for a host backend). */
export async function userToken(userId: string): Promise<string> {
  const res = await fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
  if (!res.ok) throw new Error(`POST /demo/token: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** A one-line summary of an error body, for the page. */
export function errorText(result: ApiResult<any>): string {
  return result.body?.error ? `${result.status} ${result.body.error.code}: ${result.body.error.message}` : `HTTP ${result.status}`;
}
