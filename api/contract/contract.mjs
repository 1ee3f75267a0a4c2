// OpenApi.Contract (ctest -L e2e): the REST API as it really answers, checked against
// api/openapi.yaml. Starts a stack with scripts/run.sh from a build's binaries on free ports (or
// uses a running one with --url), walks every route of the document through the ingress with its
// main error statuses, and validates each answer with OpenApiChecker: the status is listed for
// the operation, the content type is declared, the body and the declared headers match their
// schemas. The walk's own expectations (which status a step should give, which fields an error
// names, which order a list is in) are checked beside that. One line per answer, then a count;
// exit status 1 on any mismatch or on an operation of the document the walk never reached.
//
//   node contract/contract.mjs --bin <CMake build dir>    start a stack, check, stop it
//   node contract/contract.mjs --url http://127.0.0.1:8080  check a running stack (no outage step)
//   --document <file>   check against another copy of the document (default api/openapi.yaml)
//
// Events reach the other services asynchronously: a ticket just created may be unknown to orders
// for a moment, an order to payments; those steps repeat until the answer changes, up to a
// deadline. TICKETING_KEEP_TEMP=1 keeps the stack's data and logs.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { OpenApiChecker } from './openapi-check.mjs';
import { LocalStack } from './stack.mjs';

const API_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const ROOT = path.dirname(API_DIR);

// Steps that check behaviour new in issue 17 carry a tag. A tag listed in PENDING_BY_DEFAULT is
// behaviour the services do not have yet: its steps still run and print their result, but a
// mismatch is counted as skipped, not failed, and a step that passes says so. Switch a tag on by
// deleting it from the list (try first with CONTRACT_PENDING="" for none pending, or a
// comma-separated list of tags).
//   tickets-newest-first  GET /api/tickets newest first, ?before=<id>, before+after refused
//   tickets-mine          GET /api/tickets/mine with each ticket's state
//   payments-config       GET /api/payments/config
//   ingress-405           a method a path does not list is 405 in the error format (DESIGN.md
//                         section 13), from the ingress's method list (infra/local/nginx.conf.in)
const PENDING_BY_DEFAULT = [];
const PENDING = new Set(
  (process.env.CONTRACT_PENDING ?? PENDING_BY_DEFAULT.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const REPLICATION_DEADLINE_MS = 20_000;
const MIB = 1024 * 1024;

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- HTTP -------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// One request; resolves with {status, headers, body} (body as text). `json` is sent as JSON,
// `raw` as it is with `contentType`.
function send(baseUrl, { method, path: urlPath, json, raw, contentType, cookie }) {
  const url = new URL(urlPath, baseUrl);
  let body;
  const headers = {};
  if (json !== undefined) {
    body = Buffer.from(JSON.stringify(json));
    headers['content-type'] = 'application/json';
  } else if (raw !== undefined) {
    body = Buffer.from(raw);
    if (contentType) {
      headers['content-type'] = contentType;
    }
  }
  if (body) {
    headers['content-length'] = String(body.length);
  }
  if (cookie) {
    headers.cookie = cookie;
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method, headers, agent, timeout: 30_000 }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    // The ingress may answer 413 and close before reading a large body: that is its answer.
    req.on('error', (e) => {
      if (!answered) {
        reject(e);
      }
    });
    req.end(body);
  });
}

function jsonOf(answer) {
  try {
    return JSON.parse(answer.body);
  } catch {
    return undefined;
  }
}

