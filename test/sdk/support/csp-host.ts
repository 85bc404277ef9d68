// The CSP host page's own script: the SDK configured as a host would, reporting to the
// test (the parent frame) what it shows and any policy violation.
import { configure } from '../../../packages/card-stream/src/register.js';

const params = new URLSearchParams(location.search);
const user = params.get('user') ?? '';
const el = document.getElementById('cs')!;
let state = '';
el.addEventListener('cs-state', (e) => (state = e.detail.state));

configure({
  apiBase: params.get('api') ?? '',
  sessionDelegate: async () => {
    const res = await fetch('/__cs/api/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: user }),
    });
    return ((await res.json()) as { token: string }).token;
  },
});

const started = Date.now();
const timer = setInterval(() => {
  const ids = [...el.shadowRoot!.querySelectorAll('[part~="card"]')].map((c) => c.getAttribute('data-card-id'));
  if ((ids.length && state === 'live') || Date.now() - started > 10_000) {
    clearInterval(timer);
    // A moment more, so a late violation (styles, socket) is counted too.
    setTimeout(() => parent.postMessage({ type: 'csp-report', ids, state, violations: window.cspViolations }, '*'), 500);
  }
}, 100);
