// admin-check.js: drives the admin API of a running hookd and validates every answer against
// docs/admin-api.yaml. Env: ADMIN_URL, ADMIN_TOKEN, ADMIN_SPEC, NODE_EXTRA_CA_CERTS (the test CA),
// STUCK_LOGIN (a person stuck) and FRESH_LOGIN (a person activated after it, not stuck).
// Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
'use strict';
const { validator } = require('./admin-spec');

const base = process.env.ADMIN_URL;
const token = process.env.ADMIN_TOKEN;
const check = validator(process.env.ADMIN_SPEC);
let failures = 0, passes = 0;

function ok(what) { passes++; console.log('  ok: ' + what); }
function fail(what) { failures++; console.log('  FAIL: ' + what); }
function expect(cond, what) { if (cond) ok(what); else fail(what); }

// One call: validated against the spec under template; returns {status, body, headers}.
async function call(method, path, template, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (opts.auth !== false) headers.Authorization = 'Bearer ' + token;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch (e) { fail(`${method} ${path}: answer is not JSON`); }
  }
  const problems = check(method, template, r.status, body);
  if (problems.length) fail(`${method} ${path} (${r.status}) matches the spec: ${problems.slice(0, 3).join('; ')}`);
  else ok(`${method} ${path} (${r.status}) matches the spec`);
  return { status: r.status, body, headers: r.headers };
}

