// check.js: drives okta-sim with Okta's official Node SDK through every call hookd makes (and the
// lifecycle around them) and validates every raw response body against the schema the spec gives
// for that operation and status. Run by tests/integration/t_okta_sdk_node.sh, which starts okta-sim.
// Environment: SIM_BASE, SIM_TOKEN, SPEC (the OpenAPI YAML), RECV_KEY, RECV_CERT (an HTTPS hook
// receiver's key and certificate, trusted by okta-sim through --hook-ca).
'use strict';

const fs = require('fs');
const https = require('https');
const YAML = require('yaml');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const okta = require('@okta/okta-sdk-nodejs');

const BASE = process.env.SIM_BASE;
const TOKEN = process.env.SIM_TOKEN;
let passes = 0;
let fails = 0;

function ok(name) {
  passes++;
  console.log(`ok   - ${name}`);
}
function bad(name, why) {
  fails++;
  console.log(`FAIL - ${name}: ${why}`);
}
function check(name, cond, why) {
  if (cond) ok(name);
  else bad(name, why || 'false');
}

// ---- the spec's schemas as JSON Schema (OpenAPI 3.0 nullable -> a null alternative) ----

function toJsonSchema(node) {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'nullable' || k === 'discriminator' || k === 'example' || k === 'examples' || k.startsWith('x-')) continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s)])) : toJsonSchema(v);
  }
  if (out.$ref) out.$ref = 'spec' + out.$ref;
  if (node.nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

const spec = YAML.parse(fs.readFileSync(process.env.SPEC, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema({ $id: 'spec', components: { schemas: toJsonSchema(spec.components.schemas) } });

// The spec operation for a method and concrete path: templates compared segment by segment.
function findOperation(method, path) {
  const segs = path.split('/');
  let best = null;
  let bestLiterals = -1;
  for (const [tmpl, item] of Object.entries(spec.paths)) {
    const t = tmpl.split('/');
    if (t.length !== segs.length || !item[method.toLowerCase()]) continue;
    if (!t.every((s, i) => s === segs[i] || /^\{.+\}$/.test(s))) continue;
    const literals = t.filter((s, i) => s === segs[i]).length; // a literal segment beats a template one
    if (literals > bestLiterals) {
      best = { tmpl, op: item[method.toLowerCase()] };
      bestLiterals = literals;
    }
  }
  return best;
}

function responseSchema(op, status) {
  let r = op.responses[String(status)] || op.responses.default;
  if (r && r.$ref) r = spec.components.responses[r.$ref.split('/').pop()];
  const content = r && r.content && (r.content['application/json'] || r.content['application/problem+json']);
  return { declared: !!r, schema: content && content.schema ? toJsonSchema(content.schema) : null };
}

// ---- every raw response the SDK sees, recorded by its request executor ----

const seen = [];
class RecordingExecutor extends okta.DefaultRequestExecutor {
  fetch(request) {
    return super.fetch(request).then(async (response) => {
      const text = await response.clone().text();
      seen.push({ method: request.method || 'GET', url: new URL(request.url), status: response.status, text,
        requestId: response.headers.get('x-okta-request-id') });
      return response;
    });
  }
}

const compiled = new Map();

function validateSeen() {
  for (const r of seen) {
    const name = `${r.method} ${r.url.pathname} -> ${r.status} fits the spec`;
    const found = findOperation(r.method, r.url.pathname);
    if (!found) {
      bad(name, 'no such operation in the spec');
      continue;
    }
    const { declared, schema } = responseSchema(found.op, r.status);
    if (!declared) {
      bad(name, `status ${r.status} is not declared for ${found.op.operationId}`);
      continue;
    }
    if (!r.requestId) {
      bad(name, 'no X-Okta-Request-Id header');
      continue;
    }
    if (!schema) {
      check(name + ` (${found.op.operationId}, no body)`, r.text === '' || r.text === '{}', `body ${r.text.slice(0, 200)}`);
      continue;
    }
    let body;
    try {
      body = JSON.parse(r.text);
    } catch (e) {
      bad(name, `not JSON: ${r.text.slice(0, 200)}`);
      continue;
    }
    const key = `${found.op.operationId} ${r.status}`;
    const validate = compiled.get(key) || compiled.set(key, ajv.compile(schema)).get(key);
    if (validate(body)) ok(`${name} (${found.op.operationId})`);
    else bad(name, ajv.errorsText(validate.errors).slice(0, 600));
  }
}

// ---- a small HTTPS event-hook receiver ----

const deliveries = [];
function startReceiver() {
  const server = https.createServer({ key: fs.readFileSync(process.env.RECV_KEY), cert: fs.readFileSync(process.env.RECV_CERT) },
    (req, res) => {
      let data = '';
      req.on('data', (c) => { data += c; });
      req.on('end', () => {
        const challenge = req.headers['x-okta-verification-challenge'];
        if (req.method === 'GET' && challenge) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ verification: challenge }));
          return;
        }
        deliveries.push({ headers: req.headers, body: data });
        res.writeHead(204);
        res.end();
      });
    });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function refused(name, promise, status, code) {
  try {
    await promise;
    bad(name, 'the call succeeded');
  } catch (e) {
    const got = `${e.status} ${e.errorCode}`;
    check(name, got === `${status} ${code}`, `got ${got} ${e.errorSummary || e.message}`);
    return e;
  }
  return null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function users(client) {
  const api = client.userApi;
  const schema = await client.schemaApi.getUserSchema({ schemaId: 'default' });
  check('getUserSchema: base properties from the spec', schema.definitions.base.properties.firstName.maxLength === 50);
  await refused('createUser with an attribute not in the schema: 400 E0000001',
    api.createUser({ activate: false, body: { profile: { login: 'sdk.cc@example.com', email: 'sdk.cc@example.com', firstName: 'S', lastName: 'D', costCentre: 'X1' } } }),
    400, 'E0000001');
  const updated = await client.schemaApi.updateUserProfile({ schemaId: 'default', userSchema: { definitions: { custom: { id: '#custom', type: 'object', properties: { costCentre: { title: 'Cost centre', type: 'string', maxLength: 10 } } } } } });
  check('updateUserProfile adds a custom property', !!updated.definitions.custom.properties.costCentre);

  const login = 'sdk.user@example.com';
  const u = await api.createUser({ activate: false, body: { profile: { login, email: login, firstName: 'Sdk', lastName: 'User', costCentre: 'X1' } } });
  check('createUser activate=false: STAGED', u.status === 'STAGED', u.status);
  check('the custom attribute is kept', u.profile.costCentre === 'X1');
  check('getUser by id', (await api.getUser({ userId: u.id })).id === u.id);
  check('getUser by login', (await api.getUser({ userId: login })).id === u.id);
  const filter = `profile.login eq "${login}"`;
  let found = [];
  for (let i = 0; i < 40 && found.length === 0; i++) {
    found = [];
    await (await api.listUsers({ filter })).each((x) => { found.push(x.id); });
    if (!found.length) await sleep(100);
  }
  check('listUsers with filter finds the user (after the search lag)', found.length === 1 && found[0] === u.id, JSON.stringify(found));
  const act = await api.activateUser({ userId: u.id, sendEmail: false });
  check('activateUser sendEmail=false: a link', typeof act.activationUrl === 'string' && act.activationUrl.length > 10);
  check('PROVISIONED and activated set', await api.getUser({ userId: u.id }).then((x) => x.status === 'PROVISIONED' && !!x.activated));
  await refused('activate again: 403 E0000016', api.activateUser({ userId: u.id, sendEmail: false }), 403, 'E0000016');
  const re = await api.reactivateUser({ userId: u.id, sendEmail: false });
  check('reactivateUser sendEmail=false: a new link', re.activationUrl && re.activationUrl !== act.activationUrl);
  await api.reactivateUser({ userId: u.id, sendEmail: true });
  ok('reactivateUser sendEmail=true');
  const up = await api.updateUser({ userId: u.id, user: { profile: { title: 'Engineer' } } });
  check('updateUser: partial profile update', up.profile.title === 'Engineer' && up.profile.firstName === 'Sdk');
  await refused('updateUser with a 51-character firstName: 400 E0000001', api.updateUser({ userId: u.id, user: { profile: { firstName: 'x'.repeat(51) } } }), 400, 'E0000001');

  const l2 = 'sdk.two@example.com';
  const u2 = await api.createUser({ activate: false, body: { profile: { login: l2, email: l2, firstName: 'Two', lastName: 'User' } } });
  await api.activateUser({ userId: u2.id, sendEmail: true });
  check('activateUser sendEmail=true: PROVISIONED', (await api.getUser({ userId: u2.id })).status === 'PROVISIONED');
  await refused('more than 20 groupIds: 400 E0000093',
    api.createUser({ activate: false, body: { groupIds: Array.from({ length: 21 }, (_, i) => `00g${i}`), profile: { login: 'g@example.com', email: 'g@example.com', firstName: 'G', lastName: 'G' } } }),
    400, 'E0000093');

  await api.deactivateUser({ userId: u.id });
  check('deactivateUser: DEPROVISIONED', (await api.getUser({ userId: u.id })).status === 'DEPROVISIONED');
  await refused('updateUser on DEPROVISIONED: 403 E0000038', api.updateUser({ userId: u.id, user: { profile: { title: 'X' } } }), 403, 'E0000038');
  await api.deleteUser({ userId: u.id });
  await refused('deleted: getUser 404 E0000007', api.getUser({ userId: u.id }), 404, 'E0000007');
  await api.deleteUser({ userId: u2.id });
  check('deleteUser on an active user deactivates it', (await api.getUser({ userId: u2.id })).status === 'DEPROVISIONED');
  const me = await api.getUser({ userId: 'me' });
  check('getUser me: the token owner, ACTIVE', me.status === 'ACTIVE' && !!me.profile.login);
}

async function eventHooks(client, port) {
  const api = client.eventHookApi;
  const body = {
    name: 'sdk hook',
    events: { type: 'EVENT_TYPE', items: ['user.lifecycle.create', 'user.lifecycle.activate'] },
    channel: { type: 'HTTP', version: '1.0.0', config: { uri: `https://127.0.0.1:${port}/hooks/okta`, authScheme: { type: 'HEADER', key: 'Authorization', value: 'sdk-secret' } } },
  };
  await refused('an event type hooks cannot take: 400 E0000001',
    api.createEventHook({ eventHook: { ...body, events: { type: 'EVENT_TYPE', items: ['user.session.nonsense'] } } }), 400, 'E0000001');
  const h = await api.createEventHook({ eventHook: body });
  check('createEventHook: ACTIVE, UNVERIFIED', h.status === 'ACTIVE' && h.verificationStatus === 'UNVERIFIED');
  const v = await api.verifyEventHook({ eventHookId: h.id });
  check('verifyEventHook: VERIFIED', v.verificationStatus === 'VERIFIED');
  const list = [];
  await (await api.listEventHooks()).each((x) => { list.push(x.id); });
  check('listEventHooks has it', list.includes(h.id));
  check('getEventHook', (await api.getEventHook({ eventHookId: h.id })).id === h.id);
  const l = 'sdk.hooked@example.com';
  await client.userApi.createUser({ activate: false, body: { profile: { login: l, email: l, firstName: 'H', lastName: 'K' } } });
  for (let i = 0; i < 50 && deliveries.length === 0; i++) await sleep(100);
  const ev = deliveries.length ? JSON.parse(deliveries[0].body).data.events[0] : null;
  const created = seen.filter((r) => r.method === 'POST' && r.url.pathname === '/api/v1/users' && r.status === 200).pop();
  check('the delivered event names its request: transaction.id = X-Okta-Request-Id', ev && created && ev.transaction.id === created.requestId,
    ev ? JSON.stringify(ev.transaction) : 'no delivery');
  check('...and debugData.requestId too', ev && ev.debugContext.debugData.requestId === created.requestId);
  check('...and requestApiTokenId is the token id', ev && /^00T[A-Za-z0-9]{17}$/.test(ev.transaction.detail.requestApiTokenId || ''));
  const d = await api.deactivateEventHook({ eventHookId: h.id });
  check('deactivateEventHook: INACTIVE', d.status === 'INACTIVE');
  const a = await api.activateEventHook({ eventHookId: h.id });
  check('activateEventHook: ACTIVE', a.status === 'ACTIVE');
  const r = await api.replaceEventHook({ eventHookId: h.id, eventHook: { ...body, name: 'sdk hook renamed' } });
  check('replaceEventHook, same channel: still VERIFIED', r.name === 'sdk hook renamed' && r.verificationStatus === 'VERIFIED');
  await refused('deleteEventHook on an ACTIVE hook: 403', api.deleteEventHook({ eventHookId: h.id }), 403, 'E0000006');
  await api.deactivateEventHook({ eventHookId: h.id });
  await api.deleteEventHook({ eventHookId: h.id });
  await refused('deleted hook: 404 E0000007', api.getEventHook({ eventHookId: h.id }), 404, 'E0000007');
}

// The validator itself must refuse what the spec forbids, or every "fits the spec" below means nothing.
function validatorSelfCheck() {
  const user = ajv.compile({ $ref: 'spec#/components/schemas/User' });
  check('validator accepts a minimal User', user({ id: '00u1', status: 'STAGED', profile: { login: 'a@example.com' } }),
    ajv.errorsText(user.errors));
  check('validator refuses a status outside UserStatus', !user({ id: '00u1', status: 'ENABLED' }));
  check('validator refuses a non-nullable profile attribute set to null', !user({ id: '00u1', profile: { department: null } }));
}

async function main() {
  validatorSelfCheck();
  const server = await startReceiver();
  const client = new okta.Client({ orgUrl: BASE, token: TOKEN, requestExecutor: new RecordingExecutor() });
  try {
    await users(client);
    await eventHooks(client, server.address().port);
  } catch (e) {
    bad('the SDK accepted every answer', `${e.status || ''} ${e.errorCode || ''} ${e.stack || e}`);
  }
  server.close();
  check('the SDK made calls', seen.length > 30, `${seen.length} calls`);
  validateSeen();
  console.log(`${passes} passed, ${fails} failed`);
  process.exit(fails ? 1 : 0);
}

main();
