// The reference page: sign up or in, wait in the queue, pick and hold seats, pay them in one checkout.
// Everything it does is a call of the public contract (shared/API.md); it holds no rules of its own.

import { api, ApiError, session, newIdempotencyKey, PAGE_SIZE } from './api.js';
import { watchQueue, secondsUntil, clock } from './queue.js';

const $ = (id) => document.getElementById(id);

const state = {
  user: null,
  concerts: new Map(),
  concertId: null,
  scheduleId: null,
  cart: new Map(), // reservationId → held Reservation, in the order held
  checkout: null, // { key, ids }: one Idempotency-Key per checkout, reused when the same checkout is retried
  queue: null,
  stopWatch: null,
  historyBefore: null,
  reservationsBefore: null,
};

// ---- messages -------------------------------------------------------------------------------------------------

function showError(error) {
  // A validation problem also says which field is wrong and why.
  const fields = error instanceof ApiError && error.problem?.errors
    ? ` ${Object.values(error.problem.errors).flat().join(' ')}` : '';
  const message = error instanceof ApiError ? error.message + fields
    : error instanceof TypeError ? 'The service could not be reached. Check your connection and try again.'
      : String(error?.message ?? error);
  $('error').textContent = message;
}

function clearError() { $('error').textContent = ''; }

function notify(message) { $('notice').textContent = message; }

function setText(element, text) {
  // Only real changes reach the live regions, so a screen reader hears each new place once.
  if (element.textContent !== text) element.textContent = text;
}

const won = (amount) => `${amount.toLocaleString('en-US')} won`;
const when = (timestamp) => new Date(timestamp).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Runs a user action: clears the last error, shows the next one, and ends the visit on a lapsed sign-in. */
async function act(button, work) {
  clearError();
  if (button) button.disabled = true;
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthenticated') {
      signOut('Your sign-in has ended. Please sign in again.');
    } else if (error instanceof ApiError && ['queue_token_invalid', 'queue_token_missing'].includes(error.code)) {
      endVisit();
    } else if (error instanceof ApiError && error.code === 'queue_token_expired') {
      endVisit('Your shopping window has ended. Join the queue again to continue.');
    }
    showError(error);
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- account --------------------------------------------------------------------------------------------------

async function signIn(email, password) {
  const token = await api.signIn(email, password);
  session.accessToken = token.accessToken;
  await enter();
}

async function enter() {
  state.user = await api.me();
  $('who-name').textContent = state.user.name;
  $('whoami').hidden = false;
  $('account').hidden = true;
  for (const id of ['queue', 'wallet', 'mine']) $(id).hidden = false;
  await loadConcerts();
  await Promise.all([refreshBalance(), loadHistory(true), loadReservations(true)]);
  if (session.queueToken) startWatch(); else showJoin();
}

function signOut(message) {
  stopWatch();
  session.accessToken = null;
  session.queueToken = null;
  Object.assign(state, { user: null, queue: null, checkout: null, concertId: null, scheduleId: null });
  state.cart.clear();
  $('whoami').hidden = true;
  $('account').hidden = false;
  for (const id of ['queue', 'wallet', 'mine', 'shop', 'cart-panel']) $(id).hidden = true;
  notify(message ?? 'You are signed out.');
}

// ---- balance and history --------------------------------------------------------------------------------------

async function refreshBalance() {
  const { balance } = await api.balance(state.user.id);
  $('balance').textContent = won(balance);
}

async function loadHistory(reset) {
  if (reset) { state.historyBefore = null; $('history').replaceChildren(); }
  const entries = await api.history(state.user.id, state.historyBefore);
  for (const entry of entries) {
    const row = document.createElement('tr');
    row.dataset.kind = entry.kind;
    const what = entry.kind === 'charge' ? 'Top-up' : `Payment #${entry.paymentId}`;
    for (const [text, numeric] of [[when(entry.createdAt), false], [what, false],
      [`${entry.amount > 0 ? '+' : ''}${won(entry.amount)}`, true], [won(entry.balanceAfter), true]]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      if (numeric) cell.className = 'num';
      row.append(cell);
    }
    $('history').append(row);
  }
  if (entries.length > 0) state.historyBefore = entries[entries.length - 1].id;
  $('history-more').hidden = entries.length < PAGE_SIZE;
}

