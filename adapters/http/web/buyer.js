// The buyer pages: concerts → dates → waiting room → seat map → hold and payment → tickets.
// One page, views by location hash, so the back button and a reload keep the buyer where they were.
import {
  addLabels,
  api,
  ApiError,
  applyStaticLabels,
  clock,
  dateTime,
  errorText,
  fill,
  h,
  languageButton,
  message,
  newKey,
  onLanguageChange,
  t,
  won,
} from './common.js';

addLabels({
  en: {
    'page.title': 'Tickets',
    'nav.concerts': 'Concerts',
    'nav.tickets': 'My tickets',
    'who.signin': 'Sign in',
    'who.buyer': 'Buyer #{id}',
    'who.switch': 'Switch buyer',
    'signin.title': 'Who is buying?',
    'signin.demo': 'Demo buyers',
    'signin.demoBuyer': 'Buyer #{id} · {balance}',
    'signin.number': 'Your buyer number',
    'signin.continue': 'Continue',
    'signin.new': 'New buyer',
    'signin.name': 'Your name',
    'signin.create': 'Create my account',
    'signin.unknown': 'There is no buyer with that number.',
    'signin.badNumber': 'Enter your buyer number (digits only).',
    'signin.badName': 'Enter your name.',
    'signin.created': 'Welcome, {name}! Your buyer number is {id}. Keep it to sign in again.',
    'concerts.title': 'Concerts open for booking',
    'concerts.none': 'No concerts are open for booking right now.',
    'concerts.window': 'Booking open until {closes}',
    'concerts.choose': 'Choose a date',
    'schedules.back': '← All concerts',
    'schedules.title': 'Dates',
    'schedules.seatsLeft': '{left} of {total} seats left',
    'schedules.soldOut': 'Sold out',
    'schedules.join': 'Join the queue',
    'schedules.none': 'This concert has no dates yet.',
    'queue.title': 'You are in the waiting room',
    'queue.intro': 'Keep this page open. When it is your turn, the seat map opens by itself.',
    'queue.position': 'Your place in line',
    'queue.eta': 'Estimated wait',
    'queue.etaSoon': 'less than a minute',
    'queue.etaMinutes': 'about {minutes} min',
    'queue.progress': 'Progress to the front',
    'queue.nextCheck': 'Next update in {seconds} s',
    'queue.pausedShort': 'Paused',
    'queue.paused': 'The queue is paused by the organiser. You keep your place; it moves again when they resume.',
    'queue.leave': 'Leave the queue',
    'queue.left': 'You left the queue.',
    'queue.ended': 'Your place in the queue has ended. Join again to continue.',
    'queue.joinAgain': 'Join the queue again',
    'queue.admitted': 'It is your turn! Pick your seats.',
    'seats.title': 'Pick your seats',
    'seats.stage': 'STAGE',
    'seats.turnEnds': 'Your turn ends in {time}',
    'seats.limit': 'You can pick up to {max} seats.',
    'seats.atLimit': 'That is the most seats one booking allows ({max}).',
    'seats.available': 'Available',
    'seats.held': 'Held',
    'seats.sold': 'Sold',
    'seats.selected': 'Your pick',
    'seats.seatLabel': 'Seat {number}, {status}',
    'seats.none': 'No seats picked yet.',
    'seats.picked': 'Seats {numbers} · {amount}',
    'seats.pickedOne': 'Seat {numbers} · {amount}',
    'seats.hold': 'Hold these seats',
    'seats.taken': 'Sorry, seat {numbers} was just taken by someone else. The map is updated: please pick again.',
    'seats.goToHold': 'Go to my held seats',
    'hold.title': 'Your seats are held',
    'hold.expiredTitle': 'Your hold has expired',
    'hold.seats': 'Seats {numbers}',
    'hold.seatsOne': 'Seat {numbers}',
    'hold.amount': 'Total {amount}',
    'hold.timeLeft': 'Time left to pay',
    'hold.expired': 'Your hold expired and the seats were released. You can pick seats again.',
    'hold.pickAgain': 'Pick seats again',
    'hold.balance': 'Your balance: {balance}',
    'hold.shortfall': 'You need {amount} more to pay.',
    'hold.chargeLabel': 'Add money (₩)',
    'hold.charge': 'Add to balance',
    'hold.charged': 'Added. Your balance is now {balance}.',
    'hold.badAmount': 'Enter an amount from ₩1 to ₩10,000,000.',
    'hold.pay': 'Pay {amount}',
    'hold.cancel': 'Cancel and release the seats',
    'hold.cancelled': 'Your hold was cancelled and the seats released.',
    'tickets.title': 'My tickets',
    'tickets.paid': 'Payment complete. Enjoy the show!',
    'tickets.none': 'You have no tickets yet.',
    'tickets.seat': 'Seat {number}',
    'tickets.ISSUED': 'Valid',
    'tickets.REFUNDED': 'Refunded',
    'tickets.concert': 'Concert #{id}',
    'tickets.balance': 'Balance {balance}',
    'loading': 'Loading…',
    'retry': 'Try again',
  },
  ko: {
    'page.title': '티켓 예매',
    'nav.concerts': '공연',
    'nav.tickets': '내 티켓',
    'who.signin': '로그인',
    'who.buyer': '구매자 #{id}',
    'who.switch': '구매자 바꾸기',
    'signin.title': '누가 예매하시나요?',
    'signin.demo': '데모 구매자',
    'signin.demoBuyer': '구매자 #{id} · {balance}',
    'signin.number': '구매자 번호',
    'signin.continue': '계속',
    'signin.new': '새 구매자',
    'signin.name': '이름',
    'signin.create': '계정 만들기',
    'signin.unknown': '그 번호의 구매자가 없습니다.',
    'signin.badNumber': '구매자 번호를 숫자로 입력해 주세요.',
    'signin.badName': '이름을 입력해 주세요.',
    'signin.created': '{name}님 환영합니다! 구매자 번호는 {id}입니다. 다시 로그인할 때 필요합니다.',
    'concerts.title': '예매 중인 공연',
    'concerts.none': '지금 예매 중인 공연이 없습니다.',
    'concerts.window': '{closes}까지 예매 가능',
    'concerts.choose': '날짜 선택',
    'schedules.back': '← 전체 공연',
    'schedules.title': '공연 날짜',
    'schedules.seatsLeft': '{total}석 중 {left}석 남음',
    'schedules.soldOut': '매진',
    'schedules.join': '대기열 참여',
    'schedules.none': '아직 공연 날짜가 없습니다.',
    'queue.title': '대기실에 입장했습니다',
    'queue.intro': '이 페이지를 열어 두세요. 차례가 되면 좌석 배치도가 자동으로 열립니다.',
    'queue.position': '내 대기 순서',
    'queue.eta': '예상 대기 시간',
    'queue.etaSoon': '1분 미만',
    'queue.etaMinutes': '약 {minutes}분',
    'queue.progress': '입장까지 진행률',
    'queue.nextCheck': '{seconds}초 후 새로 고침',
    'queue.pausedShort': '일시 정지',
    'queue.paused': '주최 측이 대기열을 일시 정지했습니다. 순서는 그대로 유지되며 재개되면 다시 진행됩니다.',
    'queue.leave': '대기열 나가기',
    'queue.left': '대기열에서 나왔습니다.',
    'queue.ended': '대기열 순서가 만료되었습니다. 계속하려면 다시 참여해 주세요.',
    'queue.joinAgain': '대기열 다시 참여',
    'queue.admitted': '차례가 되었습니다! 좌석을 선택하세요.',
    'seats.title': '좌석 선택',
    'seats.stage': '무대',
    'seats.turnEnds': '남은 예매 시간 {time}',
    'seats.limit': '최대 {max}석까지 선택할 수 있습니다.',
    'seats.atLimit': '한 번에 예매할 수 있는 최대 좌석 수({max}석)입니다.',
    'seats.available': '선택 가능',
    'seats.held': '선점됨',
    'seats.sold': '판매됨',
    'seats.selected': '내 선택',
    'seats.seatLabel': '{number}번 좌석, {status}',
    'seats.none': '아직 선택한 좌석이 없습니다.',
    'seats.picked': '{numbers}번 좌석 · {amount}',
    'seats.pickedOne': '{numbers}번 좌석 · {amount}',
    'seats.hold': '이 좌석 선점하기',
    'seats.taken': '죄송합니다. {numbers}번 좌석을 방금 다른 분이 잡았습니다. 배치도를 새로 고쳤으니 다시 선택해 주세요.',
    'seats.goToHold': '선점한 좌석으로 가기',
    'hold.title': '좌석을 선점했습니다',
    'hold.expiredTitle': '좌석 선점 시간이 끝났습니다',
    'hold.seats': '{numbers}번 좌석',
    'hold.seatsOne': '{numbers}번 좌석',
    'hold.amount': '합계 {amount}',
    'hold.timeLeft': '결제 남은 시간',
    'hold.expired': '선점 시간이 끝나 좌석이 해제되었습니다. 좌석을 다시 선택할 수 있습니다.',
    'hold.pickAgain': '좌석 다시 선택',
    'hold.balance': '내 잔액: {balance}',
    'hold.shortfall': '결제하려면 {amount}이 더 필요합니다.',
    'hold.chargeLabel': '충전 금액 (₩)',
    'hold.charge': '잔액 충전',
    'hold.charged': '충전했습니다. 현재 잔액은 {balance}입니다.',
    'hold.badAmount': '₩1부터 ₩10,000,000 사이의 금액을 입력해 주세요.',
    'hold.pay': '{amount} 결제',
    'hold.cancel': '취소하고 좌석 해제',
    'hold.cancelled': '선점을 취소하고 좌석을 해제했습니다.',
    'tickets.title': '내 티켓',
    'tickets.paid': '결제가 완료되었습니다. 즐거운 관람 되세요!',
    'tickets.none': '아직 티켓이 없습니다.',
    'tickets.seat': '{number}번 좌석',
    'tickets.ISSUED': '유효',
    'tickets.REFUNDED': '환불됨',
    'tickets.concert': '공연 #{id}',
    'tickets.balance': '잔액 {balance}',
    'loading': '불러오는 중…',
    'retry': '다시 시도',
  },
});

