// End to end: `npm start` (scripts/start.mjs, on a free port, --memory) driven through real
// Chromium with playwright-core. Screenshots of the demo go to test-results/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startPlatform, type RunningPlatform } from './platform.js';

const KEY = 'e2e-bootstrap-key-at-least-32-characters';
const SHOTS = 'test-results/screenshots';
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';

let platform: RunningPlatform;
let base = '';
let browser: Browser;

const api = (method: string, path: string, body?: unknown) => platform.api(method, path, body);

/** Sends the seeded "Welcome" template to `userId` through the API. */
async function sendWelcome(userId: string): Promise<string> {
  const templates = (await api('GET', '/v1/card-templates')).data as { id: string; name: string }[];
  const welcome = templates.find((t) => t.name === 'Welcome');
  assert.ok(welcome, 'the demo seeds its sample templates');
  const sent = await api('POST', `/v1/action-flows/${welcome.id}/start`, {
    flows: [{ target: { type: 'user', targetUserIds: [userId] }, payload: { variables: { name: 'Tester' } } }],
  });
  return sent.cards[0].cardInstanceId as string;
}

/** Content-Security-Policy violations each page reports (the demo's pages allow nothing inline). */
const violations = new Map<Page, string[]>();

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('pageerror', (err) => console.log(`# page error: ${err.message}`));
  const seen: string[] = [];
  violations.set(page, seen);
  await page.exposeFunction('__cspViolation', (what: string) => seen.push(what));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __cspViolation(w: string): void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`)),
  );
  return page;
}

const cardIn = (page: Page, cardId?: string) => page.locator(cardId ? `card-stream [data-card-id="${cardId}"]` : 'card-stream [data-card-id]');

describe('the demo, end to end', () => {
  before(async () => {
    platform = await startPlatform(KEY);
    base = platform.url;
    browser = await chromium.launch({
      executablePath: CHROME,
      args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    platform?.process.kill('SIGTERM');
  });

  test('the demo pages are sent under a strict CSP, never framed, with nosniff; the page holds no key and breaks no rule', async () => {
    for (const path of ['/', '/script-tag.html', '/spa/']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    assert.equal((await fetch(`${base}/demo/key`)).status, 404);
    const page = await newPage();
    await page.goto(`${base}/?user=csp-${randomUUID().slice(0, 8)}`);
    await page.waitForSelector('card-stream');
    await page.waitForTimeout(1500);
    assert.deepEqual(violations.get(page), []);
    await page.close();
  });

  test('compose and send; the card shows in the stream and the table; dismissed in the stream, the table and the debugger follow', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    const page = await newPage();
    await page.goto(`${base}/?user=${user}`);
    await page.getByRole('button', { name: 'Send test card' }).click();
    const result = page.locator('pre.result');
    await result.waitFor();
    const { cards } = JSON.parse((await result.textContent()) as string) as { cards: { cardInstanceId: string }[] };
    const cardId = cards[0]?.cardInstanceId as string;
    await cardIn(page, cardId).waitFor({ timeout: 5000 });

    await page.locator('[data-tab="cards"]').click();
    await page.locator(`tr[data-card-id="${cardId}"] [data-status="active"]`).waitFor({ timeout: 5000 });

    await cardIn(page, cardId).locator('[part~="menu-button"]').click();
    await page.locator('card-stream [part~="menu-item"][data-action="dismiss"]').click();
    await cardIn(page, cardId).waitFor({ state: 'detached', timeout: 5000 });
    await page.locator(`tr[data-card-id="${cardId}"] [data-status="dismissed"]`).waitFor({ timeout: 5000 });

    await page.locator('[data-tab="analytics"]').click();
    await page.locator('details[data-event="card-dismissed"]').first().waitFor({ timeout: 5000 });
    await page.locator('details[data-event="card-dismissed"] summary').first().click();
    assert.match((await page.locator('details[data-event="card-dismissed"] pre').first().textContent()) ?? '', new RegExp(cardId));
    await page.close();
  });

  test('a card sent with expiresInterval PT3S leaves the stream on its own', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    const page = await newPage();
    await page.goto(`${base}/?user=${user}`);
    await page.locator('input[name="expiresInterval"]').fill('PT3S');
    await page.locator('input[name="expiresInterval"]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Send test card' }).click();
    await cardIn(page).waitFor({ timeout: 5000 });
    const shownAt = Date.now();
    await cardIn(page).waitFor({ state: 'detached', timeout: 8000 });
    assert.ok(Date.now() - shownAt < 7000);
    await page.locator('[data-tab="cards"]').click();
    await page.locator('[data-status="expired"]').waitFor({ timeout: 5000 });
    await page.close();
  });

  test('the script-tag page and the npm SPA example render a card sent through the API', async () => {
    for (const path of ['/script-tag.html', '/spa/']) {
      const user = `e2e-${randomUUID().slice(0, 8)}`;
      const cardId = await sendWelcome(user);
      const page = await newPage();
      await page.goto(`${base}${path}?user=${user}`);
      await cardIn(page, cardId).waitFor({ timeout: 8000 });
      await page.close();
    }
  });

  test("the cancel tool: criteria, review with the count, cancel now, the finished summary; the stream empties", async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) await sendWelcome(user);
    const page = await newPage();
    await page.goto(`${base}/?user=${user}`);
    await page.locator('card-stream [data-card-id]').nth(2).waitFor({ timeout: 8000 });
    await page.locator('[data-tab="cancel"]').click();
    await page.locator('form.cancel input[name="userId"]').fill(user);
    await page.locator('form.cancel input[name="userId"]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Review before cancelling' }).click();
    await page.locator('p.review strong', { hasText: '3' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Cancel cards now' }).click();
    await page.locator('section.job h3', { hasText: 'Cancellation finished' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('section.job dd.cancelled').textContent(), '3 of 3');
    assert.match((await page.locator('section.job').textContent()) ?? '', /bootstrap|demo/);
    await page.locator('card-stream [data-card-id]').first().waitFor({ state: 'detached', timeout: 5000 });
    await page.close();
  });

  test('the composer prefills each template\'s variables: "Order update" sends as it comes', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    const page = await newPage();
    await page.goto(`${base}/?user=${user}`);
    const template = page.locator('select[name="template"]');
    const variables = page.locator('textarea[name="variables"]');
    await template.locator('option', { hasText: 'Order update' }).waitFor({ state: 'attached' });
    assert.equal(await variables.inputValue(), 'name=Ada', 'the first template, Welcome, uses {{name}}');
    await template.selectOption({ label: 'Order update' });
    assert.equal(await variables.inputValue(), 'order=1234', 'its own placeholder; the previous one is gone');
    await page.getByRole('button', { name: 'Send test card' }).click();
    const result = page.locator('pre.result');
    await result.waitFor();
    const sent = JSON.parse((await result.textContent()) as string) as { cards: { cardInstanceId: string }[] };
    await cardIn(page, sent.cards[0]?.cardInstanceId).locator('.headline', { hasText: 'Order #1234 is on its way' }).waitFor({ timeout: 5000 });
    await variables.fill('order=77');
    await variables.dispatchEvent('change');
    await template.selectOption({ label: 'Quick survey' });
    assert.equal(await variables.inputValue(), '', 'a template without placeholders sends none');
    await template.selectOption({ label: 'Order update' });
    assert.equal(await variables.inputValue(), 'order=1234');
    await page.close();
  });

  test('the stream tabs: "Priority ≤ 3" shows the cards the platform filters, "All" every one', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    const templates = (await api('GET', '/v1/card-templates')).data as { id: string; name: string }[];
    const welcome = templates.find((t) => t.name === 'Welcome') as { id: string };
    const sendAt = async (priority: number) =>
      (await api('POST', `/v1/action-flows/${welcome.id}/start`, { flows: [{ target: { type: 'user', targetUserIds: [user] }, payload: { variables: { name: `P${priority}` }, cardOptions: { priority } } }] })).cards[0]
        .cardInstanceId as string;
    const [high, low] = [await sendAt(2), await sendAt(8)];
    const page = await newPage();
    await page.goto(`${base}/?user=${user}`);
    await cardIn(page, low).waitFor({ timeout: 8000 });
    await page.locator('.stream-tabs [data-view="urgent"]').click();
    await cardIn(page, low).waitFor({ state: 'detached', timeout: 5000 });
    await cardIn(page, high).waitFor();
    await page.locator('.stream-tabs [data-view="all"]').click();
    await cardIn(page, low).waitFor({ timeout: 5000 });
    assert.deepEqual(violations.get(page), []);
    await page.close();
  });

  test('the users panel saves a profile and makes a segment; the composer sends to it as a job and the card arrives live', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    const tag = `t${randomUUID().slice(0, 6)}`;
    const page = await newPage();
    await page.goto(`${base}/?user=${user}&tab=users`);
    await page.locator('input[name="userId"]').waitFor();
    assert.equal(await page.locator('input[name="userId"]').inputValue(), user, 'the profile form starts at the test user');
    await page.locator('textarea[name="attributes"]').fill('plan=pro\nseats=3');
    await page.locator('textarea[name="attributes"]').dispatchEvent('change');
    await page.locator('input[name="tags"]').fill(tag);
    await page.locator('input[name="tags"]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.locator('table.profiles td', { hasText: 'plan=pro, seats=3' }).first().waitFor({ timeout: 5000 });

    await page.locator('input[name="segmentName"]').fill(`Has ${tag}`);
    await page.locator('input[name="segmentName"]').dispatchEvent('change');
    await page.locator('select[name="kind"]').selectOption('tag');
    await page.locator('input[name="segmentTag"]').fill(tag);
    await page.locator('input[name="segmentTag"]').dispatchEvent('change');
    await page.getByRole('button', { name: 'Make segment' }).click();
    await page.locator('ul.segments li', { hasText: `Has ${tag}: 1 members` }).waitFor({ timeout: 5000 });

    await page.getByRole('tab', { name: 'Composer' }).click();
    await page.locator('select[name="audience"]').selectOption('segment');
    await page.locator('select[name="segment"]').selectOption({ label: `Has ${tag}` });
    await page.getByRole('button', { name: 'Send test card' }).click();
    await page.locator('section.job h3', { hasText: 'Send job completed' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('section.job p.sent').textContent(), '1 of 1 members sent');
    await cardIn(page).first().waitFor({ timeout: 5000 });
    const cards = (await api('GET', `/v1/cards?userId=${user}`)).data as { eventSource: string }[];
    assert.deepEqual(cards.map((c) => c.eventSource), ['test']);
    assert.deepEqual(violations.get(page), []);
    await page.screenshot({ path: `${SHOTS}/demo-users-panel-send-job.png` });
    await page.close();
  });

  test('the launcher page at 360 px, light and dark, in both directions: screenshots; the launcher, the panel and the menu button mirror under dir=rtl', async () => {
    const user = `e2e-${randomUUID().slice(0, 8)}`;
    await sendWelcome(user);
    await sendWelcome(user);
    const sides: Record<string, string[]> = {};
    for (const dir of ['ltr', 'rtl']) {
      for (const theme of ['light', 'dark']) {
        const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
        page.on('pageerror', (err) => console.log(`# page error: ${err.message}`));
        await page.goto(`${base}/?page=launcher&user=${user}&theme=${theme}&dir=${dir}`);
        const launcher = page.locator('card-stream [part~="launcher"]');
        await page.locator('card-stream [part~="launcher-count"]', { hasText: '2' }).waitFor({ timeout: 8000 });
        await page.screenshot({ path: `${SHOTS}/launcher-${dir}-${theme}-closed.png` });
        await launcher.click();
        const panel = page.locator('card-stream [part~="panel"]');
        await panel.waitFor({ state: 'visible' });
        const card = cardIn(page).first();
        await card.locator('[part~="menu-button"]').click();
        await page.locator('card-stream [part~="menu-item"][data-action="snooze"]').waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${SHOTS}/launcher-${dir}-${theme}-open.png` });
        const [l, p, c, m] = await Promise.all([launcher, panel, card, card.locator('[part~="menu-button"]')].map((x) => x.boundingBox()));
        assert.ok(l && p && c && m);
        assert.ok(p.x >= 0 && p.x + p.width <= 360, `${dir} ${theme}: the panel fits the screen (${p.x}, ${p.width})`);
        const side = (box: { x: number; width: number }, middle: number) => (box.x + box.width / 2 > middle ? 'right' : 'left');
        sides[`${dir} ${theme}`] = [side(l, 180), side(m, c.x + c.width / 2)];
        await page.keyboard.press('Escape');
        await page.keyboard.press('Escape');
        await panel.waitFor({ state: 'hidden' });
        await page.close();
      }
    }
    assert.deepEqual(sides, {
      'ltr light': ['right', 'right'],
      'ltr dark': ['right', 'right'],
      'rtl light': ['left', 'left'],
      'rtl dark': ['left', 'left'],
    });
  });

  test('screenshots of the demo, light and dark', async () => {
    const user = `shots-${randomUUID().slice(0, 8)}`;
    for (const name of ['Welcome', 'Order update', 'Quick survey']) {
      const templates = (await api('GET', '/v1/card-templates')).data as { id: string; name: string }[];
      const template = templates.find((t) => t.name === name);
      if (template) await api('POST', `/v1/action-flows/${template.id}/start`, { flows: [{ target: { type: 'user', targetUserIds: [user] }, payload: { variables: { name: 'Ada', order: '1234' } } }] });
    }
    for (const theme of ['light', 'dark']) {
      const page = await newPage();
      await page.goto(`${base}/?user=${user}&theme=${theme}`);
      await cardIn(page).first().waitFor({ timeout: 8000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: `${SHOTS}/demo-${theme}.png`, fullPage: true });
      await page.locator('[data-tab="analytics"]').click();
      await page.locator('details[data-event]').first().waitFor({ timeout: 5000 });
      await page.screenshot({ path: `${SHOTS}/demo-analytics-${theme}.png`, fullPage: true });
      await page.locator('[data-tab="insights"]').click();
      await page.locator('section.insight').first().waitFor({ timeout: 5000 });
      await page.screenshot({ path: `${SHOTS}/demo-insights-${theme}.png`, fullPage: true });
      await page.goto(`${base}/?user=${user}&theme=${theme}&dir=rtl`);
      await cardIn(page).first().waitFor({ timeout: 8000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: `${SHOTS}/demo-rtl-${theme}.png`, fullPage: true });
      await page.close();
    }
  });
});