function sessionCookie(answer) {
  const cookie = [].concat(answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
  return cookie ? cookie.split(';')[0] : undefined;
}

// --- the walk's bookkeeping ---------------------------------------------------------------------

class Contract {
  constructor(checker, baseUrl) {
    this.checker = checker;
    this.baseUrl = baseUrl;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
    this.reached = new Map(); // "METHOD /template" → Set of statuses seen
    this.pendingOnly = new Map(); // the same, for answers of pending steps that did not conform
  }

  // Sends a request and checks its answer. Options:
  //   expect   the status this step must give (a number or a list)
  //   until    repeat the request while this is false of the answer, up to `within` ms
  //   assert   (answer, body) → list of problems beyond the document (the walk's expectations)
  //   pending  a tag of PENDING_BY_DEFAULT: a mismatch is reported but not counted as failed
  //   template the document's path template (default: the request path)
  async step(label, opts) {
    const method = opts.method ?? 'GET';
    const template = opts.template ?? opts.path;
    let answer;
    const deadline = Date.now() + (opts.within ?? REPLICATION_DEADLINE_MS);
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      answer = await send(this.baseUrl, { ...opts, method });
      if (!opts.until || opts.until(answer) || Date.now() > deadline) {
        break;
      }
      await delay(wait);
    }
    return this.verify(label, { ...opts, method, template }, answer);
  }

  // Checks an answer already received for the request `opts` describes (as step does).
  verify(label, opts, answer) {
    const { method, template } = opts;
    const problems = [];
    const expected = opts.expect === undefined ? undefined : [].concat(opts.expect);
    if (expected && !expected.includes(answer.status)) {
      problems.push(`expected ${expected.join(' or ')}, got ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    const body = jsonOf(answer);
    if (opts.operation === false) {
      problems.push(...this.checker.checkAgainstSchema('Errors', answer));
    } else {
      problems.push(...this.checker.checkResponse(method, template, answer));
      if (opts.json !== undefined && answer.status < 300) {
        problems.push(...this.checker.checkRequest(method, template, opts.json));
      }
    }
    if (opts.assert && problems.length === 0) {
      problems.push(...opts.assert(answer, body));
    }
    if (opts.operation !== false) {
      const key = `${method} ${template}`;
      const skipped = problems.length > 0 && opts.pending && PENDING.has(opts.pending);
      const seen = skipped ? this.pendingOnly : this.reached;
      if (!seen.has(key)) {
        seen.set(key, new Set());
      }
      seen.get(key).add(String(answer.status));
    }
    this.record(label, method, opts.path, answer, problems, opts.pending);
    return { ...answer, json: body };
  }

  record(label, method, urlPath, answer, problems, pending) {
    const shown = urlPath.length > 70 ? `${urlPath.slice(0, 67)}...` : urlPath;
    const what = `${answer.status} ${method} ${shown}: ${label}`;
    if (problems.length === 0) {
      this.passed += 1;
      const note = pending && PENDING.has(pending) ? ` (pending "${pending}" passes: switch it on)` : '';
      console.log(`ok    ${what}${note}`);
      return;
    }
    if (pending && PENDING.has(pending)) {
      this.skipped += 1;
      console.log(`skip  ${what} (pending "${pending}")`);
    } else {
      this.failed += 1;
      console.log(`FAIL  ${what}`);
    }
    for (const p of problems) {
      console.log(`        ${p}`);
    }
  }

  // Operations of the document no conforming answer reached.
  unreached() {
    return this.checker.operations().filter((op) => !this.reached.get(op)?.size);
  }
}

// --- expectations -------------------------------------------------------------------------------

function fields(...names) {
  return (_answer, body) => {
    const got = (body?.errors ?? []).map((e) => e.field).filter(Boolean).sort();
    const want = [...names].sort();
    return JSON.stringify(got) === JSON.stringify(want) ? [] : [`error fields ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
  };
}

function message(text) {
  return (_answer, body) => {
    const got = (body?.errors ?? []).map((e) => e.message);
    return got.includes(text) ? [] : [`error messages ${JSON.stringify(got)}, expected "${text}"`];
  };
}

// A 405's Allow header: present, and without the method refused.
function allowWithout(method) {
  return (answer) => {
    const allow = answer.headers.allow;
    if (!allow) {
      return ['no Allow header'];
    }
    return allow.split(',').map((m) => m.trim()).includes(method) ? [`Allow lists ${method}: ${allow}`] : [];
  };
}

function all(...checks) {
  return (answer, body) => checks.flatMap((c) => c(answer, body));
}

// The ids of a list answer in order; `expected` must appear in this relative order.
function order(...expected) {
  return (_answer, body) => {
    const ids = Array.isArray(body) ? body.map((t) => t.id) : [];
    const at = expected.map((id) => ids.indexOf(id));
    const ok = at.every((i) => i >= 0) && at.every((i, n) => n === 0 || at[n - 1] < i);
    return ok ? [] : [`ids at ${JSON.stringify(at)} of ${ids.length}, expected present in this order: ${expected.join(', ')}`];
  };
}

function exactly(...expected) {
  return (_answer, body) => {
    const ids = Array.isArray(body) ? body.map((t) => t.id) : [];
    return JSON.stringify(ids) === JSON.stringify(expected) ? [] : [`ids ${JSON.stringify(ids)}, expected ${JSON.stringify(expected)}`];
  };
}

function absent(id) {
  return (_answer, body) => (Array.isArray(body) && body.some((t) => t.id === id) ? [`${id} is listed`] : []);
}

function field(name, value) {
  return (_answer, body) => (body?.[name] === value ? [] : [`${name} is ${JSON.stringify(body?.[name])}, expected ${JSON.stringify(value)}`]);
}

function stateOf(id, state) {
  return (_answer, body) => {
    const t = Array.isArray(body) ? body.find((x) => x.id === id) : undefined;
    return t?.state === state ? [] : [`ticket ${id} is ${JSON.stringify(t?.state)}, expected "${state}"`];
  };
}

// --- the walk -----------------------------------------------------------------------------------

async function walk(c, stack) {
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const email = (who) => `contract-${run}-${who}@example.com`;
  const password = 'password123';
  const unknownId = 'ffffffffffffffffffffffff';
  const big = JSON.stringify({ title: 'x'.repeat(2 * MIB), price: 1 });

  console.log('# users');
  const sellerUp = await c.step('sign up the seller', {
    method: 'POST', path: '/api/users/signup', json: { email: email('seller'), password }, expect: 201,
  });
  const buyerUp = await c.step('sign up the buyer', {
    method: 'POST', path: '/api/users/signup', json: { email: email('buyer'), password }, expect: 201,
  });
  const seller = { id: sellerUp.json?.id, cookie: sessionCookie(sellerUp) };
  const buyer = { id: buyerUp.json?.id, cookie: sessionCookie(buyerUp) };
  if (!seller.cookie || !buyer.cookie) {
    throw new Error('signing up gave no session cookie: nothing else can be checked');
  }
  await c.step('sign up: invalid email, short password', {
    method: 'POST', path: '/api/users/signup', json: { email: 'not-an-email', password: 'short' }, expect: 400,
    assert: fields('email', 'password'),
  });
  await c.step('sign up: email in use (case and spaces aside)', {
    method: 'POST', path: '/api/users/signup', json: { email: ` ${email('seller').toUpperCase()} `, password }, expect: 400,
    assert: message('Email in use'),
  });
  await c.step('sign up: not JSON', {
    method: 'POST', path: '/api/users/signup', raw: 'email=a', contentType: 'application/x-www-form-urlencoded', expect: 415,
  });
  await c.step('sign up: malformed JSON', {
    method: 'POST', path: '/api/users/signup', raw: '{"email":', contentType: 'application/json', expect: 400,
    assert: message('Body must be valid JSON'),
  });
  await c.step('sign up: JSON that is not an object', {
    method: 'POST', path: '/api/users/signup', raw: '[]', contentType: 'application/json', expect: 400,
    assert: message('Body must be a JSON object'),
  });
  await c.step('sign up: a body over 1 MiB (the ingress)', {
    method: 'POST', path: '/api/users/signup', raw: big, contentType: 'application/json', expect: 413,
  });

  const signedIn = await c.step('sign in', {
    method: 'POST', path: '/api/users/signin', json: { email: email('seller'), password }, expect: 200,
    assert: field('id', seller.id),
  });
  await c.step('sign in: wrong password', {
    method: 'POST', path: '/api/users/signin', json: { email: email('seller'), password: 'wrong-password' }, expect: 400,
    assert: message('Invalid credentials'),
  });
  await c.step('sign in: unknown email, same answer', {
    method: 'POST', path: '/api/users/signin', json: { email: email('nobody'), password }, expect: 400,
    assert: message('Invalid credentials'),
  });
  await c.step('sign in: nothing given', {
    method: 'POST', path: '/api/users/signin', json: {}, expect: 400, assert: fields('email', 'password'),
  });
  await c.step('sign in: not JSON', {
    method: 'POST', path: '/api/users/signin', raw: 'hello', contentType: 'text/plain', expect: 415,
  });
  await c.step('sign in: a body over 1 MiB (the ingress)', {
    method: 'POST', path: '/api/users/signin', raw: big, contentType: 'application/json', expect: 413,
  });
  await c.step('current user, signed in', {
    path: '/api/users/currentuser', cookie: seller.cookie, expect: 200,
    assert: (_a, body) => (body?.currentUser?.id === seller.id ? [] : ['currentUser is not the seller']),
  });
  await c.step('current user, no session', {
    path: '/api/users/currentuser', expect: 200, assert: field('currentUser', null),
  });
  await c.step('current user, a forged session', {
    path: '/api/users/currentuser', cookie: 'session=eyJqd3QiOiJub3BlIn0=', expect: 200, assert: field('currentUser', null),
  });
  // Sign out the second session (from sign-in); the walk goes on with the first.
  await c.step('sign out', {
    method: 'POST', path: '/api/users/signout', cookie: sessionCookie(signedIn), expect: 200,
  });

  console.log('# tickets');
  await c.step('sell: not signed in', {
    method: 'POST', path: '/api/tickets', json: { title: 'Concert', price: 20 }, expect: 401,
  });
  await c.step('sell: blank title, zero price', {
    method: 'POST', path: '/api/tickets', cookie: seller.cookie, json: { title: '   ', price: 0 }, expect: 400,
    assert: fields('title', 'price'),
  });
  await c.step('sell: three decimals', {
    method: 'POST', path: '/api/tickets', cookie: seller.cookie, json: { title: 'Concert', price: '20.123' }, expect: 400,
    assert: all(fields('price'), message('Price must have at most 2 decimal places')),
  });
  await c.step('sell: over the maximum', {
    method: 'POST', path: '/api/tickets', cookie: seller.cookie, json: { title: 'Concert', price: 1000001 }, expect: 400,
    assert: message('Price must be at most 1000000'),
  });
  await c.step('sell: not JSON', {
    method: 'POST', path: '/api/tickets', cookie: seller.cookie, raw: 'title=x', contentType: 'text/plain', expect: 415,
  });
  await c.step('sell: a body over 1 MiB (the ingress)', {
    method: 'POST', path: '/api/tickets', cookie: seller.cookie, raw: big, contentType: 'application/json', expect: 413,
  });
  const sell = (title, price) =>
    c.step(`sell "${title}" at ${JSON.stringify(price)}`, {
      method: 'POST', path: '/api/tickets', cookie: seller.cookie, json: { title, price }, expect: 201,
      assert: all(field('version', 0), field('userId', seller.id)),
    });
  const t1 = (await sell('Contract concert', 20)).json?.id;
  const t2 = (await sell('Contract game', '35.50')).json?.id;
  const t3 = (await sell('Contract play', 99.99)).json?.id;

  await c.step('list for sale, newest first', {
    path: '/api/tickets', expect: 200, pending: 'tickets-newest-first', assert: order(t3, t2, t1),
  });
  await c.step('list for sale, the newest one', {
    path: '/api/tickets?limit=1', template: '/api/tickets', expect: 200, pending: 'tickets-newest-first',
    assert: exactly(t3),
  });
  await c.step('list for sale, the next older page', {
    path: `/api/tickets?limit=1&before=${t3}`, template: '/api/tickets', expect: 200,
    pending: 'tickets-newest-first', assert: exactly(t2),
  });
  await c.step('list for sale, oldest first from the start', {
    path: '/api/tickets?after=', template: '/api/tickets', expect: 200, assert: order(t1, t2, t3),
  });
  await c.step('list for sale, oldest first after a ticket', {
    path: `/api/tickets?limit=2&after=${t1}`, template: '/api/tickets', expect: 200, assert: exactly(t2, t3),
  });
  await c.step('list: limit 0', {
    path: '/api/tickets?limit=0', template: '/api/tickets', expect: 400, assert: fields('limit'),
  });
  await c.step('list: limit 1001', {
    path: '/api/tickets?limit=1001', template: '/api/tickets', expect: 400, assert: fields('limit'),
  });
  await c.step('list: after a malformed id', {
    path: '/api/tickets?after=nope', template: '/api/tickets', expect: 400, assert: fields('after'),
  });
  await c.step('list: before a malformed id', {
    path: '/api/tickets?before=nope', template: '/api/tickets', expect: 400, pending: 'tickets-newest-first',
    assert: fields('before'),
  });
  await c.step('list: before and after together', {
    path: `/api/tickets?before=${t3}&after=${t1}`, template: '/api/tickets', expect: 400,
    pending: 'tickets-newest-first', assert: fields('before'),
  });

  await c.step('a ticket', { path: `/api/tickets/${t1}`, template: '/api/tickets/{id}', expect: 200, assert: field('id', t1) });
  await c.step('a ticket: unknown id', { path: `/api/tickets/${unknownId}`, template: '/api/tickets/{id}', expect: 404 });
  await c.step('a ticket: malformed id', { path: '/api/tickets/not-an-id', template: '/api/tickets/{id}', expect: 404 });

  const edit = (label, opts) =>
    c.step(label, { method: 'PUT', path: `/api/tickets/${t1}`, template: '/api/tickets/{id}', ...opts });
  await edit('edit: not signed in', { json: { title: 'Moved', price: 25 }, expect: 401 });
  await edit('edit: not the seller', { cookie: buyer.cookie, json: { title: 'Moved', price: 25 }, expect: 401 });
  await edit('edit: invalid', { cookie: seller.cookie, json: { title: '', price: -5 }, expect: 400, assert: fields('title', 'price') });
  await edit('edit: not JSON', { cookie: seller.cookie, raw: 'x', contentType: 'text/plain', expect: 415 });
  await c.step('edit: unknown id', {
    method: 'PUT', path: `/api/tickets/${unknownId}`, template: '/api/tickets/{id}', cookie: seller.cookie,
    json: { title: 'Moved', price: 25 }, expect: 404,
  });
  await edit('edit my ticket', {
    cookie: seller.cookie, json: { title: 'Contract concert (moved)', price: 25 }, expect: 200,
    assert: all(field('version', 1), field('price', 25)),
  });

  await c.step('my tickets, newest first, all for sale', {
    path: '/api/tickets/mine', cookie: seller.cookie, expect: 200, pending: 'tickets-mine',
    assert: all(exactly(t3, t2, t1), stateOf(t1, 'available')),
  });
  await c.step('my tickets, the page before the newest', {
    path: `/api/tickets/mine?limit=1&before=${t3}`, template: '/api/tickets/mine', cookie: seller.cookie,
    expect: 200, pending: 'tickets-mine', assert: exactly(t2),
  });
  await c.step('my tickets, oldest first', {
    path: '/api/tickets/mine?after=', template: '/api/tickets/mine', cookie: seller.cookie, expect: 200,
    pending: 'tickets-mine', assert: exactly(t1, t2, t3),
  });
  await c.step('my tickets: the buyer sells none', {
    path: '/api/tickets/mine', cookie: buyer.cookie, expect: 200, pending: 'tickets-mine', assert: exactly(),
  });
  await c.step('my tickets: not signed in', { path: '/api/tickets/mine', expect: 401, pending: 'tickets-mine' });
  await c.step('my tickets: limit 0', {
    path: '/api/tickets/mine?limit=0', template: '/api/tickets/mine', cookie: seller.cookie, expect: 400,
    pending: 'tickets-mine', assert: fields('limit'),
  });

  console.log('# orders');
  await c.step('order: not signed in', { method: 'POST', path: '/api/orders', json: { ticketId: t1 }, expect: 401 });
  await c.step('order: no ticketId', {
    method: 'POST', path: '/api/orders', cookie: buyer.cookie, json: {}, expect: 400, assert: fields('ticketId'),
  });
  await c.step('order: unknown ticket', {
    method: 'POST', path: '/api/orders', cookie: buyer.cookie, json: { ticketId: unknownId }, expect: 404,
  });
  await c.step('order: not JSON', {
    method: 'POST', path: '/api/orders', cookie: buyer.cookie, raw: 'x', contentType: 'text/plain', expect: 415,
  });
  const orderOf = (label, ticketId, cookie = buyer.cookie, expect = 201) =>
    c.step(label, {
      method: 'POST', path: '/api/orders', cookie, json: { ticketId }, expect,
      until: (a) => a.status !== 404, // the ticket may not have reached orders yet
      assert: expect === 201 ? all(field('status', 'created'), (_a, b) => (b?.ticket?.id === ticketId ? [] : ['not this ticket'])) : undefined,
    });
  const o1 = (await orderOf('order the edited ticket', t1)).json?.id;
  await c.step('order: the ticket is reserved', {
    method: 'POST', path: '/api/orders', cookie: seller.cookie, json: { ticketId: t1 }, expect: 400,
    assert: message('Ticket is already reserved'),
  });
  const o2 = (await orderOf('order a second ticket', t2)).json?.id;

  await c.step('my orders', { path: '/api/orders', cookie: buyer.cookie, expect: 200, assert: order(o1, o2) });
  await c.step('my orders: not signed in', { path: '/api/orders', expect: 401 });
  const showOrder = (label, id, opts) => c.step(label, { path: `/api/orders/${id}`, template: '/api/orders/{id}', ...opts });
  await showOrder('an order', o1, { cookie: buyer.cookie, expect: 200, assert: field('id', o1) });
  await showOrder("an order: another user's", o1, { cookie: seller.cookie, expect: 401 });
  await showOrder('an order: not signed in', o1, { expect: 401 });
  await showOrder('an order: unknown id', unknownId, { cookie: buyer.cookie, expect: 404 });
  await showOrder('an order: malformed id', 'nope', { cookie: buyer.cookie, expect: 404 });

  await c.step('a reserved ticket shows its order', {
    path: `/api/tickets/${t1}`, template: '/api/tickets/{id}', expect: 200,
    until: (a) => jsonOf(a)?.orderId === o1, // tickets hears of the order asynchronously
    assert: field('orderId', o1),
  });
  await edit('edit: the ticket is reserved', {
    cookie: seller.cookie, json: { title: 'Moved again', price: 30 }, expect: 400,
    assert: message('Cannot edit a reserved ticket'),
  });
  await c.step('my tickets: one reserved', {
    path: '/api/tickets/mine', cookie: seller.cookie, expect: 200, pending: 'tickets-mine',
    until: (a) => stateOf(t2, 'reserved')(a, jsonOf(a)).length === 0,
    assert: all(stateOf(t1, 'reserved'), stateOf(t2, 'reserved'), stateOf(t3, 'available')),
  });
  await c.step('list for sale: reserved ones are not', {
    path: '/api/tickets', expect: 200, until: (a) => absent(t2)(a, jsonOf(a)).length === 0,
    assert: all(absent(t1), absent(t2)),
  });

  const cancel = (label, id, opts) =>
    c.step(label, { method: 'DELETE', path: `/api/orders/${id}`, template: '/api/orders/{id}', ...opts });
  await cancel("cancel: another user's order", o2, { cookie: seller.cookie, expect: 401 });
  await cancel('cancel: not signed in', o2, { expect: 401 });
  await cancel('cancel: unknown id', unknownId, { cookie: buyer.cookie, expect: 404 });

  console.log('# payments');
  const pay = (label, opts) => c.step(label, { method: 'POST', path: '/api/payments', ...opts });
  await pay('pay: not signed in', { json: { token: 'tok_visa', orderId: o1 }, expect: 401 });
  await pay('pay: nothing given', { cookie: buyer.cookie, json: {}, expect: 400, assert: fields('token', 'orderId') });
  await pay('pay: unknown order', { cookie: buyer.cookie, json: { token: 'tok_visa', orderId: unknownId }, expect: 404 });
  await pay('pay: not JSON', { cookie: buyer.cookie, raw: 'x', contentType: 'text/plain', expect: 415 });
  await pay('pay: card declined', {
    cookie: buyer.cookie, json: { token: 'tok_chargeDeclined', orderId: o2 }, expect: 402,
    until: (a) => a.status !== 404, // the order may not have reached payments yet
  });
  await cancel('cancel my order', o2, { cookie: buyer.cookie, expect: 204 });
  await cancel('cancel my order again: nothing changes', o2, { cookie: buyer.cookie, expect: 204 });
  await pay('pay: the order is cancelled', {
    cookie: buyer.cookie, json: { token: 'tok_chargeDeclined', orderId: o2 }, expect: 400,
    until: (a) => a.status === 400, // declined (402) until payments hears of the cancellation
    assert: message('Cannot pay for a cancelled order'),
  });
  await pay("pay: another user's order", {
    cookie: seller.cookie, json: { token: 'tok_visa', orderId: o1 }, expect: 401, until: (a) => a.status !== 404,
  });
  await pay('pay: invalid token', {
    cookie: buyer.cookie, json: { token: 'tok_nonsense', orderId: o1 }, expect: 400, assert: message('Invalid token'),
  });
  const paid = await pay('pay', {
    cookie: buyer.cookie, json: { token: 'tok_visa', orderId: o1 }, expect: 201, assert: field('orderId', o1),
  });
  const p1 = paid.json?.id;
  await pay('pay: already paid', {
    cookie: buyer.cookie, json: { token: 'tok_visa', orderId: o1 }, expect: 400,
    assert: message('Order has already been paid'),
  });
  const showPayment = (label, id, opts) =>
    c.step(label, { path: `/api/payments/${id}`, template: '/api/payments/{id}', ...opts });
  await showPayment('a payment, captured once the order completes', p1, {
    cookie: buyer.cookie, expect: 200, until: (a) => jsonOf(a)?.status === 'captured',
    assert: all(field('status', 'captured'), field('amount', 2500), field('orderId', o1)),
  });
  await showPayment("a payment: another user's", p1, { cookie: seller.cookie, expect: 401 });
  await showPayment('a payment: not signed in', p1, { expect: 401 });
  await showPayment('a payment: unknown id', unknownId, { cookie: buyer.cookie, expect: 404 });
  await c.step('the payment gateway', {
    path: '/api/payments/config', expect: 200, pending: 'payments-config', assert: field('gateway', 'sandbox'),
  });

  await showOrder('the paid order completes', o1, {
    cookie: buyer.cookie, expect: 200, until: (a) => jsonOf(a)?.status === 'complete', assert: field('status', 'complete'),
  });
  await cancel('cancel: the order is complete', o1, {
    cookie: buyer.cookie, expect: 400, assert: message('Cannot cancel a completed order'),
  });
  await c.step('a sold ticket is still shown', {
    path: `/api/tickets/${t1}`, template: '/api/tickets/{id}', expect: 200, assert: field('orderId', o1),
  });
  await c.step('my tickets: sold, for sale again, for sale', {
    path: '/api/tickets/mine', cookie: seller.cookie, expect: 200, pending: 'tickets-mine',
    until: (a) => stateOf(t1, 'sold')(a, jsonOf(a)).length === 0 && stateOf(t2, 'available')(a, jsonOf(a)).length === 0,
    assert: all(stateOf(t1, 'sold'), stateOf(t2, 'available'), stateOf(t3, 'available')),
  });

  console.log('# the ingress');
  await c.step('a path no service serves', {
    path: '/api/nothing-here', operation: false, expect: 404, assert: message('Not Found'),
  });
  await c.step('a method the path does not list', {
    method: 'PATCH', path: `/api/tickets/${t1}`, operation: false, json: { title: 'x' }, cookie: seller.cookie,
    expect: 405, pending: 'ingress-405', assert: all(message('Method not allowed'), allowWithout('PATCH')),
  });
  await c.step('a method the path does not list', {
    method: 'DELETE', path: '/api/users/currentuser', operation: false, expect: 405, pending: 'ingress-405',
    assert: all(message('Method not allowed'), allowWithout('DELETE')),
  });
  await c.step('a method no path lists (nginx refuses TRACE itself)', {
    method: 'TRACE', path: '/api/tickets', operation: false, expect: 405, pending: 'ingress-405',
    assert: all(message('Method not allowed'), allowWithout('TRACE')),
  });

  if (stack) {
    // No replica of payments: the ingress answers 503 in the contract's format.
    const stopped = stack.supervisorctl(['stop', 'payments-0']);
    if (stopped.status !== 0) {
      throw new Error(`supervisorctl stop payments-0 failed: ${stopped.output}`);
    }
    await showPayment('a payment, payments down (the ingress)', p1, { cookie: buyer.cookie, expect: 503 });
  } else {
    console.log('(no 503 step: the stack is not this test\'s to stop a service of)');
  }

  // Last: it spends this address's sign-in allowance. Bursts of bad sign-ins (400 at once, no
  // password hashing) until the ingress refuses one, whatever TICKETING_AUTH_RATE is.
  const tooOften = { method: 'POST', path: '/api/users/signin', template: '/api/users/signin', json: {} };
  const burstDeadline = Date.now() + 20_000;
  let limited;
  let bursts = 0;
  while (!limited && Date.now() < burstDeadline) {
    const answers = await Promise.all(Array.from({ length: 100 }, () => send(c.baseUrl, tooOften)));
    bursts += 1;
    limited = answers.find((a) => a.status === 429) ?? (Date.now() < burstDeadline ? undefined : answers[0]);
  }
  c.verify(`sign in, too often (the ingress; burst ${bursts} of 100)`, {
    ...tooOften, expect: 429, assert: message('Too many requests, please retry later'),
  }, limited);
}

async function main() {
  const { values } = parseArgs({
    options: { bin: { type: 'string' }, url: { type: 'string' }, document: { type: 'string' } },
  });
  if (!values.bin === !values.url) {
    console.error('usage: contract.mjs --bin <CMake build directory> | --url <ingress URL>');
    return 2;
  }
  const checker = new OpenApiChecker(values.document ?? path.join(API_DIR, 'openapi.yaml'));
  if (PENDING.size > 0) {
    console.log(`pending (a mismatch is skipped, not failed): ${[...PENDING].join(', ')}`);
  }

  let stack;
  const stopOnSignal = (signal) => {
    console.error(`${signal}: stopping the stack`);
    stack?.stop();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, stopOnSignal);
  }
  const started = Date.now();
  try {
    let baseUrl = values.url;
    if (!baseUrl) {
      stack = await LocalStack.start({ root: ROOT, bin: path.resolve(values.bin) });
      baseUrl = stack.ingressUrl;
      console.log(`stack started on ${baseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const contract = new Contract(checker, baseUrl);
    const walked = Date.now();
    await walk(contract, stack);

    const unreached = contract.unreached();
    console.log('# operations and the statuses their answers had');
    for (const op of checker.operations()) {
      const seen = [...(contract.reached.get(op) ?? [])].sort().join(' ') || '-';
      const [method, template] = op.split(' ');
      const listed = checker.statuses(method, template).join(' ');
      console.log(`${op.padEnd(32)} seen ${seen.padEnd(24)} listed ${listed}`);
    }
    const pendingOnly = unreached.filter((op) => contract.pendingOnly.has(op));
    const missing = unreached.filter((op) => !contract.pendingOnly.has(op));
    if (pendingOnly.length > 0) {
      console.log(`not reached (pending): ${pendingOnly.join(', ')}`);
    }
    if (missing.length > 0) {
      console.log(`FAIL  operations of the document no answer reached: ${missing.join(', ')}`);
      contract.failed += missing.length;
    }
    console.log(`${contract.passed + contract.failed + contract.skipped} answers checked in ${((Date.now() - walked) / 1000).toFixed(1)} s`);
    console.log(`contract: ${contract.passed} passed, ${contract.failed} failed, ${contract.skipped} skipped`);
    return contract.failed === 0 ? 0 : 1;
  } finally {
    agent.destroy();
    stack?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`contract: ${e.stack ?? e}`);
    console.log('contract: 0 passed, 1 failed');
    process.exit(1);
  },
);