async function main() {
  let r = await call('GET', '/api/overview', '/api/overview', { auth: false });
  expect(r.status === 401 && r.body.error === 'unauthorized', 'no token: 401 in the error shape');
  r = await call('GET', '/api/overview', '/api/overview', { headers: { Authorization: 'Bearer wrong-token-wrong-token' }, auth: false });
  expect(r.status === 401, 'a wrong token: 401');
  r = await call('GET', '/api/overview', '/api/overview');
  expect(r.status === 200 && r.body.jobs.dead >= 1, 'overview counts the dead job');
  expect(r.body.stuck_people === 1, 'overview counts the stuck person');
  const rate = r.body.okta_rate || [];
  expect(rate.some((b) => b.bucket === 'user_write' && b.limit > 0 && b.remaining >= 0 && b.remaining <= b.limit &&
    b.seen_ms <= r.body.now_ms), "overview shows the Okta rate window of the lifecycle calls it made");

  r = await call('GET', '/api/events', '/api/events');
  expect(r.status === 200 && r.body.events.length >= 3, 'events listed');
  const all = r.body.events;
  r = await call('GET', '/api/events?source=okta&limit=1', '/api/events');
  expect(r.body.events.length === 1 && r.body.events[0].source === 'okta' && r.body.next_cursor, 'source filter and limit, with a cursor');
  const first = r.body.events[0];
  r = await call('GET', '/api/events?source=okta&limit=1&cursor=' + r.body.next_cursor, '/api/events');
  expect(r.body.events.length === 1 && r.body.events[0].id < first.id, 'the cursor gives the next older event');
  r = await call('GET', '/api/events?type=user.lifecycle.deactivate', '/api/events');
  expect(r.body.events.length >= 1 && r.body.events.every((e) => e.type === 'user.lifecycle.deactivate'), 'type filter');
  r = await call('GET', '/api/events?subject=carol%40example.com', '/api/events');
  expect(r.body.events.length >= 1 && r.body.events.every((e) => e.subject_login === 'carol@example.com'), 'subject filter');
  r = await call('GET', '/api/events?since=' + (Date.now() + 3600000), '/api/events');
  expect(r.body.events.length === 0 && r.body.next_cursor === null, 'since in the future: nothing');
  r = await call('GET', '/api/events?until=1000', '/api/events');
  expect(r.body.events.length === 0, 'until long ago: nothing');
  r = await call('GET', '/api/events?status=maybe', '/api/events');
  expect(r.status === 400 && r.body.error === 'bad_filter', 'a bad status filter: 400');
  r = await call('GET', '/api/events?cursor=abc', '/api/events');
  expect(r.status === 400 && r.body.error === 'bad_cursor', 'a bad cursor: 400');
  r = await call('GET', '/api/events?subject=' + 'x'.repeat(300), '/api/events');
  expect(r.status === 400 && r.body.error === 'bad_filter', 'an over-long subject: 400, not ignored');
  r = await call('GET', '/api/events?cursor=' + '1'.repeat(80), '/api/events');
  expect(r.status === 400 && r.body.error === 'bad_cursor', 'an over-long cursor: 400');
  r = await call('GET', '/api/events?source=okta&type=user.lifecycle.create&limit=1', '/api/events');
  expect(r.body.events.length === 1 && r.body.events[0].type === 'user.lifecycle.create' && r.body.next_cursor === null,
    'source and type filtered by the journal: the one match, and no further page');

  const withJob = all.find((e) => e.type === 'user.lifecycle.deactivate');
  r = await call('GET', '/api/events/' + withJob.id, '/api/events/{id}');
  expect(r.status === 200 && r.body.jobs.length === 1 && typeof r.body.event.raw === 'object', 'one event with its job and raw JSON');
  r = await call('GET', '/api/events/999999', '/api/events/{id}');
  expect(r.status === 404, 'an unknown event: 404');

  r = await call('GET', '/api/jobs?state=dead', '/api/jobs');
  expect(r.status === 200 && r.body.jobs.length >= 1 && r.body.jobs.every((j) => j.state === 'dead'), 'jobs filtered by state');
  const dead = r.body.jobs[0];
  r = await call('GET', '/api/jobs?action=deactivate_user&subject=' + encodeURIComponent(dead.subject), '/api/jobs');
  expect(r.body.jobs.some((j) => j.id === dead.id), 'jobs filtered by action and subject');
  r = await call('GET', '/api/jobs?state=sleeping', '/api/jobs');
  expect(r.status === 400, 'a bad state filter: 400');
  r = await call('POST', `/api/jobs/${dead.id}/cancel`, '/api/jobs/{id}/cancel');
  expect(r.status === 409 && r.body.error === 'wrong_state', 'a dead job cannot be cancelled: 409');
  r = await call('POST', `/api/jobs/${dead.id}/retry`, '/api/jobs/{id}/retry');
  expect(r.status === 200 && ['pending', 'running', 'done', 'dead'].includes(r.body.job.state), 'retry a dead job');
  r = await call('GET', '/api/jobs/' + dead.id, '/api/jobs/{id}');
  expect(r.status === 200 && r.body.job.id === dead.id, 'one job');
  r = await call('GET', '/api/jobs/999999', '/api/jobs/{id}');
  expect(r.status === 404, 'an unknown job: 404');
  r = await call('POST', '/api/jobs/999999/retry', '/api/jobs/{id}/retry');
  expect(r.status === 404, 'retrying an unknown job: 404');

  r = await call('POST', '/api/people/dave%40example.com/resend', '/api/people/{login}/resend');
  expect(r.status === 202 && r.body.job.action === 'resend_activation' && r.body.job.subject === 'dave@example.com', 'resend queues a job');
  r = await call('GET', '/api/jobs?state=pending&action=update_profile', '/api/jobs');
  expect(r.body.jobs.length === 1, 'the delayed job is pending');
  r = await call('POST', `/api/jobs/${r.body.jobs[0].id}/cancel`, '/api/jobs/{id}/cancel');
  expect(r.status === 200 && r.body.job.state === 'dead' && /cancelled by api/.test(r.body.job.last_error), 'cancel a pending job');
  r = await call('GET', '/api/people/dave%40example.com', '/api/people/{login}');
  expect(r.status === 200 && r.body.events.some((e) => e.type === 'admin.user.resend') && r.body.jobs.length >= 1, "a person's timeline");
  const stuckLogin = process.env.STUCK_LOGIN, freshLogin = process.env.FRESH_LOGIN;
  r = await call('GET', '/api/people', '/api/people');
  const people = r.body.people || [];
  const fresh = people.find((p) => p.login === freshLogin);
  expect(r.status === 200 && people.length === 2 && r.body.more === false, 'the onboarding list holds both people');
  expect(people[0].login === stuckLogin && people[0].state === 'stuck' && /still PROVISIONED/.test(people[0].last_error) &&
    people[0].origin === 'operator' && people[0].next_follow_up_ms > people[0].updated_ms,
  'the stuck person first, with why and the last look scheduled');
  expect(fresh && fresh.state !== 'stuck' && fresh.updated_ms > people[0].updated_ms,
    'the stuck person comes before a more recently updated one');
  r = await call('GET', '/api/people?limit=1', '/api/people');
  expect(r.body.people.length === 1 && r.body.people[0].login === stuckLogin && r.body.more === true, 'limit keeps the stuck person and says there is more');
  r = await call('GET', '/api/people?state=stuck', '/api/people');
  expect(r.body.people.length === 1 && r.body.people[0].login === stuckLogin, 'state filter');
  r = await call('GET', '/api/people?login=' + encodeURIComponent(freshLogin), '/api/people');
  expect(r.body.people.length === 1 && r.body.people[0].login === freshLogin, 'login filter');
  r = await call('GET', '/api/people?okta_status=provisioned&state=stuck', '/api/people');
  expect(r.body.people.length === 1, 'okta_status filter, any case');
  r = await call('GET', '/api/people?state=sleeping', '/api/people');
  expect(r.status === 400 && r.body.error === 'bad_filter', 'a bad state: 400');
  r = await call('GET', '/api/people?limit=0', '/api/people');
  expect(r.status === 400 && r.body.error === 'bad_filter', 'a bad limit: 400');
  r = await call('GET', '/api/people?login=' + 'x'.repeat(300), '/api/people');
  expect(r.status === 400 && r.body.error === 'bad_filter', 'an over-long login: 400, not ignored');

  r = await call('GET', '/api/events?source=admin', '/api/events');
  const types = r.body.events.map((e) => e.type);
  expect(['admin.job.retry', 'admin.job.cancel', 'admin.user.resend'].every((t) => types.includes(t)) &&
    r.body.events.filter((e) => e.type !== 'admin.user.activate').every((e) => e.actor_id === 'api'),
  'every change made here is an admin event naming who made it (the CLI activations are admin events of their own)');

  r = await call('GET', '/api/sources', '/api/sources');
  const okta = r.body.sources.find((s) => s.source === 'okta');
  const hr = r.body.sources.find((s) => s.source === 'hr:people');
  expect(okta && okta.last_accepted_ms > 0 && okta.refusals.by_reason.some((x) => x.status === 401), 'the Okta hook: last delivery and the wrong-secret refusal');
  expect(hr && hr.kind === 'hr', 'the HR source is listed');

  r = await call('POST', '/api/session', '/api/session', { auth: false, body: { token: 'not-the-token' } });
  expect(r.status === 401, 'sign-in with a wrong token: 401');
  r = await call('POST', '/api/session', '/api/session', { auth: false, body: { token, name: 'checker' } });
  const cookie = (r.headers.get('set-cookie') || '').split(';')[0];
  const attrs = r.headers.get('set-cookie') || '';
  expect(r.status === 201 && /HttpOnly/.test(attrs) && /Secure/.test(attrs) && /SameSite=Strict/.test(attrs) && /Max-Age=\d+/.test(attrs),
    'sign-in sets an HttpOnly, Secure, SameSite=Strict cookie with an expiry');
  const csrf = r.body.csrf;
  r = await call('POST', `/api/jobs/${dead.id}/retry`, '/api/jobs/{id}/retry', { auth: false, headers: { Cookie: cookie } });
  expect(r.status === 403 && r.body.error === 'csrf', 'a change without the CSRF token: 403');
  r = await call('GET', '/api/session', '/api/session', { auth: false, headers: { Cookie: cookie } });
  expect(r.status === 200 && r.body.csrf === csrf, 'the session tells its CSRF token');
  r = await call('DELETE', '/api/session', '/api/session', { auth: false, headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
  expect(r.status === 204, 'sign-out');
  r = await call('GET', '/api/overview', '/api/overview', { auth: false, headers: { Cookie: cookie } });
  expect(r.status === 401, 'after sign-out the cookie is refused');
  for (let i = 0; i < 6; i++) r = await call('POST', '/api/session', '/api/session', { auth: false, body: { token: 'wrong' } });
  expect(r.status === 429, 'repeated wrong sign-ins are throttled (429)');

  console.log(`admin-check: ${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.log('  FAIL: ' + (e.stack || e)); process.exit(1); });
