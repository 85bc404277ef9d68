// Setup for demo/script-tag.html: the user comes from ?user= (default "ada"), and the
// token from the demo's token endpoint — a real page asks its own backend instead.
const userId = new URLSearchParams(location.search).get('user') || 'ada';
window.CardStream.configure({
  apiBase: location.origin,
  sessionDelegate: () =>
    fetch('/demo/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) })
      .then((res) => res.json())
      .then((body) => body.token),
});