const main = document.getElementById('main');
const who = document.getElementById('who');
const kDemoBuyers = [1, 2, 3];
const kSeatRefreshMs = 3000;
const kMaxCharge = 10_000_000;

// --- What the browser remembers ----------------------------------------------------------------------

const memory = {
  get user() {
    const id = Number(localStorage.getItem('ticketing.user'));
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  },
  set user(id) {
    if (id) localStorage.setItem('ticketing.user', String(id));
    else localStorage.removeItem('ticketing.user');
  },
  tokenKey(concertId) {
    return `ticketing.token.${this.user}.${concertId}`;
  },
  token(concertId) {
    return localStorage.getItem(this.tokenKey(concertId));
  },
  setToken(concertId, token) {
    if (token) localStorage.setItem(this.tokenKey(concertId), token);
    else localStorage.removeItem(this.tokenKey(concertId));
  },
  // A message for the next view (after a navigation).
  flash: null,
};

// --- Views -------------------------------------------------------------------------------------------

let timers = [];
let generation = 0;

/** Runs `fn` later unless the buyer has moved to another view by then. */
function later(fn, ms) {
  const mine = generation;
  timers.push(setTimeout(() => mine === generation && fn(), ms));
}

/** Runs `fn` every `ms` while the view is on screen; returns the id for clearInterval. */
function every(fn, ms) {
  const mine = generation;
  const id = setInterval(() => mine === generation && fn(), ms);
  timers.push(id);
  return id;
}

