// Shared by the buyer pages and the operator dashboard: DOM building (text only, never HTML from data),
// the labels in two languages, the API client and the sentences its errors become.

/** An element with attributes and children; strings become text nodes, so API text is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A message line: errors as alerts (read out at once), the rest as status. */
export function message(kind, text) {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// --- Labels ------------------------------------------------------------------------------------------

const kLangKey = 'ticketing.lang';
let lang = localStorage.getItem(kLangKey) || ((navigator.language || 'en').toLowerCase().startsWith('ko') ? 'ko' : 'en');
let dictionaries = {};
const listeners = [];

export function currentLang() {
  return lang;
}

/** Registers the labels of a page: { en: {key: text}, ko: {key: text} }. */
export function addLabels(labels) {
  for (const [code, entries] of Object.entries(labels)) dictionaries[code] = { ...dictionaries[code], ...entries };
}

/** The label `key` in the current language, `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = dictionaries[lang]?.[key] ?? dictionaries.en?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function onLanguageChange(listener) {
  listeners.push(listener);
}

export function setLang(code) {
  lang = code;
  localStorage.setItem(kLangKey, code);
  applyStaticLabels();
  for (const listener of listeners) listener();
}

/** Fills every element with data-i18n in the page, and the switch button. */
export function applyStaticLabels() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.title = t(document.body.dataset.titleKey);
}

/** The language switch: a button naming the other language. */
export function languageButton() {
  const button = h('button', { type: 'button', class: 'lang', id: 'lang-switch' });
  const label = () => {
    button.textContent = lang === 'ko' ? 'English' : '한국어';
    button.setAttribute('lang', lang === 'ko' ? 'en' : 'ko');
  };
  button.addEventListener('click', () => setLang(lang === 'ko' ? 'en' : 'ko'));
  onLanguageChange(label);
  label();
  return button;
}

// --- Formatting --------------------------------------------------------------------------------------

export function won(amount) {
  return `₩${Number(amount).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-US')}`;
}

export function dateTime(rfc3339) {
  return new Date(rfc3339).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hours ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

// --- The API -----------------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; this works on plain http too). */
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One API call. `bearer` is a queue token or the admin key. Resolves with the JSON body (null for 204);
 * rejects with ApiError, code NETWORK when the server cannot be reached.
 */
export async function api(method, path, { body, bearer, idempotencyKey, text } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'network error');
  }
  if (response.ok) {
    if (response.status === 204) return null;
    return text ? response.text() : response.json();
  }
  let code = 'INTERNAL';
  let message = '';
  try {
    const error = (await response.json()).error;
    code = error.code;
    message = error.message;
  } catch {
    // Not the API's error shape (a proxy in between): the status decides below.
  }
  throw new ApiError(response.status, code, message);
}

/** The sentence a person reads for an API error; `overrides` maps codes to label keys for the context. */
export function errorText(error, overrides = {}, vars = {}) {
  if (!(error instanceof ApiError)) return t('error.INTERNAL');
  const key = overrides[error.code] ?? `error.${error.code}`;
  const text = t(key, vars);
  return text === key ? t('error.INTERNAL') : text;
}

addLabels({
  en: {
    'error.NETWORK': 'We cannot reach the ticket server. Check your connection and try again.',
    'error.INVALID_ARGUMENT': 'Something in the form is not valid. Please check it and try again.',
    'error.UNAUTHENTICATED': 'Your place in the queue has ended. Please join the queue again.',
    'error.NOT_ADMITTED': 'It is not your turn yet. Please wait in the queue.',
    'error.FORBIDDEN': 'This belongs to another buyer or another concert.',
    'error.NOT_FOUND': 'We could not find that. It may have been removed.',
    'error.SEAT_UNAVAILABLE': 'Sorry, a seat you picked was just taken by someone else. The map is updated: please pick again.',
    'error.HOLD_EXISTS': 'You already hold seats for this concert. Pay for them or cancel that hold first.',
    'error.INSUFFICIENT_BALANCE': 'Your balance is not enough for this payment. Add money, then pay.',
    'error.CONFLICT': 'Many people are buying right now. Please try again in a moment.',
    'error.HOLD_EXPIRED': 'Your hold has expired and the seats were released. Please pick seats again.',
    'error.PAYLOAD_TOO_LARGE': 'That request is too large.',
    'error.SEAT_LIMIT_EXCEEDED': 'You picked more seats than one booking allows.',
    'error.RESERVATION_CLOSED': 'Reservations for this concert are not open right now.',
    'error.IDEMPOTENCY_KEY_REUSED': 'This request clashed with an earlier one. Please try again.',
    'error.RATE_LIMITED': 'Too many requests at once. Please wait a moment and try again.',
    'error.UNAVAILABLE': 'The ticket service is busy or under maintenance. Please try again shortly.',
    'error.INTERNAL': 'Something went wrong on our side. Please try again.',
  },
  ko: {
    'error.NETWORK': '티켓 서버에 연결할 수 없습니다. 연결을 확인하고 다시 시도해 주세요.',
    'error.INVALID_ARGUMENT': '입력한 내용이 올바르지 않습니다. 확인 후 다시 시도해 주세요.',
    'error.UNAUTHENTICATED': '대기열 순서가 만료되었습니다. 대기열에 다시 참여해 주세요.',
    'error.NOT_ADMITTED': '아직 차례가 아닙니다. 대기열에서 기다려 주세요.',
    'error.FORBIDDEN': '다른 구매자 또는 다른 공연의 항목입니다.',
    'error.NOT_FOUND': '찾을 수 없습니다. 삭제되었을 수 있습니다.',
    'error.SEAT_UNAVAILABLE': '죄송합니다. 선택한 좌석을 방금 다른 분이 잡았습니다. 좌석 배치도를 새로 고쳤으니 다시 선택해 주세요.',
    'error.HOLD_EXISTS': '이 공연에 이미 선점한 좌석이 있습니다. 먼저 결제하거나 선점을 취소해 주세요.',
    'error.INSUFFICIENT_BALANCE': '잔액이 부족합니다. 충전한 뒤 결제해 주세요.',
    'error.CONFLICT': '지금 구매하는 분이 많습니다. 잠시 후 다시 시도해 주세요.',
    'error.HOLD_EXPIRED': '좌석 선점 시간이 끝나 좌석이 해제되었습니다. 좌석을 다시 선택해 주세요.',
    'error.PAYLOAD_TOO_LARGE': '요청이 너무 큽니다.',
    'error.SEAT_LIMIT_EXCEEDED': '한 번에 예매할 수 있는 좌석 수를 넘었습니다.',
    'error.RESERVATION_CLOSED': '지금은 이 공연의 예매 기간이 아닙니다.',
    'error.IDEMPOTENCY_KEY_REUSED': '이전 요청과 충돌했습니다. 다시 시도해 주세요.',
    'error.RATE_LIMITED': '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.',
    'error.UNAVAILABLE': '티켓 서비스가 혼잡하거나 점검 중입니다. 잠시 후 다시 시도해 주세요.',
    'error.INTERNAL': '일시적인 오류가 발생했습니다. 다시 시도해 주세요.',
  },
});