// ---- my reservations ------------------------------------------------------------------------------------------

async function loadReservations(reset) {
  if (reset) { state.reservationsBefore = null; $('reservations').replaceChildren(); }
  const reservations = await api.reservations(state.user.id, state.reservationsBefore);
  for (const r of reservations) {
    const item = document.createElement('li');
    item.dataset.status = r.status;
    item.dataset.reservationId = r.id;
    const title = state.concerts.get(r.concertId)?.title ?? `Concert ${r.concertId}`;
    item.textContent = `${title}, date #${r.scheduleId}, seat ${r.seatNumber} · ${won(r.price)} · `;
    const badge = document.createElement('strong');
    badge.className = `badge ${r.status}`;
    badge.textContent = r.status;
    item.append(badge);
    $('reservations').append(item);
    // A reload keeps the visit: live holds go back into the cart.
    if (reset && r.status === 'held' && secondsUntil(r.heldUntil) > 0 && !state.cart.has(r.id)) state.cart.set(r.id, r);
  }
  if (reservations.length > 0) state.reservationsBefore = reservations[reservations.length - 1].id;
  $('reservations-more').hidden = reservations.length < PAGE_SIZE;
  renderCart();
}

// ---- the queue ------------------------------------------------------------------------------------------------

function showJoin() {
  $('join').hidden = false;
  $('queue-state').hidden = true;
  $('shop').hidden = true;
}

function startWatch() {
  stopWatch();
  $('join').hidden = true;
  $('queue-state').hidden = false;
  state.stopWatch = watchQueue({
    onStatus: (status, mode) => {
      $('queue-mode').textContent = mode === 'stream' ? 'Live updates.' : 'Checking for updates every few seconds.';
      renderQueue(status);
    },
    onError: (error) => {
      if (error.code === 'unauthenticated') signOut('Your sign-in has ended. Please sign in again.');
      else endVisit();
      showError(error);
    },
  });
}

function stopWatch() {
  state.stopWatch?.();
  state.stopWatch = null;
}

function endVisit(message) {
  stopWatch();
  session.queueToken = null;
  state.queue = null;
  state.cart.clear();
  renderCart();
  showJoin();
  if (message) notify(message);
}