/** Whether the view that started an await is still the one on screen. */
function current(mine) {
  return mine === generation;
}

function go(hash, { replace = false } = {}) {
  if (location.hash === hash) route();
  else if (replace) location.replace(hash);
  else location.hash = hash;
}

/** A message area a view writes to: errors as alerts, the rest as polite status. */
function messageArea() {
  const area = h('div', { class: 'messages', 'aria-live': 'polite' });
  area.show = (kind, text) => fill(area, text ? message(kind, text) : null);
  return area;
}

function errorView(error, retry) {
  fill(main, message('error', errorText(error)), h('button', { type: 'button', onclick: retry }, t('retry')));
}

function route() {
  for (const id of timers) {
    clearTimeout(id);
    clearInterval(id);
  }
  timers = [];
  generation += 1;
  const [name, a, b] = location.hash.replace(/^#\/?/, '').split('/');
  const id = (text) => (/^[1-9]\d{0,15}$/.test(text ?? '') ? Number(text) : null);
  renderWho();
  const views = {
    '': () => concertsView(),
    signin: () => signInView(),
    concerts: () => (id(a) ? schedulesView(id(a)) : concertsView()),
    queue: () => needUser(() => waitingView(id(a), id(b))),
    seats: () => needUser(() => seatsView(id(a), id(b))),
    hold: () => needUser(() => holdView(id(a), id(b))),
    tickets: () => needUser(() => ticketsView()),
  };
  main.dataset.view = name in views ? name : '';
  (views[name] ?? views[''])();
  main.focus({ preventScroll: true });
}

function needUser(view) {
  if (memory.user) return view();
  sessionStorage.setItem('ticketing.next', location.hash);
  return signInView();
}

async function renderWho() {
  const user = memory.user;
  if (!user) {
    fill(who, h('a', { href: '#/signin', class: 'button secondary' }, t('who.signin')));
    return;
  }
  const balance = h('span', { class: 'balance', id: 'who-balance' });
  fill(
    who,
    h('span', { class: 'buyer' }, t('who.buyer', { id: user }), ' · ', balance),
    h('a', { href: '#/signin', class: 'button secondary small' }, t('who.switch'))
  );
  try {
    const { balance: amount } = await api('GET', `/v1/users/${user}/balance`);
    balance.textContent = won(amount);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'NOT_FOUND') {
      memory.user = null;
      renderWho();
    }
  }
}

function signIn(id) {
  memory.user = id;
  const next = sessionStorage.getItem('ticketing.next');
  sessionStorage.removeItem('ticketing.next');
  go(next && next !== '#/signin' ? next : '#/');
}

