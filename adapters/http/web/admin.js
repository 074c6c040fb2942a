// The operator dashboard: queues per concert (with admissions per minute drawn live), their pause and
// limits, seats per schedule, holds and the outbox. The admin key lives in sessionStorage: this tab only.
import {
  addLabels,
  api,
  applyStaticLabels,
  dateTime,
  errorText,
  fill,
  h,
  languageButton,
  message,
  onLanguageChange,
  t,
  won,
} from './common.js';

addLabels({
  en: {
    'admin.title': 'Operator dashboard',
    'admin.shop': 'Buyer pages',
    'admin.keyTitle': 'Admin key',
    'admin.keyIntro': 'Enter the server’s admin key (--admin-key). It is kept for this tab only.',
    'admin.keyLabel': 'Admin key',
    'admin.open': 'Open the dashboard',
    'admin.badKey': 'That key was not accepted. Check the server’s --admin-key.',
    'admin.signOut': 'Forget the key',
    'admin.overview': 'Now',
    'admin.holdsActive': 'Holds active',
    'admin.seatsSold': 'Seats sold (this server, since start)',
    'admin.outbox': 'Outbox',
    'admin.pending': 'Pending',
    'admin.dead': 'Dead',
    'admin.oldest': 'Oldest pending',
    'admin.seconds': '{n} s',
    'admin.retryLabel': 'Dead event id',
    'admin.retry': 'Retry the event',
    'admin.retried': 'Event {id} is pending again; the relay will publish it.',
    'admin.retryNotFound': 'There is no dead event with that id.',
    'admin.retryBad': 'An event id is the event’s UUID.',
    'admin.concerts': 'Concerts',
    'admin.concert': 'Concert #{id}',
    'admin.waiting': 'Waiting',
    'admin.active': 'Active',
    'admin.admitted': 'Admitted in all',
    'admin.paused': 'Paused',
    'admin.running': 'Admitting',
    'admin.pause': 'Pause the queue',
    'admin.resume': 'Resume the queue',
    'admin.chart': 'Admissions per minute',
    'admin.chartNow': '{n}/min now · measured since this page opened',
    'admin.chartWait': 'The chart fills as the dashboard samples the queue.',
    'admin.limits': 'Limits',
    'admin.maxActive': 'Most active at once',
    'admin.admitPerTick': 'Admitted per tick',
    'admin.tickInterval': 'Seconds between ticks',
    'admin.save': 'Save the limits',
    'admin.saved': 'Saved. The queue uses the new limits now.',
    'admin.schedules': 'Schedules',
    'admin.starts': 'Starts',
    'admin.price': 'Price',
    'admin.seats': 'Seats',
    'admin.available': 'Available',
    'admin.taken': 'Held or sold',
    'admin.updated': 'Updated {time}',
  },
  ko: {
    'admin.title': '운영자 대시보드',
    'admin.shop': '구매자 페이지',
    'admin.keyTitle': '관리자 키',
    'admin.keyIntro': '서버의 관리자 키(--admin-key)를 입력하세요. 이 탭에서만 보관됩니다.',
    'admin.keyLabel': '관리자 키',
    'admin.open': '대시보드 열기',
    'admin.badKey': '키가 맞지 않습니다. 서버의 --admin-key를 확인해 주세요.',
    'admin.signOut': '키 지우기',
    'admin.overview': '현재',
    'admin.holdsActive': '진행 중인 선점',
    'admin.seatsSold': '판매 좌석 (이 서버, 시작 이후)',
    'admin.outbox': '아웃박스',
    'admin.pending': '대기',
    'admin.dead': '실패',
    'admin.oldest': '가장 오래된 대기',
    'admin.seconds': '{n}초',
    'admin.retryLabel': '실패한 이벤트 ID',
    'admin.retry': '이벤트 재시도',
    'admin.retried': '이벤트 {id}가 다시 대기 상태가 되었습니다. 릴레이가 발행합니다.',
    'admin.retryNotFound': '그 ID의 실패한 이벤트가 없습니다.',
    'admin.retryBad': '이벤트 ID는 이벤트의 UUID입니다.',
    'admin.concerts': '공연',
    'admin.concert': '공연 #{id}',
    'admin.waiting': '대기 중',
    'admin.active': '입장 중',
    'admin.admitted': '누적 입장',
    'admin.paused': '일시 정지',
    'admin.running': '입장 진행 중',
    'admin.pause': '대기열 일시 정지',
    'admin.resume': '대기열 재개',
    'admin.chart': '분당 입장 수',
    'admin.chartNow': '현재 분당 {n}명 · 이 페이지를 연 뒤부터 측정',
    'admin.chartWait': '대시보드가 대기열을 측정하는 동안 차트가 채워집니다.',
    'admin.limits': '한도',
    'admin.maxActive': '동시 입장 최대',
    'admin.admitPerTick': '틱당 입장 수',
    'admin.tickInterval': '틱 간격 (초)',
    'admin.save': '한도 저장',
    'admin.saved': '저장했습니다. 대기열에 바로 적용됩니다.',
    'admin.schedules': '회차',
    'admin.starts': '시작',
    'admin.price': '가격',
    'admin.seats': '좌석',
    'admin.available': '잔여',
    'admin.taken': '선점 또는 판매',
    'admin.updated': '{time} 갱신',
  },
});

