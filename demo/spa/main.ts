// A minimal single-page app using the npm package: `import … from 'card-stream'` resolves
// to the package's ES module (dist/card-stream.js, lit as a normal dependency), exactly as
// in an app that ran `npm install card-stream`.
import { configure, defineElements } from 'card-stream';

const userId = new URLSearchParams(location.search).get('user') ?? 'ada';

// In a real app the token comes from your own backend, which mints it with its `auth` key.
async function sessionToken(): Promise<string> {
  const res = await fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
  return ((await res.json()) as { token: string }).token;
}

configure({ apiBase: location.origin, sessionDelegate: sessionToken });
defineElements();

const stream = document.createElement('card-stream');
stream.setAttribute('stream', 'default');
document.getElementById('root')?.append(stream);