function signInView() {
  const messages = messageArea();
  const number = h('input', { id: 'buyer-number', inputmode: 'numeric', autocomplete: 'off', required: true });
  const name = h('input', { id: 'buyer-name', autocomplete: 'name', maxlength: 100, required: true });
  const demo = h('div', { class: 'demo-buyers' });

  const existing = async (event) => {
    event.preventDefault();
    const text = number.value.trim();
    if (!/^[1-9]\d{0,15}$/.test(text)) return messages.show('error', t('signin.badNumber'));
    try {
      await api('GET', `/v1/users/${text}/balance`);
      signIn(Number(text));
    } catch (error) {
      messages.show('error', errorText(error, { NOT_FOUND: 'signin.unknown' }));
    }
  };
  const create = async (event) => {
    event.preventDefault();
    const text = name.value.trim();
    if (!text) return messages.show('error', t('signin.badName'));
    try {
      const user = await api('POST', '/v1/users', { body: { name: text } });
      memory.flash = t('signin.created', { name: user.name, id: user.id });
      signIn(user.id);
    } catch (error) {
      messages.show('error', errorText(error));
    }
  };

  fill(
    main,
    h('h1', {}, t('signin.title')),
    messages,
    h('section', { class: 'card', 'aria-labelledby': 'demo-title' }, h('h2', { id: 'demo-title' }, t('signin.demo')), demo),
    h(
      'form',
      { class: 'card', onsubmit: existing },
      h('label', { for: 'buyer-number' }, t('signin.number')),
      h('div', { class: 'row' }, number, h('button', { type: 'submit' }, t('signin.continue')))
    ),
    h(
      'form',
      { class: 'card', onsubmit: create },
      h('h2', {}, t('signin.new')),
      h('label', { for: 'buyer-name' }, t('signin.name')),
      h('div', { class: 'row' }, name, h('button', { type: 'submit' }, t('signin.create')))
    )
  );
  // The demo data's buyers, when this server has them (scripts/serve seeds them).
  const mine = generation;
  Promise.allSettled(kDemoBuyers.map((id) => api('GET', `/v1/users/${id}/balance`))).then((results) => {
    if (!current(mine)) return;
    const found = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    if (found.length === 0) return demo.parentElement.remove();
    fill(
      demo,
      found.map((u) =>
        h(
          'button',
          { type: 'button', class: 'secondary', onclick: () => signIn(u.userId), 'data-buyer': u.userId },
          t('signin.demoBuyer', { id: u.userId, balance: won(u.balance) })
        )
      )
    );
  });
}

async function concertTitle(concertId) {
  const { items } = await api('GET', '/v1/concerts?limit=100');
  return items.find((c) => c.id === concertId)?.title ?? t('tickets.concert', { id: concertId });
}

async function concertsView() {
  const mine = generation;
  fill(main, h('h1', {}, t('concerts.title')), h('p', {}, t('loading')));
  let concerts;
  try {
    concerts = (await api('GET', '/v1/concerts?limit=100')).items;
  } catch (error) {
    return current(mine) && errorView(error, route);
  }
  if (!current(mine)) return;
  const flash = memory.flash;
  memory.flash = null;
  fill(
    main,
    h('h1', {}, t('concerts.title')),
    flash && message('success', flash),
    concerts.length === 0
      ? h('p', {}, t('concerts.none'))
      : h(
          'ul',
          { class: 'cards' },
          concerts.map((c) =>
            h(
              'li',
              { class: 'card concert' },
              h('h2', { class: 'concert-title' }, c.title),
              h('p', { class: 'muted' }, t('concerts.window', { closes: dateTime(c.reservationClosesAt) })),
              h('a', { class: 'button', href: `#/concerts/${c.id}` }, t('concerts.choose'))
            )
          )
        )
  );
}

async function schedulesView(concertId) {
  const mine = generation;
  fill(main, h('p', {}, t('loading')));
  let title;
  let schedules;
  try {
    [title, { items: schedules }] = await Promise.all([
      concertTitle(concertId),
      api('GET', `/v1/concerts/${concertId}/schedules`),
    ]);
  } catch (error) {
    return current(mine) && errorView(error, route);
  }
  if (!current(mine)) return;
  const messages = messageArea();
  const join = async (schedule) => {
    if (!memory.user) {
      sessionStorage.setItem('ticketing.next', `#/queue/${concertId}/${schedule.id}`);
      return go('#/signin');
    }
    try {
      await joinQueue(concertId);
      go(`#/queue/${concertId}/${schedule.id}`);
    } catch (error) {
      messages.show('error', errorText(error));
    }
  };
  fill(
    main,
    h('a', { href: '#/', class: 'back' }, t('schedules.back')),
    h('h1', { class: 'concert-title' }, title),
    h('h2', {}, t('schedules.title')),
    messages,
    schedules.length === 0
      ? h('p', {}, t('schedules.none'))
      : h(
          'ul',
          { class: 'cards' },
          schedules.map((s) =>
            h(
              'li',
              { class: 'card schedule' },
              h('h3', {}, dateTime(s.startsAt)),
              h('p', { class: 'price' }, won(s.price)),
              h('progress', { max: s.totalSeats, value: s.availableSeats, 'aria-hidden': 'true' }),
              h('p', { class: 'muted' }, t('schedules.seatsLeft', { left: s.availableSeats, total: s.totalSeats })),
              s.availableSeats > 0
                ? h('button', { type: 'button', onclick: () => join(s), 'data-schedule': s.id }, t('schedules.join'))
                : h('p', { class: 'badge sold' }, t('schedules.soldOut'))
            )
          )
        )
  );
}