const main = document.getElementById('main');
const kKey = 'ticketing.adminKey';
const kRefreshMs = 2000;
const kChartMinutes = 10;
const kSvg = 'http://www.w3.org/2000/svg';

let key = sessionStorage.getItem(kKey);
let refresher = null;
const concerts = new Map(); // id → the card's parts, built once and updated in place (forms keep their input)
const histories = new Map(); // id → samples of admittedTotal, kept across rebuilds (a language switch)

function keyView(error) {
  clearInterval(refresher);
  concerts.clear();
  const input = h('input', { id: 'admin-key', type: 'password', autocomplete: 'off', required: true });
  fill(
    main,
    h('h1', {}, t('admin.title')),
    h(
      'form',
      {
        class: 'card narrow',
        onsubmit: async (event) => {
          event.preventDefault();
          key = input.value.trim();
          sessionStorage.setItem(kKey, key);
          start();
        },
      },
      h('h2', {}, t('admin.keyTitle')),
      h('p', {}, t('admin.keyIntro')),
      error && message('error', error),
      h('label', { for: 'admin-key' }, t('admin.keyLabel')),
      h('div', { class: 'row' }, input, h('button', { type: 'submit' }, t('admin.open')))
    )
  );
  input.focus();
}

/** The samples of one Prometheus family: [{labels, value}]. */
function samples(text, family) {
  const out = [];
  for (const line of text.split('\n')) {
    const match = line.match(/^(\w+)(?:\{([^}]*)\})?\s+(\S+)/);
    if (!match || match[1] !== family) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

function stat(label, value) {
  return h('div', { class: 'stat' }, h('p', { class: 'label' }, label), value);
}

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(kSvg, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The smallest 1, 2 or 5 × 10^k at or above `value`: an axis that ends on a round number. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= value);
}

/**
 * Admissions per minute over the last kChartMinutes, from the samples of admittedTotal the dashboard took:
 * each point is the rate over the minute before it (or over the samples there are, early on).
 */
