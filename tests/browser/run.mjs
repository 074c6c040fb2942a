// Browser tests of the buyer pages and the operator dashboard: Debian's Chromium, headless, driven by
// playwright-core against ticketing-server processes this file starts (embedded default, temp dirs,
// free ports, short hold and fast admission). Screenshots of every page at 1280 and 375 px go to
// the output directory. Usage: node run.mjs <ticketing-server> <screenshot dir>
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [serverArg, shots] = process.argv.slice(2);
if (!serverArg || !shots) {
  console.error('usage: node run.mjs <ticketing-server> <screenshot dir>');
  process.exit(2);
}
const serverPath = resolve(serverArg);
mkdirSync(shots, { recursive: true });

const kAdminKey = 'browser-test-admin';
const kXssTitle = '<img src=x onerror=alert(1)>';
const kWide = { width: 1280, height: 900 };
const kPhone = { width: 375, height: 800 };
const kWait = 20_000;

// --- Servers ----------------------------------------------------------------------------------------

const servers = [];

/** A ticketing-server on a free port in a temp dir, with demo data and the admin API on. */
async function startServer(extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-browser-'));
  const args = [
    '--listen', '127.0.0.1:0', '--data-dir', dir, '--admin-key', kAdminKey, '--demo', '--rate-limit', '0',
    '--jobs-admission-interval', '100ms', '--jobs-hold-expiry-interval', '200ms', ...extra,
  ];
  const child = spawn(serverPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 15_000);
    const read = (chunk) => {
      log += chunk;
      const found = log.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const server = { url, child, dir };
  servers.push(server);
  return server;
}

function stopServers() {
  for (const { child, dir } of servers) {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function call(server, method, path, body, bearer = kAdminKey) {
  const response = await fetch(server.url + path, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A concert open now with one schedule of `seats` seats, its queue ticking every second. */
async function createConcert(server, title, { seats = 20, price = 30_000, admitPerTick = 10 } = {}) {
  const now = Date.now();
  const concert = await call(server, 'POST', '/v1/admin/concerts', {
    title,
    reservationOpensAt: new Date(now - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    reservationClosesAt: new Date(now + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    schedules: [{ startsAt: new Date(now + 7 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'), price, seatCount: seats }],
  });
  await call(server, 'PUT', `/v1/admin/queues/${concert.id}`, { tickIntervalSeconds: 1, admitPerTick });
  return { concertId: concert.id, scheduleId: concert.schedules[0].id };
}

async function createUser(server, name, balance = 0) {
  const user = await call(server, 'POST', '/v1/users', { name });
  if (balance > 0) await call(server, 'POST', `/v1/users/${user.id}/balance/charge`, { amount: balance });
  return user.id;
}

// --- Browser ----------------------------------------------------------------------------------------

let browser;
let problems = []; // console errors and page errors of the running test

/**
 * A page in its own context (own storage: one buyer), English unless told, signed in as `user` when given.
 * `allowed` lists console messages this test causes on purpose (the browser logs an API's 4xx).
 */
async function newPage({ user, locale = 'en-US', viewport = kWide, allowed = [] } = {}) {
  const context = await browser.newContext({ viewport, locale });
  if (user) await context.addInitScript((id) => localStorage.setItem('ticketing.user', String(id)), user);
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (allowed.some((pattern) => pattern.test(msg.text()))) return;
    problems.push(`console ${msg.type()}: ${msg.text()} (${page.url()})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message} (${page.url()})`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
  return page;
}

/** A full-page screenshot at 1280 px and at 375 px. */
async function snap(page, name) {
  const size = page.viewportSize();
  for (const viewport of [kWide, kPhone]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(shots, `${name}-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewportSize(size);
}

function expect(condition, what) {
  if (!condition) throw new Error(`expected: ${what}`);
}

async function expectText(locator, pattern, what) {
  await locator.filter({ hasText: pattern }).first().waitFor({ timeout: kWait }).catch(() => {
    throw new Error(`expected ${what}: ${pattern}`);
  });
}

/** Waits for the seat map and returns the locator of a seat button. */
function seat(page, number) {
  return page.locator(`#seat-grid button[data-seat="${number}"]`);
}

async function joinFromSchedules(page, server, concertId, scheduleId) {
  await page.goto(`${server.url}/#/concerts/${concertId}`);
  await page.locator(`button[data-schedule="${scheduleId}"]`).click();
}

async function admittedToSeats(page) {
  await page.locator('#seat-grid button').first().waitFor({ timeout: kWait });
}

// --- Tests ------------------------------------------------------------------------------------------

const tests = [];
function test(name, body) {
  tests.push({ name, body });
}

test('the pages are served with their types, caching and a strict CSP', async ({ main }) => {
  for (const [path, type] of [['/', 'text/html'], ['/admin', 'text/html'], ['/assets/buyer.js', 'text/javascript'],
    ['/assets/style.css', 'text/css'], ['/assets/favicon.svg', 'image/svg+xml']]) {
    const response = await fetch(main.url + path);
    expect(response.status === 200, `${path} 200, got ${response.status}`);
    expect(response.headers.get('content-type').startsWith(type), `${path} is ${type}`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(/script-src 'self'/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp), `${path} strict CSP: ${csp}`);
    expect(/default-src 'none'/.test(csp), `${path} default-src 'none'`);
    const etag = response.headers.get('etag');
    expect(etag && response.headers.get('cache-control') === 'no-cache', `${path} ETag and Cache-Control`);
    const again = await fetch(main.url + path, { headers: { 'If-None-Match': etag } });
    expect(again.status === 304, `${path} revalidates to 304, got ${again.status}`);
  }
  const missing = await fetch(`${main.url}/assets/nothing.js`);
  expect(missing.status === 404, 'an unknown asset is 404');
});

test('a buyer goes from the concert list to tickets', async ({ main }) => {
  const { concertId, scheduleId } = await createConcert(main, 'Browser Test Live', { admitPerTick: 5, price: 30_000 });
  const page = await newPage({ allowed: [/status of 409/] });
  await page.goto(`${main.url}/`);
  await expectText(page.locator('.concert-title'), 'Browser Test Live', 'the concert in the list');
  await snap(page, '01-concerts');

  await page.locator('#who a').click();
  await page.locator('.demo-buyers button').first().waitFor();
  await snap(page, '02-sign-in');
  await page.fill('#buyer-name', 'Mina');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await expectText(page.locator('.message.success'), /Your buyer number is \d+/, 'the new buyer number');
  const user = Number(await page.evaluate(() => localStorage.getItem('ticketing.user')));
  expect(user > 0, 'signed in as the new buyer');

  await page.locator('li.concert', { hasText: 'Browser Test Live' }).getByRole('link').click();
  await page.locator(`button[data-schedule="${scheduleId}"]`).waitFor();
  await expectText(page.locator('li.schedule'), '20 of 20 seats left', 'seats left');
  await snap(page, '03-schedules');
  // Thirty people just ahead, five admitted a second: the buyer waits a few ticks.
  const ahead = await Promise.all(Array.from({ length: 30 }, (_, i) => createUser(main, `ahead${i}`, 100_000)));
  const tokens = [];
  for (const id of ahead) tokens.push((await call(main, 'POST', `/v1/concerts/${concertId}/queue`, { userId: id })).token);
  await page.locator(`button[data-schedule="${scheduleId}"]`).click();

  await expectText(page.locator('h1'), 'You are in the waiting room', 'the waiting room');
  await page.locator('#queue-position').filter({ hasText: /^\d+$/ }).waitFor({ timeout: kWait });
  const position = Number(await page.locator('#queue-position').textContent());
  expect(position >= 1, `a position, got ${position}`);
  await expectText(page.locator('#queue-eta'), /minute|min/, 'an estimated wait');
  await snap(page, '04-waiting-room');
  // Again once the line moved (the progress bar then shows it), unless the buyer is admitted first.
  await page.waitForFunction(
    (first) => Number(document.querySelector('#queue-position')?.textContent) < first || document.querySelector('#seat-grid'),
    position,
    { timeout: kWait }
  );
  if (await page.locator('#queue-position').count()) await snap(page, '04-waiting-room');

  await admittedToSeats(page);
  await expectText(page.locator('.message.success'), 'It is your turn', 'the admission notice');
  // Two of the people ahead buy meanwhile: one holds 11 and 12, one pays for 15 and 16; the map follows.
  const { seats } = await call(main, 'GET', `/v1/schedules/${scheduleId}/seats`, undefined, tokens[0]);
  const ids = (...numbers) => numbers.map((n) => seats.find((x) => x.number === n).id);
  await call(main, 'POST', '/v1/reservations', { scheduleId, seatIds: ids(11, 12) }, tokens[0]);
  const paid = await call(main, 'POST', '/v1/reservations', { scheduleId, seatIds: ids(15, 16) }, tokens[1]);
  await call(main, 'POST', '/v1/payments', { reservationId: paid.id }, tokens[1]);
  await seat(page, 11).and(page.locator('.held')).waitFor({ timeout: kWait });
  await seat(page, 15).and(page.locator('.sold')).waitFor({ timeout: kWait });
  await expectText(page.locator('#turn-ends'), /Your turn ends in \d+:\d\d/, 'the turn countdown');
  // The keyboard alone: focus a seat, press Enter/Space.
  await seat(page, 3).focus();
  await page.keyboard.press('Enter');
  await seat(page, 4).focus();
  await page.keyboard.press('Space');
  expect((await seat(page, 3).getAttribute('aria-pressed')) === 'true', 'seat 3 selected with the keyboard');
  await expectText(page.locator('#seat-summary'), 'Seats 3, 4', 'the picked seats');
  await snap(page, '05-seat-map');
  await page.locator('#hold-button').click();

  await expectText(page.locator('h1'), 'Your seats are held', 'the hold');
  await expectText(page.locator('#hold-countdown'), /^\d+:\d\d$/, 'the hold countdown');
  await expectText(page.locator('#shortfall'), 'You need ₩60,000 more', 'the shortfall');
  await snap(page, '06-hold');
  // Paying first: not enough balance, told in a sentence.
  await page.locator('#pay-button').click();
  await expectText(page.locator('.message.error'), 'Your balance is not enough', 'the balance error');
  expect((await page.locator('#charge-amount').inputValue()) === '60000', 'the shortfall is the suggested charge');
  await page.locator('#charge-button').click();
  await expectText(page.locator('.message.success'), 'Your balance is now ₩60,000', 'the charge');
  await page.locator('#pay-button').click();

  await expectText(page.locator('.message.success'), 'Payment complete', 'the payment');
  await expectText(page.locator('#tickets .seat-number'), 'Seat 3', 'ticket for seat 3');
  await expectText(page.locator('#tickets .seat-number'), 'Seat 4', 'ticket for seat 4');
  await snap(page, '07-tickets');

  const tickets = await call(main, 'GET', `/v1/users/${user}/tickets`);
  expect(tickets.items.length === 2, 'two tickets issued');
  const { balance } = await call(main, 'GET', `/v1/users/${user}/balance`);
  expect(balance === 0, `balance 0 after paying, got ${balance}`);

  // Korean labels, switched by the button (and the seat map's numbers stay numbers).
  await page.locator('#lang-switch').click();
  await expectText(page.locator('h1'), '내 티켓', 'the Korean title');
  await snap(page, '08-tickets-ko');
});

test('two buyers pick the same seat: one holds it, the other is told and sees the map update', async ({ main }) => {
  const { concertId, scheduleId } = await createConcert(main, 'Race Night');
  const [first, second] = [await createUser(main, 'ana', 100_000), await createUser(main, 'ben', 100_000)];
  const allowed = [/status of 409/];
  const a = await newPage({ user: first, allowed });
  const b = await newPage({ user: second, allowed });
  await joinFromSchedules(a, main, concertId, scheduleId);
  await joinFromSchedules(b, main, concertId, scheduleId);
  await Promise.all([admittedToSeats(a), admittedToSeats(b)]);
  await seat(a, 7).click();
  await seat(a, 6).click();
  await seat(b, 7).click();
  await seat(b, 8).click();
  // Both press at once: one request wins, whichever it is.
  await Promise.all([a.locator('#hold-button').click(), b.locator('#hold-button').click()]);
  const held = (page) => page.locator('h1', { hasText: 'Your seats are held' }).waitFor({ timeout: kWait }).then(() => page);
  const winner = await Promise.any([held(a), held(b)]);
  const [loser, kept] = winner === a ? [b, 8] : [a, 6];
  await expectText(loser.locator('.message.error'), 'seat 7 was just taken by someone else', 'the other buyer is told');
  await seat(loser, 7).and(loser.locator('.held')).waitFor({ timeout: kWait });
  expect(await seat(loser, 7).isDisabled(), 'seat 7 cannot be picked any more');
  expect((await seat(loser, kept).getAttribute('aria-pressed')) === 'true', 'the other pick is kept');
  expect((await loser.locator('h1').textContent()) === 'Pick your seats', 'the other buyer holds nothing');
  await snap(loser, '09-seat-taken');
});

test('a hold left alone expires: the countdown reaches zero and the seats are free again', async ({ short }) => {
  const { concertId, scheduleId } = await createConcert(short, 'Short Hold Hall');
  const user = await createUser(short, 'cho', 100_000);
  const page = await newPage({ user });
  await joinFromSchedules(page, short, concertId, scheduleId);
  await admittedToSeats(page);
  await seat(page, 1).click();
  await seat(page, 2).click();
  await page.locator('#hold-button').click();
  await expectText(page.locator('#hold-countdown'), /^0:0[1-5]$/, 'the countdown running');
  await expectText(page.locator('#hold-countdown'), '0:00', 'the countdown at zero');
  await expectText(page.locator('.message.error'), 'Your hold expired and the seats were released', 'the expiry');
  expect(await page.locator('#pay-button').isDisabled(), 'paying is off once expired');
  await snap(page, '10-hold-expired');
  await page.locator('#pick-again').click();
  await admittedToSeats(page);
  for (const number of [1, 2]) {
    await seat(page, number).and(page.locator('.available')).waitFor({ timeout: kWait });
  }
});

test('the operator pauses the queue: the waiting buyer is told; resuming admits them', async ({ main }) => {
  const { concertId, scheduleId } = await createConcert(main, 'Paused Arena');
  const admin = await newPage({ allowed: [/status of 401/, /status of 404/] });
  await admin.goto(`${main.url}/admin`);
  // A wrong key first: a sentence, not a code.
  await admin.fill('#admin-key', 'wrong');
  await admin.locator('form button[type=submit]').click();
  await expectText(admin.locator('.message.error'), 'That key was not accepted', 'the key refusal');
  await admin.fill('#admin-key', kAdminKey);
  await admin.locator('form button[type=submit]').click();
  const card = admin.locator(`#concert-${concertId}`);
  await card.waitFor({ timeout: kWait });
  await admin.locator(`#concert-${concertId}-toggle`).click();
  await expectText(admin.locator(`#concert-${concertId}-state`), 'Paused', 'the paused state');
  expect((await call(main, 'GET', `/v1/admin/queues/${concertId}`)).paused === true, 'the queue is paused');

  const user = await createUser(main, 'dae', 100_000);
  const buyer = await newPage({ user });
  await joinFromSchedules(buyer, main, concertId, scheduleId);
  await expectText(buyer.locator('#queue-paused'), 'The queue is paused by the organiser', 'the paused notice');
  await expectText(admin.locator(`#concert-${concertId}-waiting`), '1', 'one waiting on the dashboard');
  await snap(buyer, '11-waiting-paused');

  await admin.locator(`#concert-${concertId}-toggle`).click();
  await expectText(admin.locator(`#concert-${concertId}-state`), 'Admitting', 'the running state');
  await admittedToSeats(buyer);
  await expectText(admin.locator(`#concert-${concertId}-active`), '1', 'one active on the dashboard');
  await expectText(admin.locator(`#concert-${concertId}-admitted`), '1', 'one admitted on the dashboard');

  // The limits form.
  await admin.fill(`#concert-${concertId}-per-tick`, '7');
  await admin.fill(`#concert-${concertId}-max-active`, '40');
  await card.locator('form.limits button[type=submit]').click();
  await expectText(card.locator('.message.success'), 'Saved', 'the limits saved');
  const settings = await call(main, 'GET', `/v1/admin/queues/${concertId}`);
  expect(settings.admitPerTick === 7 && settings.maxActive === 40, 'the limits reached the server');

  // The key stays for the tab only: sessionStorage, not localStorage.
  expect(await admin.evaluate(() => sessionStorage.getItem('ticketing.adminKey') !== null && localStorage.getItem('ticketing.adminKey') === null), 'the key is in sessionStorage only');
  await expectText(admin.locator(`#concert-${concertId}-chart`).locator('..'), /\/min now/, 'the chart caption');
  expect((await admin.locator(`#concert-${concertId}-chart polyline`).count()) === 1, 'the admissions line is drawn');
  await expectText(admin.locator('#outbox-pending'), /^\d+$/, 'outbox pending');
  await snap(admin, '12-dashboard');
  const retry = admin.locator('#retry-event');
  await retry.fill('00000000-0000-0000-0000-000000000000');
  await admin.locator('#retry-event ~ button').click();
  await expectText(admin.locator('.message.error'), 'There is no dead event with that id', 'the retry refusal');
});

test('a hostile concert title is shown as text on every page', async ({ main }) => {
  const { concertId, scheduleId } = await createConcert(main, kXssTitle);
  const user = await createUser(main, 'eun', 100_000);
  const page = await newPage({ user });
  await page.goto(`${main.url}/`);
  await expectText(page.locator('.concert-title'), kXssTitle, 'the title as text in the list');
  await page.goto(`${main.url}/#/concerts/${concertId}`);
  await expectText(page.locator('h1.concert-title'), kXssTitle, 'the title as text on the schedules');
  await page.locator(`button[data-schedule="${scheduleId}"]`).click();
  await admittedToSeats(page);
  await expectText(page.locator('.concert-title'), kXssTitle, 'the title as text on the seat map');
  expect((await page.locator('main img').count()) === 0, 'no img element made from the title');
  const admin = await newPage();
  await admin.goto(`${main.url}/admin`);
  await admin.fill('#admin-key', kAdminKey);
  await admin.locator('form button[type=submit]').click();
  await expectText(admin.locator(`#concert-${concertId}-title`), kXssTitle, 'the title as text on the dashboard');
  expect((await admin.locator('main img').count()) === 0, 'no img element on the dashboard');
  await snap(page, '13-xss-title');
});

test('Korean labels follow the browser language', async ({ main }) => {
  const page = await newPage({ locale: 'ko-KR' });
  await page.goto(`${main.url}/`);
  await expectText(page.locator('h1'), '예매 중인 공연', 'the Korean title');
  await page.locator('#lang-switch').click();
  await expectText(page.locator('h1'), 'Concerts open for booking', 'English after the switch');
});

// --- Run --------------------------------------------------------------------------------------------

let failed = 0;
try {
  const main = await startServer();
  const short = await startServer(['--reservation-hold-ttl', '4s']);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  for (const { name, body } of tests) {
    problems = [];
    const started = Date.now();
    try {
      await body({ main, short });
      for (const context of browser.contexts()) await context.close();
      if (problems.length) throw new Error(`console errors:\n  ${problems.join('\n  ')}`);
      console.log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${name}\n  ${error.stack ?? error}`);
      for (const [i, context] of browser.contexts().entries()) {
        for (const [j, page] of context.pages().entries()) {
          await page.screenshot({ path: join(shots, `failure-${tests.indexOf(tests.find((x) => x.name === name))}-${i}-${j}.png`), fullPage: true }).catch(() => {});
        }
        await context.close();
      }
    }
  }
} finally {
  await browser?.close();
  stopServers();
}
console.log(`${tests.length - failed} of ${tests.length} browser tests passed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