/** Joins (idempotent per buyer and concert) and remembers the token. */
async function joinQueue(concertId) {
  const joined = await api('POST', `/v1/concerts/${concertId}/queue`, { body: { userId: memory.user } });
  memory.setToken(concertId, joined.token);
  return joined;
}

/** What a view shows when the queue token no longer works: join again. */
function tokenEnded(concertId, scheduleId, text = t('queue.ended')) {
  memory.setToken(concertId, null);
  fill(
    main,
    message('error', text),
    h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          try {
            await joinQueue(concertId);
            go(`#/queue/${concertId}/${scheduleId}`);
          } catch (error) {
            errorView(error, route);
          }
        },
      },
      t('queue.joinAgain')
    )
  );
}

async function waitingView(concertId, scheduleId) {
  if (!concertId || !scheduleId) return go('#/', { replace: true });
  const mine = generation;
  if (!memory.token(concertId)) {
    try {
      await joinQueue(concertId);
    } catch (error) {
      return current(mine) && errorView(error, route);
    }
  }
  const token = memory.token(concertId);
  const title = await concertTitle(concertId).catch(() => '');
  if (!current(mine)) return;

  const position = h('p', { class: 'position', id: 'queue-position' }, '…');
  const eta = h('p', { class: 'eta', id: 'queue-eta' }, '…');
  const progress = h('progress', { id: 'queue-progress', max: 100, value: 0, 'aria-labelledby': 'progress-label' });
  const next = h('progress', { class: 'next-check', max: 1, value: 0, 'aria-hidden': 'true' });
  const nextText = h('p', { class: 'muted small', id: 'queue-next' });
  const paused = h('div', { id: 'queue-paused', 'aria-live': 'polite' });
  const messages = messageArea();
  const firstKey = `ticketing.firstPosition.${token}`;

  const leave = async () => {
    try {
      await api('DELETE', '/v1/queue/me', { bearer: token });
    } catch {
      // Leaving a queue that already forgot the token is leaving it all the same.
    }
    memory.setToken(concertId, null);
    memory.flash = t('queue.left');
    go('#/');
  };

  fill(
    main,
    h('p', { class: 'concert-title muted' }, title),
    h('h1', {}, t('queue.title')),
    h('p', {}, t('queue.intro')),
    paused,
    messages,
    h(
      'div',
      { class: 'card waiting' },
      h('div', { class: 'stat' }, h('p', { class: 'label' }, t('queue.position')), position),
      h('div', { class: 'stat' }, h('p', { class: 'label' }, t('queue.eta')), eta),
      h('p', { class: 'label', id: 'progress-label' }, t('queue.progress')),
      progress,
      next,
      nextText
    ),
    h('button', { type: 'button', class: 'secondary', onclick: leave }, t('queue.leave'))
  );

  // The bar under the numbers fills until the next poll, which the server schedules (pollAfterSeconds).
  let countdown;
  const countdownTo = (seconds) => {
    clearInterval(countdown);
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.max(0, until - Date.now());
      next.value = 1 - left / (seconds * 1000);
      nextText.textContent = t('queue.nextCheck', { seconds: Math.ceil(left / 1000) });
    };
    tick();
    countdown = every(tick, 250);
  };

  const poll = async () => {
    let status;
    try {
      status = await api('GET', '/v1/queue/me', { bearer: token });
    } catch (error) {
      if (!current(mine)) return;
      if (error.code === 'UNAUTHENTICATED') return tokenEnded(concertId, scheduleId);
      messages.show('error', errorText(error));
      return later(poll, 3000);
    }
    if (!current(mine)) return;
    messages.show();
    if (status.status === 'ACTIVE') {
      memory.flash = t('queue.admitted');
      return go(`#/seats/${concertId}/${scheduleId}`, { replace: true });
    }
    const first = Math.max(Number(sessionStorage.getItem(firstKey)) || 0, status.position);
    sessionStorage.setItem(firstKey, String(first));
    position.textContent = status.position.toLocaleString();
    progress.value = Math.round(((first - status.position) / first) * 100);
    fill(paused, status.paused ? message('warning', t('queue.paused')) : null);
    eta.textContent = status.paused
      ? t('queue.pausedShort')
      : status.estimatedWaitSeconds < 60
        ? t('queue.etaSoon')
        : t('queue.etaMinutes', { minutes: Math.ceil(status.estimatedWaitSeconds / 60) });
    const after = Math.max(1, status.pollAfterSeconds ?? 5);
    countdownTo(after);
    later(poll, after * 1000);
  };
  poll();
}