function drawChart(chart, history) {
  const width = 400;
  const height = 150;
  const pad = { left: 36, right: 14, top: 12, bottom: 24 };
  const now = Date.now();
  const from = now - kChartMinutes * 60_000;
  const points = [];
  for (let i = 1; i < history.length; i += 1) {
    const at = history[i];
    let j = i - 1;
    while (j > 0 && at.t - history[j - 1].t <= 60_000) j -= 1;
    const base = history[j];
    const rate = ((at.admitted - base.admitted) / Math.max(1, at.t - base.t)) * 60_000;
    if (at.t >= from) points.push({ t: at.t, rate: Math.max(0, rate) });
  }
  const top = niceCeiling(Math.max(10, ...points.map((p) => p.rate)));
  const x = (time) => pad.left + ((time - from) / (now - from)) * (width - pad.left - pad.right);
  const y = (rate) => height - pad.bottom - (rate / top) * (height - pad.top - pad.bottom);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  root.append(svg('title', {}, t('admin.chart')));
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.append(svg('text', { x: pad.left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, Math.round(value)));
  }
  for (let minute = 0; minute <= kChartMinutes; minute += 5) {
    const time = now - minute * 60_000;
    root.append(svg('text', { x: x(time), y: height - 6, class: 'axis', 'text-anchor': 'middle' }, minute ? `-${minute}m` : 'now'));
  }
  if (points.length > 1) {
    const line = points.map((p) => `${x(p.t).toFixed(1)},${y(p.rate).toFixed(1)}`).join(' ');
    const base = y(0).toFixed(1);
    root.append(svg('polygon', { points: `${x(points[0].t).toFixed(1)},${base} ${line} ${x(points.at(-1).t).toFixed(1)},${base}`, class: 'area' }));
    root.append(svg('polyline', { points: line, class: 'line' }));
  }
  const latest = points.at(-1)?.rate ?? 0;
  chart.caption.textContent = points.length > 1 ? t('admin.chartNow', { n: Math.round(latest) }) : t('admin.chartWait');
  chart.replaceChildren(root);
}

function numberField(id, label) {
  const input = h('input', { id, type: 'number', min: id.endsWith('tick-interval') ? 1 : 0, step: 1, required: true });
  return { input, field: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

/** A concert's card: built once, then `update` refreshes its numbers. */
function concertCard(id, title) {
  const prefix = `concert-${id}`;
  const waiting = h('p', { class: 'big', id: `${prefix}-waiting` });
  const active = h('p', { class: 'big', id: `${prefix}-active` });
  const admitted = h('p', { class: 'big', id: `${prefix}-admitted` });
  const state = h('span', { class: 'badge', id: `${prefix}-state` });
  const toggle = h('button', { type: 'button', id: `${prefix}-toggle` });
  const messages = h('div', { 'aria-live': 'polite' });
  const chart = h('div', { class: 'chart-box', id: `${prefix}-chart` });
  chart.caption = h('p', { class: 'muted small' });
  const maxActive = numberField(`${prefix}-max-active`, t('admin.maxActive'));
  const perTick = numberField(`${prefix}-per-tick`, t('admin.admitPerTick'));
  const interval = numberField(`${prefix}-tick-interval`, t('admin.tickInterval'));
  const schedules = h('tbody');
  if (!histories.has(id)) histories.set(id, []);
  const history = histories.get(id);
  let paused = false;

  const put = async (patch, done) => {
    try {
      const settings = await api('PUT', `/v1/admin/queues/${id}`, { body: patch, bearer: key });
      setInputs(settings);
      paused = settings.paused;
      showState();
      fill(messages, done && message('success', done));
    } catch (error) {
      fill(messages, message('error', errorText(error)));
    }
  };
  const setInputs = (settings) => {
    maxActive.input.value = settings.maxActive;
    perTick.input.value = settings.admitPerTick;
    interval.input.value = settings.tickIntervalSeconds;
  };
  const showState = () => {
    state.textContent = paused ? t('admin.paused') : t('admin.running');
    state.className = `badge ${paused ? 'paused' : 'running'}`;
    toggle.textContent = paused ? t('admin.resume') : t('admin.pause');
  };
  toggle.addEventListener('click', () => put({ paused: !paused }));
  const limits = h(
    'form',
    {
      class: 'limits',
      onsubmit: (event) => {
        event.preventDefault();
        put(
          {
            maxActive: Number(maxActive.input.value),
            admitPerTick: Number(perTick.input.value),
            tickIntervalSeconds: Number(interval.input.value),
          },
          t('admin.saved')
        );
      },
    },
    h('h3', {}, t('admin.limits')),
    h('div', { class: 'fields' }, maxActive.field, perTick.field, interval.field),
    h('button', { type: 'submit', class: 'secondary' }, t('admin.save'))
  );

  const element = h(
    'section',
    { class: 'card concert-admin', id: prefix, 'aria-labelledby': `${prefix}-title` },
    h('div', { class: 'card-head' }, h('h2', { id: `${prefix}-title`, class: 'concert-title' }, title), state),
    h(
      'div',
      { class: 'concert-body' },
      h(
        'div',
        {},
        h(
          'div',
          { class: 'stats' },
          stat(t('admin.waiting'), waiting),
          stat(t('admin.active'), active),
          stat(t('admin.admitted'), admitted)
        ),
        toggle,
        messages,
        limits
      ),
      h('div', {}, h('h3', {}, t('admin.chart')), chart, chart.caption)
    ),
    h('h3', {}, t('admin.schedules')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['admin.starts', 'admin.price', 'admin.seats', 'admin.available', 'admin.taken'].map((k) => h('th', { scope: 'col' }, t(k)))
          )
        ),
        schedules
      )
    )
  );

  let first = true;
  const update = (stats, items) => {
    waiting.textContent = stats.waiting.toLocaleString();
    active.textContent = stats.active.toLocaleString();
    admitted.textContent = stats.admittedTotal.toLocaleString();
    paused = stats.paused;
    showState();
    if (first) setInputs(stats);
    first = false;
    history.push({ t: Date.now(), admitted: stats.admittedTotal });
    while (history.length > 2 && history[1].t < Date.now() - (kChartMinutes + 1) * 60_000) history.shift();
    drawChart(chart, history);
    fill(
      schedules,
      items.map((s) =>
        h(
          'tr',
          { 'data-schedule': s.id },
          h('td', {}, dateTime(s.startsAt)),
          h('td', {}, won(s.price)),
          h('td', {}, s.totalSeats),
          h('td', {}, s.availableSeats),
          h('td', { class: 'taken' }, s.totalSeats - s.availableSeats)
        )
      )
    );
  };
  return { element, update };
}