function describeWait(seconds) {
  if (seconds == null) return 'Admission is paused for now; your place is kept.';
  if (seconds < 60) return 'Estimated wait: under a minute.';
  const minutes = Math.round(seconds / 60);
  return `Estimated wait: about ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

function renderQueue(status) {
  const wasActive = state.queue?.status === 'active';
  state.queue = status;
  const live = $('queue-live');
  $('queue-state').dataset.status = status.status;
  switch (status.status) {
    case 'prequeue':
      setText(live, 'You are in the pre-queue. When the sale opens, everyone here gets a place in a fair random draw.');
      $('shop').hidden = true;
      break;
    case 'waiting':
      setText(live, `You are number ${status.position} in line. ${describeWait(status.estimatedWaitSeconds)}`);
      $('shop').hidden = true;
      break;
    case 'active':
      setText(live, 'It is your turn: pick your seats.');
      $('shop').hidden = false;
      if (!wasActive) renderConcerts();
      break;
    default:
      endVisit('Your visit has ended. Join the queue again to buy more tickets.');
      return;
  }
  tick();
}

// One timer for every countdown: the opening, the shopping window and each hold.
function tick() {
  const q = state.queue;
  const countdown = $('queue-countdown');
  if (q?.status === 'prequeue' && q.opensAt) countdown.textContent = `The sale opens in ${clock(secondsUntil(q.opensAt))}.`;
  else if (q?.status === 'active' && q.expiresAt) countdown.textContent = `Your window closes in ${clock(secondsUntil(q.expiresAt))}.`;
  else countdown.textContent = '';

  let lapsed = false;
  for (const [id, r] of state.cart) {
    const left = secondsUntil(r.heldUntil);
    const label = document.querySelector(`[data-hold-countdown="${id}"]`);
    if (label) label.textContent = left > 0 ? `held for ${clock(left)}` : 'hold lapsed';
    if (left === 0) { state.cart.delete(id); lapsed = true; }
  }
  if (lapsed) {
    renderCart();
    notify('A hold lapsed and its seat is free again.');
    if (state.scheduleId) act(null, loadSeats);
  }
}

// ---- concerts, dates, seats -----------------------------------------------------------------------------------

async function loadConcerts() {
  const concerts = await api.concerts();
  state.concerts = new Map(concerts.map((c) => [c.id, c]));
}

function choice(list, label, selected, onPick, data) {
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'choice';
  button.textContent = label;
  button.setAttribute('aria-pressed', String(selected));
  Object.assign(button.dataset, data);
  button.addEventListener('click', () => act(button, onPick));
  item.append(button);
  list.append(item);
}

function renderConcerts() {
  const list = $('concerts');
  list.replaceChildren();
  for (const c of state.concerts.values()) {
    choice(list, `${c.title} — ${c.artist}, ${c.venue}`, c.id === state.concertId, async () => {
      state.concertId = c.id;
      state.scheduleId = null;
      renderConcerts();
      $('seat-area').hidden = true;
      await loadSchedules();
    }, { concertId: c.id });
  }
}

async function loadSchedules() {
  const schedules = await api.schedules(state.concertId);
  const list = $('schedules');
  list.replaceChildren();
  for (const s of schedules) {
    choice(list, `${when(s.startsAt)} · ${s.availableSeats} of ${s.totalSeats} seats free`, s.id === state.scheduleId,
      async () => {
        state.scheduleId = s.id;
        for (const b of list.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.scheduleId === String(s.id)));
        await loadSeats();
      }, { scheduleId: s.id });
  }
}

async function loadSeats() {
  const seats = await api.seats(state.concertId, state.scheduleId);
  const mine = new Set([...state.cart.values()].map((r) => r.seatId));
  const map = $('seats');
  map.replaceChildren();
  for (const seat of seats) {
    const button = document.createElement('button');
    button.type = 'button';
    const status = mine.has(seat.id) ? 'mine' : seat.status;
    button.className = `seat ${status}`;
    button.dataset.seatId = seat.id;
    button.dataset.status = seat.status;
    button.textContent = seat.number;
    const word = status === 'mine' ? 'held by you' : seat.status;
    button.setAttribute('aria-label', `Seat ${seat.number}, ${won(seat.price)}, ${word}`);
    button.title = `Seat ${seat.number} · ${won(seat.price)} · ${word}`;
    button.disabled = seat.status !== 'available';
    button.addEventListener('click', () => act(button, () => hold(seat)));
    map.append(button);
  }
  $('seat-area').hidden = false;
}

async function hold(seat) {
  const reservation = await api.hold(seat.id);
  state.cart.set(reservation.id, reservation);
  renderCart();
  notify(`Seat ${reservation.seatNumber} is held for you until ${new Date(reservation.heldUntil).toLocaleTimeString()}.`);
  await Promise.all([loadSeats(), loadReservations(true)]);
}

// ---- cart and checkout ----------------------------------------------------------------------------------------

function renderCart() {
  const list = $('cart');
  list.replaceChildren();
  let total = 0;
  for (const r of state.cart.values()) {
    total += r.price;
    const item = document.createElement('li');
    item.dataset.reservationId = r.id;
    const title = state.concerts.get(r.concertId)?.title ?? `Concert ${r.concertId}`;
    const text = document.createElement('span');
    text.textContent = `${title}, seat ${r.seatNumber} · ${won(r.price)} · `;
    const countdown = document.createElement('span');
    countdown.dataset.holdCountdown = r.id;
    countdown.textContent = `held for ${clock(secondsUntil(r.heldUntil))}`;
    const release = document.createElement('button');
    release.type = 'button';
    release.className = 'secondary';
    release.textContent = 'Release';
    release.setAttribute('aria-label', `Release seat ${r.seatNumber}`);
    release.addEventListener('click', () => act(release, async () => {
      await api.release(r.id);
      state.cart.delete(r.id);
      renderCart();
      await Promise.all([state.scheduleId ? loadSeats() : null, loadReservations(true)]);
    }));
    item.append(text, countdown, ' ', release);
    list.append(item);
  }
  const count = state.cart.size;
  $('cart-panel').hidden = count === 0 && !$('payment-result').textContent;
  $('cart-total').textContent = count ? `${count} seat${count === 1 ? '' : 's'}, ${won(total)} in all.` : '';
  $('pay').hidden = count === 0;
  $('pay').textContent = state.checkout ? `Retry payment of ${won(total)}` : `Pay ${won(total)}`;
}

function sameIds(a, b) {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

async function pay() {
  const ids = [...state.cart.keys()];
  // The same checkout retried (after a lost answer, a timeout or a top-up) keeps its key, so it is never charged
  // twice; a different set of seats is a new checkout with a new key.
  if (!state.checkout || !sameIds(state.checkout.ids, ids)) state.checkout = { key: newIdempotencyKey(), ids };
  $('payment-result').textContent = '';
  // Read before the call: the stream may report the token expired (the payment's doing) before the answer arrives.
  const seats = ids.map((id) => state.cart.get(id)?.seatNumber).join(', ');
  try {
    const payment = await api.pay(ids, state.checkout.key);
    state.checkout = null;
    state.cart.clear();
    $('payment-result').textContent =
      `Paid ${won(payment.amount)} for seat${ids.length === 1 ? '' : 's'} ${seats}. Your balance is ${won(payment.balance)}.`;
    $('balance').textContent = won(payment.balance);
    // A payment ends the visit (the token expires): the queue has to be joined again for more.
    endVisit('Payment confirmed. Join the queue again to buy more tickets.');
    await Promise.all([loadHistory(true), loadReservations(true)]);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'idempotency_key_reused') state.checkout = null;
    if (error instanceof ApiError && ['reservation_expired', 'reservation_already_paid', 'reservation_not_found'].includes(error.code)) {
      state.checkout = null;
      state.cart.clear();
      await loadReservations(true);
    }
    renderCart();
    throw error;
  }
}

// ---- wiring ---------------------------------------------------------------------------------------------------

function wire() {
  $('sign-up').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.currentTarget.elements;
    act($('signup-submit'), async () => {
      await api.signUp(f.name.value.trim(), f.email.value.trim(), f.password.value);
      await signIn(f.email.value.trim(), f.password.value);
      notify(`Welcome, ${state.user.name}.`);
    });
  });
  $('sign-in').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = e.currentTarget.elements;
    act($('signin-submit'), async () => {
      await signIn(f.email.value.trim(), f.password.value);
      notify(`Welcome back, ${state.user.name}.`);
    });
  });
  $('sign-out').addEventListener('click', () => signOut());

  $('top-up').addEventListener('submit', (e) => {
    e.preventDefault();
    act($('topup-submit'), async () => {
      const amount = Number($('topup-amount').value);
      if (!Number.isInteger(amount) || amount < 1) throw new Error('Enter a whole number of won, 1 or more.');
      const { balance } = await api.topUp(state.user.id, amount);
      $('balance').textContent = won(balance);
      $('topup-amount').value = '';
      notify(`Added ${won(amount)}. Your balance is ${won(balance)}.`);
      await loadHistory(true);
    });
  });
  $('history-more').addEventListener('click', (e) => act(e.currentTarget, () => loadHistory(false)));
  $('reservations-more').addEventListener('click', (e) => act(e.currentTarget, () => loadReservations(false)));

  $('join').addEventListener('click', (e) => act(e.currentTarget, async () => {
    const status = await api.join();
    session.queueToken = status.token;
    $('payment-result').textContent = '';
    startWatch();
    renderQueue(status);
  }));
  $('leave').addEventListener('click', (e) => act(e.currentTarget, async () => {
    await api.leave();
    endVisit('You left the queue.');
  }));
  $('pay').addEventListener('click', (e) => act(e.currentTarget, pay));

  setInterval(tick, 1000);
}

wire();
if (session.accessToken) {
  act(null, enter).then(() => { if (!state.user) signOut(); });
} else {
  notify('Sign up or sign in to buy tickets.');
}