const selections = new Map();  // scheduleId → Set of seat ids, kept across refreshes and language switches

function selectionOf(scheduleId) {
  if (!selections.has(scheduleId)) selections.set(scheduleId, new Set());
  return selections.get(scheduleId);
}

async function seatsView(concertId, scheduleId) {
  if (!concertId || !scheduleId) return go('#/', { replace: true });
  const mine = generation;
  const token = memory.token(concertId);
  if (!token) return go(`#/queue/${concertId}/${scheduleId}`, { replace: true });
  const selected = selectionOf(scheduleId);
  const messages = messageArea();
  const grid = h('div', { class: 'seat-grid', id: 'seat-grid', role: 'group', 'aria-labelledby': 'seats-title' });
  const summary = h('p', { id: 'seat-summary', 'aria-live': 'polite' });
  const limitNote = h('p', { class: 'muted small' });
  const turn = h('p', { class: 'turn', id: 'turn-ends', role: 'timer' });
  const holdButton = h('button', { type: 'button', id: 'hold-button', disabled: true }, t('seats.hold'));
  let seats = [];
  let max = 10;
  const title = await concertTitle(concertId).catch(() => '');
  if (!current(mine)) return;
  const flash = memory.flash;
  memory.flash = null;

  const legend = h(
    'ul',
    { class: 'legend' },
    ['available', 'held', 'sold', 'selected'].map((s) => h('li', {}, h('span', { class: `swatch ${s}` }), t(`seats.${s}`)))
  );
  fill(
    main,
    h('p', { class: 'concert-title muted' }, title),
    h('h1', { id: 'seats-title' }, t('seats.title')),
    turn,
    messages,
    legend,
    h('div', { class: 'stage', 'aria-hidden': 'true' }, t('seats.stage')),
    grid,
    h('div', { class: 'checkout-bar' }, h('div', {}, summary, limitNote), holdButton)
  );
  if (flash) messages.show('success', flash);

  const render = () => {
    const byId = new Map(seats.map((s) => [s.id, s]));
    const picked = [...selected].map((id) => byId.get(id)).filter(Boolean);
    const focused = document.activeElement?.dataset?.seat;
    fill(
      grid,
      seats.map((seat) => {
        const mineSeat = selected.has(seat.id);
        const status = mineSeat ? 'selected' : seat.status.toLowerCase();
        const button = h(
          'button',
          {
            type: 'button',
            class: `seat ${status}`,
            'data-seat': seat.number,
            'aria-pressed': mineSeat ? 'true' : 'false',
            'aria-label': t('seats.seatLabel', { number: seat.number, status: t(`seats.${status}`) }),
            disabled: seat.status !== 'AVAILABLE',
            onclick: () => toggle(seat),
          },
          String(seat.number)
        );
        return button;
      })
    );
    if (focused) grid.querySelector(`[data-seat="${focused}"]`)?.focus();
    summary.textContent = picked.length
      ? t(picked.length === 1 ? 'seats.pickedOne' : 'seats.picked', {
          numbers: picked.map((s) => s.number).join(', '),
          amount: won(picked.reduce((sum, s) => sum + s.price, 0)),
        })
      : t('seats.none');
    limitNote.textContent = picked.length >= max ? t('seats.atLimit', { max }) : t('seats.limit', { max });
    holdButton.disabled = picked.length === 0;
  };

  const toggle = (seat) => {
    if (selected.has(seat.id)) selected.delete(seat.id);
    else if (selected.size < max) selected.add(seat.id);
    else messages.show('error', t('seats.atLimit', { max }));
    render();
  };

  /** Reloads the map; seats picked here that someone else took meanwhile are dropped and named. */
  const load = async () => {
    let map;
    try {
      map = await api('GET', `/v1/schedules/${scheduleId}/seats`, { bearer: token });
    } catch (error) {
      if (!current(mine)) return [];
      if (error.code === 'NOT_ADMITTED') go(`#/queue/${concertId}/${scheduleId}`, { replace: true });
      else if (error.code === 'UNAUTHENTICATED') tokenEnded(concertId, scheduleId);
      else messages.show('error', errorText(error));
      return [];
    }
    if (!current(mine)) return [];
    seats = map.seats;
    max = map.maxSeatsPerReservation ?? max;
    const lost = seats.filter((s) => selected.has(s.id) && s.status !== 'AVAILABLE');
    for (const s of lost) selected.delete(s.id);
    render();
    if (lost.length) messages.show('error', t('seats.taken', { numbers: lost.map((s) => s.number).join(', ') }));
    return lost;
  };

  holdButton.addEventListener('click', async () => {
    holdButton.disabled = true;
    const tried = [...selected];
    try {
      const held = await api('POST', '/v1/reservations', { body: { scheduleId, seatIds: tried }, bearer: token });
      selected.clear();
      go(`#/hold/${concertId}/${held.id}`);
    } catch (error) {
      if (!current(mine)) return;
      if (error.code === 'SEAT_UNAVAILABLE') {
        // The reload names the seats that were taken; a seat held and freed again meanwhile is not.
        if ((await load()).length === 0) messages.show('error', errorText(error));
      } else if (error.code === 'UNAUTHENTICATED') {
        tokenEnded(concertId, scheduleId);
      } else if (error.code === 'HOLD_EXISTS' && sessionStorage.getItem(`ticketing.hold.${token}`)) {
        messages.show('error', errorText(error));
        messages.append(
          h('a', { class: 'button', href: `#/hold/${concertId}/${sessionStorage.getItem(`ticketing.hold.${token}`)}` }, t('seats.goToHold'))
        );
      } else {
        messages.show('error', errorText(error, {}, { max }));
      }
      render();
    }
  });

  // The time left of the buyer's turn (ACTIVE until activeUntil).
  api('GET', '/v1/queue/me', { bearer: token })
    .then((status) => {
      if (!current(mine) || status.status !== 'ACTIVE') return;
      const until = Date.parse(status.activeUntil);
      const tick = () => {
        turn.textContent = t('seats.turnEnds', { time: clock((until - Date.now()) / 1000) });
      };
      tick();
      every(tick, 1000);
    })
    .catch(() => {});

  await load();
  every(load, kSeatRefreshMs);
}

