// console-check.js: the admin console in a real browser (Debian's chromium via puppeteer-core):
// sign in, see a delivery arrive, open it, retry a dead job until it is done, the people list shows
// an activated person (PERSON_LOGIN) linking to the timeline, resend for a person,
// a hostile login stays text, no console errors or CSP violations, axe-core finds nothing serious,
// sign out and be refused. Env: PERSON_LOGIN, ADMIN_URL, ADMIN_TOKEN, HOOK_URL, HOOK_SECRET, SIM_URL, SHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), NODE_EXTRA_CA_CERTS. Prints ok/FAIL lines; exit 1 on a failure.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');
const axe = require('axe-core');

const env = process.env;
const HOSTILE = '<img src=x onerror=alert(1)>';
let failures = 0, passes = 0;
function ok(what) { passes++; console.log('  ok: ' + what); }
function fail(what) { failures++; console.log('  FAIL: ' + what); }
function expect(cond, what) { if (cond) ok(what); else fail(what); }

async function deliver(uuid, type, login) {
  const body = { data: { events: [{ uuid, eventType: type, published: new Date().toISOString(), actor: { id: '00uadmin' },
    target: [{ type: 'User', id: '00u' + uuid, alternateId: login, displayName: 'Console Test' }] }] } };
  const r = await fetch(env.HOOK_URL, { method: 'POST', headers: { Authorization: env.HOOK_SECRET, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return r.status;
}

async function shot(page, name) {
  fs.mkdirSync(env.SHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(env.SHOT_DIR, name + '.png'), fullPage: true });
}

async function accessibility(page, name) {
  await page.evaluate(axe.source);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.length === 0, `axe-core: no serious or critical violation on ${name}` + (bad.length ? ': ' + JSON.stringify(bad) : ''));
}

async function go(page, hash, selector) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector, { timeout: 10000 });
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium', headless: true, acceptInsecureCerts: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--window-size=1280,900'],
    defaultViewport: { width: 1280, height: 900 },
  });
  const page = await browser.newPage();
  const consoleErrors = [], dialogs = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  await page.evaluateOnNewDocument(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  const resp = await page.goto(env.ADMIN_URL + '/', { waitUntil: 'networkidle0' });
  expect(/default-src 'self'/.test(resp.headers()['content-security-policy'] || ''), "the page carries Content-Security-Policy: default-src 'self'");
  await page.waitForSelector('#signin-form', { visible: true });
  await shot(page, 'signin');
  await accessibility(page, 'the sign-in page');

  await page.type('#signin-token', 'wrong-token-for-sure');
  await page.click('#signin-submit');
  await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0);
  expect(await page.$eval('#signin-error', (e) => e.textContent.includes('wrong admin token')), 'a wrong token is refused on the page');
  // the browser itself logs the 401s of the session probe before sign-in and of that attempt: expected
  consoleErrors.length = 0;
  await page.$eval('#signin-token', (e) => { e.value = ''; });
  await page.type('#signin-name', 'Console Tester');
  await page.type('#signin-token', env.ADMIN_TOKEN);
  await page.click('#signin-submit');
  await page.waitForSelector('.tiles', { timeout: 10000 });
  expect(await page.$eval('#who', (e) => e.textContent.includes('console:Console Tester')), 'signed in, the header names who');
  const cookies = await page.cookies();
  const c = cookies.find((k) => k.name === '__Host-hookd_session');
  expect(c && c.httpOnly && c.secure && c.sameSite === 'Strict' && c.expires > Date.now() / 1000, 'the session cookie is HttpOnly, Secure, SameSite=Strict with an expiry');
  expect(await page.evaluate(() => document.cookie.includes('hookd_session')) === false, 'scripts cannot read the session cookie');
  await shot(page, 'overview');
  await accessibility(page, 'the overview');

  await go(page, '#/events', '#events-table');
  expect(await deliver('console-1', 'user.lifecycle.create', HOSTILE) === 200, 'a delivery with a hostile login is accepted');
  const row = await page.waitForFunction((h) => [...document.querySelectorAll('#events-table tbody tr')]
    .find((tr) => [...tr.cells].some((td) => td.textContent === h)), { timeout: 15000 }, HOSTILE).catch(() => null);
  expect(row !== null, 'the delivery appears in the events list without a reload');
  expect(await page.$$eval('#page img', (imgs) => imgs.length) === 0, 'the hostile login renders as text (no <img> element)');
  await shot(page, 'events');
  await accessibility(page, 'the events page');
  const id = await page.evaluate((h) => [...document.querySelectorAll('#events-table tbody tr')]
    .find((tr) => [...tr.cells].some((td) => td.textContent === h)).dataset.id, HOSTILE);
  await page.click(`#events-table tr[data-id="${id}"]`);
  await page.waitForSelector('#raw', { timeout: 10000 });
  const raw = await page.$eval('#raw', (e) => e.textContent);
  let parsed = null;
  try { parsed = JSON.parse(raw); } catch (e) { /* checked below */ }
  expect(parsed && parsed.uuid === 'console-1' && raw.includes('\n  "'), 'the detail shows the raw JSON pretty-printed');
  await shot(page, 'event-detail');
  await accessibility(page, 'the event detail');

  // the event detail has a #jobs-table too: wait for the dead job's button, not for any table
  await go(page, '#/jobs?state=dead', '#jobs-table');
  const deadId = await page.waitForSelector('#jobs-table button[data-action="retry"]', { timeout: 10000 })
    .then((b) => b.evaluate((e) => e.dataset.job)).catch(() => null);
  expect(deadId !== null, 'the dead job is listed with a Retry button');
  await shot(page, 'jobs');
  await accessibility(page, 'the jobs page');
  await fetch(env.SIM_URL + '/sim/faults', { method: 'DELETE' });
  if (deadId) {
    await go(page, '#/jobs', `#jobs-table tr[data-job="${deadId}"]`);
    const heldNote = (jid) => page.$eval(`#jobs-table tr[data-job="${jid}"]`, (tr) => tr.textContent).catch(() => '');
    expect((await heldNote(env.HELD_ID)).includes('held behind job ' + deadId), 'a job held behind the dead one says so');
    await page.click(`#jobs-table button[data-action="retry"][data-job="${deadId}"]`);
    await page.waitForSelector('#confirm[open]');
    expect(await page.$eval('#confirm-text', (e, jid) => e.textContent.includes('Retry job ' + jid), deadId), 'retry asks for confirmation');
    await page.click('#confirm-yes');
    const done = await page.waitForFunction((jid) => {
      const tr = document.querySelector(`#jobs-table tr[data-job="${jid}"]`);
      return tr && tr.querySelector('.badge').textContent === 'done';
    }, { timeout: 20000 }, deadId).catch(() => null);
    expect(done !== null, 'the retried job finishes (done) on the page');
    const released = await page.waitForFunction((jid) => {
      const tr = document.querySelector(`#jobs-table tr[data-job="${jid}"]`);
      return tr && !tr.textContent.includes('held behind');
    }, { timeout: 10000 }, env.HELD_ID).catch(() => null);
    expect(released !== null, 'once the dead job changed, the held job is no longer marked');
  }

  const person = env.PERSON_LOGIN;
  await go(page, '#/people', '#people-table');
  const listed = await page.waitForFunction((l) => [...document.querySelectorAll('#people-table tbody tr')]
    .some((tr) => tr.dataset.login === l && tr.querySelector('.badge').textContent === 'pending'), { timeout: 10000 }, person).catch(() => null);
  expect(listed !== null, 'the people list shows the activated person as pending');
  const href = await page.$eval(`#people-table tr[data-login="${person}"] a`, (a) => a.getAttribute('href')).catch(() => null);
  expect(href === '#/people/' + encodeURIComponent(person), "the person's row links to the timeline");
  await shot(page, 'people');
  await accessibility(page, 'the people list');
  await go(page, '#/people', '#f-login');
  // the timeline's fetch is held past a poll tick while the login field keeps the focus: the poll
  // stands aside, and must not void the navigation in flight. The hold is the console's own POLL_MS
  // (read from the app.js hookd serves) plus half a second, so a longer interval cannot outgrow it.
  const appJs = await (await fetch(env.ADMIN_URL + '/ui/app.js')).text();
  const pollMs = Number((/const POLL_MS = (\d+);/.exec(appJs) || [])[1]);
  expect(pollMs > 0, `the console's poll interval is read from its app.js (${pollMs} ms)`);
  const hold = async (req) => {
    if (req.isInterceptResolutionHandled()) return;
    if (req.method() === 'GET' && req.url().endsWith('/api/people/dave%40example.com')) await new Promise((r) => setTimeout(r, (pollMs || 3000) + 500));
    await req.continue();
  };
  await page.setRequestInterception(true);
  page.on('request', hold);
  await page.type('#f-login', 'dave@example.com');
  await page.keyboard.press('Enter');
  const opened = await page.waitForSelector('#resend', { timeout: 15000 }).catch(() => null);
  page.off('request', hold);
  await page.setRequestInterception(false);
  expect(opened !== null, 'a timeline opened from the login field opens although a poll ticked during its fetch');
  if (!opened) throw new Error('the person page did not open');
  await page.click('#resend');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-yes');
  const queued = await page.waitForFunction(() => [...document.querySelectorAll('#jobs-table tbody tr')]
    .some((tr) => tr.textContent.includes('resend_activation')), { timeout: 10000 }).catch(() => null);
  expect(queued !== null, 'resend for a person queues a resend_activation job, shown on the timeline');
  await shot(page, 'person');
  await accessibility(page, 'the person page');

  await go(page, '#/sources', '[data-source="okta"]');
  expect(await page.$eval('[data-source="okta"]', (e) => e.textContent.includes('401 unauthorized')), 'the sources page shows the last refusal reason');
  await shot(page, 'sources');
  await accessibility(page, 'the sources page');

  const csp = await page.evaluate(() => window.__csp);
  expect(csp.length === 0, 'no CSP violations' + (csp.length ? ': ' + csp.join('; ') : ''));
  expect(dialogs.length === 0, 'no alert ran' + (dialogs.length ? ': ' + dialogs.join('; ') : ''));
  expect(consoleErrors.length === 0, 'no console errors' + (consoleErrors.length ? ': ' + consoleErrors.join('; ') : ''));

  await page.click('#signout');
  await page.waitForSelector('#signin-form', { visible: true });
  const after = await page.evaluate(async () => (await fetch('/api/overview')).status);
  expect(after === 401, 'after sign-out the API refuses the browser (401)');
  await browser.close();
  console.log(`console-check: ${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log('  FAIL: ' + (e.stack || e)); process.exit(1); });