async function refresh(view) {
  let outbox;
  let metrics;
  let open;
  try {
    [outbox, metrics, { items: open }] = await Promise.all([
      api('GET', '/v1/admin/outbox', { bearer: key }),
      api('GET', '/metrics', { text: true }),
      api('GET', '/v1/concerts?limit=100'),
    ]);
  } catch (error) {
    if (error.code === 'UNAUTHENTICATED') {
      sessionStorage.removeItem(kKey);
      return keyView(t('admin.badKey'));
    }
    return fill(view.status, message('error', errorText(error)));
  }
  fill(view.status);
  view.pending.textContent = outbox.pending;
  view.dead.textContent = outbox.dead;
  view.oldest.textContent = t('admin.seconds', { n: outbox.oldestPendingAgeSeconds });
  // The newest dead events, each with its own Retry: no id to copy by hand. Text nodes only (h()).
  fill(
    view.deadEvents,
    outbox.deadEvents.map((e) =>
      h(
        'li',
        {},
        h('code', {}, e.eventId),
        ` ${e.type} · ${e.aggregate} · ${e.lastError} `,
        h(
          'button',
          { type: 'button', class: 'secondary small', onclick: () => view.retry(e.eventId) },
          t('admin.retry')
        )
      )
    )
  );
  view.holds.textContent = samples(metrics, 'ticketing_holds_active')[0]?.value ?? 0;
  view.sold.textContent = samples(metrics, 'ticketing_seats_sold_total')[0]?.value ?? 0;

  // The open concerts, and any other concert that has a queue (a closed one people still wait in).
  const titles = new Map(open.map((c) => [c.id, c.title]));
  for (const sample of samples(metrics, 'ticketing_queue_waiting')) {
    const id = Number(sample.labels.concert);
    if (id > 0 && !titles.has(id)) titles.set(id, t('admin.concert', { id }));
  }
  // Cards are placed in id order before their numbers arrive, so the page does not reorder itself.
  for (const [id, title] of [...titles].sort(([a], [b]) => a - b)) {
    if (concerts.has(id)) continue;
    concerts.set(id, concertCard(id, title));
    view.concerts.append(concerts.get(id).element);
  }
  await Promise.all(
    [...titles.keys()].map(async (id) => {
      try {
        const [stats, { items }] = await Promise.all([
          api('GET', `/v1/admin/queues/${id}`, { bearer: key }),
          api('GET', `/v1/concerts/${id}/schedules`),
        ]);
        concerts.get(id).update(stats, items);
      } catch (error) {
        fill(view.status, message('error', errorText(error)));
      }
    })
  );
  view.updated.textContent = t('admin.updated', { time: new Date().toLocaleTimeString() });
}