async function holdView(concertId, reservationId) {
  if (!concertId || !reservationId) return go('#/', { replace: true });
  const mine = generation;
  const token = memory.token(concertId);
  if (!token) return go('#/tickets', { replace: true });
  sessionStorage.setItem(`ticketing.hold.${token}`, String(reservationId));
  let hold;
  let balance;
  try {
    [hold, { balance }] = await Promise.all([
      api('GET', `/v1/reservations/${reservationId}`, { bearer: token }),
      api('GET', `/v1/users/${memory.user}/balance`),
    ]);
  } catch (error) {
    if (!current(mine)) return;
    if (error.code === 'UNAUTHENTICATED') return go('#/tickets', { replace: true });
    return errorView(error, route);
  }
  if (!current(mine)) return;
  const seatsHash = `#/seats/${concertId}/${hold.scheduleId}`;
  if (hold.status === 'PAID') return go('#/tickets', { replace: true });
  if (hold.status === 'CANCELLED') return go(seatsHash, { replace: true });

  const title = await concertTitle(concertId).catch(() => '');
  if (!current(mine)) return;
  const messages = messageArea();
  const timer = h('p', { class: 'countdown', id: 'hold-countdown', role: 'timer', 'aria-live': 'off' });
  const timeBar = h('progress', { max: 1, value: 1, 'aria-hidden': 'true', class: 'time-bar' });
  const balanceText = h('p', { id: 'balance' });
  const shortfall = h('p', { id: 'shortfall', class: 'warning-text' });
  const amountInput = h('input', {
    id: 'charge-amount',
    type: 'number',
    min: 1,
    max: kMaxCharge,
    step: 1,
    inputmode: 'numeric',
  });
  const payButton = h('button', { type: 'button', id: 'pay-button' }, t('hold.pay', { amount: won(hold.amount) }));
  const cancelButton = h('button', { type: 'button', class: 'secondary', id: 'cancel-hold' }, t('hold.cancel'));
  const chargeForm = h(
    'form',
    { class: 'charge' },
    h('label', { for: 'charge-amount' }, t('hold.chargeLabel')),
    h('div', { class: 'row' }, amountInput, h('button', { type: 'submit', class: 'secondary', id: 'charge-button' }, t('hold.charge')))
  );
  const payKey = newKey();
  const expires = Date.parse(hold.expiresAt);
  const total = Math.max(1, expires - Date.now());

  const showBalance = () => {
    balanceText.textContent = t('hold.balance', { balance: won(balance) });
    const missing = hold.amount - balance;
    shortfall.textContent = missing > 0 ? t('hold.shortfall', { amount: won(missing) }) : '';
    if (missing > 0 && !amountInput.value) amountInput.value = String(Math.min(missing, kMaxCharge));
    renderWho();
  };

  const heading = h('h1', {}, t('hold.title'));
  const expired = () => {
    heading.textContent = t('hold.expiredTitle');
    timer.textContent = clock(0);
    timeBar.value = 0;
    payButton.disabled = true;
    cancelButton.disabled = true;
    chargeForm.hidden = true;
    messages.show('error', t('hold.expired'));
    messages.append(h('a', { class: 'button', href: seatsHash, id: 'pick-again' }, t('hold.pickAgain')));
  };

  fill(
    main,
    h('p', { class: 'concert-title muted' }, title),
    heading,
    messages,
    h(
      'div',
      { class: 'card hold' },
      h('p', { class: 'label' }, t('hold.timeLeft')),
      timer,
      timeBar,
      h('p', { id: 'held-seats' }, t(hold.seats.length === 1 ? 'hold.seatsOne' : 'hold.seats', { numbers: hold.seats.map((s) => s.number).join(', ') })),
      h('p', { class: 'price' }, t('hold.amount', { amount: won(hold.amount) }))
    ),
    h('div', { class: 'card' }, balanceText, shortfall, chargeForm),
    h('div', { class: 'actions' }, payButton, cancelButton)
  );
  showBalance();

  if (hold.status === 'EXPIRED' || expires <= Date.now()) return expired();
  let ticking;
  const tick = () => {
    const left = expires - Date.now();
    if (left <= 0) {
      clearInterval(ticking);
      return expired();
    }
    timer.textContent = clock(Math.ceil(left / 1000));
    timeBar.value = left / total;
  };
  tick();
  ticking = every(tick, 250);

  chargeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const amount = Number(amountInput.value);
    if (!Number.isInteger(amount) || amount < 1 || amount > kMaxCharge) {
      return messages.show('error', t('hold.badAmount'));
    }
    try {
      ({ balance } = await api('POST', `/v1/users/${memory.user}/balance/charge`, {
        body: { amount },
        idempotencyKey: newKey(),
      }));
      amountInput.value = '';
      showBalance();
      messages.show('success', t('hold.charged', { balance: won(balance) }));
    } catch (error) {
      messages.show('error', errorText(error, { INVALID_ARGUMENT: 'hold.badAmount' }));
    }
  });

  payButton.addEventListener('click', async () => {
    payButton.disabled = true;
    try {
      await api('POST', '/v1/payments', { body: { reservationId }, bearer: token, idempotencyKey: payKey });
      memory.setToken(concertId, null);  // the server revoked it: the next purchase joins again
      memory.flash = t('tickets.paid');
      go('#/tickets');
    } catch (error) {
      if (error.code === 'HOLD_EXPIRED') return expired();
      payButton.disabled = false;
      messages.show('error', errorText(error));
      if (error.code === 'INSUFFICIENT_BALANCE') amountInput.focus();
    }
  });

  cancelButton.addEventListener('click', async () => {
    try {
      await api('DELETE', `/v1/reservations/${reservationId}`, { bearer: token });
      memory.flash = t('hold.cancelled');
      go(seatsHash);
    } catch (error) {
      if (error.code === 'HOLD_EXPIRED') return expired();
      messages.show('error', errorText(error));
    }
  });
}

