// The card-stream demo: a test user's live stream beside the tools that drive it — the
// composer, the user's cards through the Cards API, the analytics debugger and the cancel
// tool. Everything comes from this server; nothing is loaded from elsewhere.
// `?page=launcher` shows the second page instead: the stream behind a launcher button.
// `?dir=rtl` and `?lang=…` set the page's direction and language.
import { html, render } from 'lit';
import { configure, defineElements } from '../../packages/card-stream/src/index.js';
import { api, userToken } from './api.js';
import { Composer } from './composer.js';
import { CardsTable } from './cards-table.js';
import { Debugger } from './debugger.js';
import { CancelTool } from './cancel-tool.js';
import { InsightsChart } from './insights.js';
import { LauncherPage } from './launcher-page.js';
import { UsersPanel } from './users-panel.js';
import './demo.css';

const USERS = ['ada', 'grace', 'alan', 'katherine'];
// The stream's tabs: the platform filters the stream (CONTRACT §8a); the element keeps the
// page's one client and socket whichever tab shows.
const VIEWS = {
  all: { label: 'All', filter: undefined },
  urgent: { label: 'Priority ≤ 3', filter: [{ field: 'priority' as const, op: 'lte' as const, value: 3 }] },
};
type View = keyof typeof VIEWS;
let streamView: View = 'all';
const TABS = { composer: 'Composer', cards: 'Cards', users: 'Users', analytics: 'Analytics', insights: 'Insights', cancel: 'Cancel cards' } as const;
type Tab = keyof typeof TABS;

const params = new URLSearchParams(location.search);
const userId = params.get('user') ?? USERS[0] as string;
const theme = params.get('theme') === 'dark' ? 'dark' : 'light';
let tab: Tab = (params.get('tab') as Tab | null) ?? 'composer';
if (!(tab in TABS)) tab = 'composer';
document.documentElement.dataset.theme = theme;
if (params.get('dir') === 'rtl') document.documentElement.dir = 'rtl';
if (params.get('lang')) document.documentElement.lang = params.get('lang') as string;

configure({ apiBase: location.origin, sessionDelegate: () => userToken(userId) });
defineElements();

const app = document.getElementById('app') as HTMLElement;
app.replaceChildren(); // the loading line goes
const launcherPage = params.get('page') === 'launcher' ? new LauncherPage(userId, theme, () => update()) : undefined;
const update = () => render(launcherPage ? launcherPage.render(`/?${new URLSearchParams({ user: userId, theme })}`) : view(), app);
const composer = new Composer(userId, update);
const cards = new CardsTable(userId, update);
const events = new Debugger(userId, update);
const cancel = new CancelTool(update);
const insights = new InsightsChart(update);
const users = new UsersPanel(userId, update, () => void composer.loadSegments());

/** Moves to another user or theme: the page reloads so the SDK starts a fresh session. */
function go(changes: Record<string, string>): void {
  const next = new URLSearchParams({ user: userId, theme, tab, ...changes });
  location.search = next.toString();
}

function panel() {
  switch (tab) {
    case 'composer':
      return composer.render();
    case 'cards':
      return cards.render();
    case 'users':
      return users.render();
    case 'analytics':
      return events.render();
    case 'insights':
      return insights.render();
    case 'cancel':
      return cancel.render();
  }
}

function view() {
  return html`
    <header class="top">
      <h1>card-stream <span>demo</span></h1>
      <p class="lede">Send a card on the right; it appears in <strong>${userId}</strong>'s stream on the left, live.
        Act on it there or through the Cards API, and watch the analytics events arrive.</p>
      <label class="user">Test user
        <select name="user" @change=${(e: Event) => go({ user: (e.target as HTMLSelectElement).value })}>
          ${[...new Set([...USERS, userId])].map((u) => html`<option ?selected=${u === userId}>${u}</option>`)}
        </select></label>
      <button class="theme" @click=${() => go({ theme: theme === 'dark' ? 'light' : 'dark' })}>${theme === 'dark' ? 'Light' : 'Dark'} theme</button>
      <a class="page-link" href=${`/?${new URLSearchParams({ page: 'launcher', user: userId, theme })}`}>Launcher page</a>
    </header>
    <main class="layout">
      <section class="stream-panel" aria-label="Live stream">
        <h2>${userId}'s stream <card-count stream="default" class="count-badge"></card-count></h2>
        <div class="stream-tabs" role="tablist" aria-label="Filter">
          ${(Object.keys(VIEWS) as View[]).map(
            (key) => html`<button role="tab" data-view=${key} aria-selected=${key === streamView} @click=${() => ((streamView = key), update())}>${VIEWS[key].label}</button>`,
          )}
        </div>
        <card-stream stream="default" theme=${theme} .filter=${VIEWS[streamView].filter}></card-stream>
      </section>
      <section class="tools" aria-label="Tools">
        <nav class="tabs" role="tablist">
          ${(Object.keys(TABS) as Tab[]).map(
            (key) => html`<button role="tab" data-tab=${key} aria-selected=${key === tab} @click=${() => ((tab = key), key === 'users' ? void users.refresh() : undefined, update())}>${TABS[key]}</button>`,
          )}
        </nav>
        <div class="panel" role="tabpanel">
          ${panel()}
        </div>
      </section>
    </main>
  `;
}

update();
if (!launcherPage) startTools();

/** The composer, the table, the debugger and the insights follow the platform. */
function startTools(): void {
  void composer.load();
  if (tab === 'users') void users.refresh();
  void api<{ data: { id: string; name: string }[] }>('GET', '/v1/card-templates').then((res) => {
    cancel.templates = res.body.data ?? [];
    update();
  });
  // The table and the debugger follow the platform once a second.
  const poll = async () => {
    await Promise.all([cards.refresh(), events.refresh(), tab === 'insights' ? insights.refresh() : undefined]).catch(() => undefined);
    setTimeout(poll, 1000);
  };
  void poll();
}