function dashboard() {
  const view = {
    status: h('div', { 'aria-live': 'polite' }),
    pending: h('p', { class: 'big', id: 'outbox-pending' }),
    dead: h('p', { class: 'big', id: 'outbox-dead' }),
    oldest: h('p', { class: 'big', id: 'outbox-oldest' }),
    deadEvents: h('ul', { id: 'dead-events' }),
    holds: h('p', { class: 'big', id: 'holds-active' }),
    sold: h('p', { class: 'big', id: 'seats-sold' }),
    concerts: h('div', { class: 'concert-list', id: 'concerts' }),
    updated: h('p', { class: 'muted small', id: 'updated' }),
  };
  const retryInput = h('input', { id: 'retry-event', autocomplete: 'off', required: true, maxlength: 64 });
  const retryMessages = h('div', { 'aria-live': 'polite' });
  view.retry = async (id) => {
    try {
      await api('POST', `/v1/admin/outbox/${encodeURIComponent(id)}/retry`, { bearer: key });
      fill(retryMessages, message('success', t('admin.retried', { id })));
      retryInput.value = '';
      await refresh(view);
    } catch (error) {
      fill(
        retryMessages,
        message('error', errorText(error, { NOT_FOUND: 'admin.retryNotFound', INVALID_ARGUMENT: 'admin.retryBad' }))
      );
    }
  };
  const retry = (event) => {
    event.preventDefault();
    return view.retry(retryInput.value.trim());
  };
  const signOut = () => {
    sessionStorage.removeItem(kKey);
    key = null;
    keyView();
  };
  concerts.clear();
  fill(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, t('admin.title')),
      h('button', { type: 'button', class: 'secondary small', onclick: signOut }, t('admin.signOut'))
    ),
    view.updated,
    view.status,
    h(
      'div',
      { class: 'overview' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'overview-title' },
        h('h2', { id: 'overview-title' }, t('admin.overview')),
        h('div', { class: 'stats' }, stat(t('admin.holdsActive'), view.holds), stat(t('admin.seatsSold'), view.sold))
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'outbox-title' },
        h('h2', { id: 'outbox-title' }, t('admin.outbox')),
        h(
          'div',
          { class: 'stats' },
          stat(t('admin.pending'), view.pending),
          stat(t('admin.dead'), view.dead),
          stat(t('admin.oldest'), view.oldest)
        ),
        view.deadEvents,
        h(
          'form',
          { onsubmit: retry },
          h('label', { for: 'retry-event' }, t('admin.retryLabel')),
          h('div', { class: 'row' }, retryInput, h('button', { type: 'submit', class: 'secondary' }, t('admin.retry')))
        ),
        retryMessages
      )
    ),
    h('h2', {}, t('admin.concerts')),
    view.concerts
  );
  return view;
}

async function start() {
  clearInterval(refresher);
  if (!key) return keyView();
  const view = dashboard();
  await refresh(view);
  if (!sessionStorage.getItem(kKey)) return; // the key was refused: the key form is showing
  refresher = setInterval(() => refresh(view), kRefreshMs);
}

document.getElementById('lang-slot').append(languageButton());
onLanguageChange(start);
applyStaticLabels();
start();