async function ticketsView() {
  const mine = generation;
  fill(main, h('h1', {}, t('tickets.title')), h('p', {}, t('loading')));
  let tickets;
  let concerts;
  try {
    [{ items: tickets }, { items: concerts }] = await Promise.all([
      api('GET', `/v1/users/${memory.user}/tickets?limit=100`),
      api('GET', '/v1/concerts?limit=100'),
    ]);
  } catch (error) {
    return current(mine) && errorView(error, route);
  }
  // The dates of the schedules the tickets are for, one request per concert.
  const starts = new Map();
  await Promise.all(
    [...new Set(tickets.map((ticket) => ticket.concertId))].map((id) =>
      api('GET', `/v1/concerts/${id}/schedules`)
        .then(({ items }) => items.forEach((s) => starts.set(s.id, s.startsAt)))
        .catch(() => {})
    )
  );
  if (!current(mine)) return;
  const titles = new Map(concerts.map((c) => [c.id, c.title]));
  const flash = memory.flash;
  memory.flash = null;
  fill(
    main,
    h('h1', {}, t('tickets.title')),
    flash && message('success', flash),
    tickets.length === 0
      ? h('p', {}, t('tickets.none'))
      : h(
          'ul',
          { class: 'cards tickets', id: 'tickets' },
          tickets.map((ticket) =>
            h(
              'li',
              { class: `card ticket ${ticket.status.toLowerCase()}` },
              h('h2', { class: 'concert-title' }, titles.get(ticket.concertId) ?? t('tickets.concert', { id: ticket.concertId })),
              starts.has(ticket.scheduleId) && h('p', {}, dateTime(starts.get(ticket.scheduleId))),
              h('p', { class: 'seat-number' }, t('tickets.seat', { number: ticket.seatNumber })),
              h('p', { class: 'muted' }, won(ticket.price), ' · ', h('span', { class: 'badge' }, t(`tickets.${ticket.status}`)))
            )
          )
        )
  );
}

// --- Start -------------------------------------------------------------------------------------------

document.getElementById('lang-slot').append(languageButton());
onLanguageChange(route);
applyStaticLabels();
window.addEventListener('hashchange', route);
route();
