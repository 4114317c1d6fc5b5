// The electronic queue of a service centre's hall, walked by the people who use it: an
// administrator enrols a kiosk and a display; a visitor types an account number on the kiosk's
// keypad and takes a ticket for «Оплата и расчёты»; the ticket page returns to the kiosk a minute
// after the last touch; the display shows the ticket called to the technician's window; the
// technician transfers the visitor to the head of retail sales, who has no centre of their own,
// chooses one for the seat, and sees who passed the visitor on; the head of sales finishes the
// visit with a topic and «вопрос решён», and the journal lists it. A technician takes a seat at
// the other centre. The kiosk, the ticket, the display, the window with a current ticket and the
// journal pass the accessibility scan; the kiosk, the ticket, the window and the journal fit a
// 375 px screen. Screenshots at 1366 and 375 px go to e2e/artifacts/queue-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startBrowser, accessibilityProblems, PASSWORD } from './harness.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
const WIDE = { width: 1366, height: 900 };
const NARROW = { width: 375, height: 740 };

let server;
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  server = await startServer();
  ({ browser } = await startBrowser());
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newPage(options = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: WIDE, ...options });
  return { ctx, page: await ctx.newPage() };
}

async function staffPage(login) {
  const { ctx, page } = await newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  // Each role starts where it works (Role::start_page).
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { ctx, page };
}

async function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Ids used by more than one element: a label or an error then points at the wrong field. */
async function duplicateIds(page) {
  return page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} ×${n}`);
  });
}

/** Links of the error summary that lead to no field on the page. */
async function brokenSummaryLinks(page) {
  return page.evaluate(() => [...document.querySelectorAll('#error-summary a[href^="#"]')]
    .filter((a) => !document.getElementById(a.getAttribute('href').slice(1)))
    .map((a) => `«${a.textContent.trim()}» → ${a.getAttribute('href')}`));
}

/** Buttons, fields and lists smaller than 24 × 24 px (WCAG 2.2, 2.5.8): hard to hit. */
async function smallTargets(page) {
  return page.evaluate(() => [...document.querySelectorAll(
    'button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.width < 24 || r.height < 24)
    // Rows of one table repeat the same field: named once, without the row's numbered id.
    .map(([el, r]) => `${el.tagName.toLowerCase()}${el.id && !/\d$/.test(el.id) ? `#${el.id}` : ''}`
      + `${el.name ? `[name=${el.name}]` : ''} ${Math.round(r.width)}×${Math.round(r.height)}`)
    .filter((t, i, all) => all.indexOf(t) === i));
}

/**
 * Scans the page, takes its screenshot at 1366 and at 375 px (queue-<name>-<width>.png) and,
 * when `fits`, checks that at 375 px nothing scrolls sideways. What is wrong goes to
 * `problems`, so the walk goes on to the end and reports every page; the page is left at 1366 px.
 */
async function look(page, name, problems, { fits = false } = {}) {
  const note = (list, where) => problems.push(...list.map((p) => `${name} ${where}: ${p}`));
  note(await duplicateIds(page), 'duplicate id');
  note(await smallTargets(page), 'small target at 1366 px');
  note(await accessibilityProblems(page), 'at 1366 px');
  await page.screenshot({ path: join(artifacts, `queue-${name}-1366.png`), fullPage: true });
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(100);
  if (fits) {
    const overflow = await sideways(page);
    if (overflow > 0) problems.push(`${name} at 375 px scrolls sideways by ${overflow} px`);
  }
  note(await smallTargets(page), 'small target at 375 px');
  note(await accessibilityProblems(page), 'at 375 px');
  await page.screenshot({ path: join(artifacts, `queue-${name}-375.png`), fullPage: true });
  await page.setViewportSize(WIDE);
}

/** Enrols a device of `kind` at the centre and returns its one-time link. */
async function enrol(admin, centreId, kind, name) {
  await admin.goto(`${server.url}/admin/frontoffice?centre=${centreId}`);
  const form = admin.locator('#enrol-form');
  await form.getByLabel('Устройство', { exact: true }).selectOption(kind);
  await form.getByLabel('Название устройства').fill(name);
  await form.getByRole('button', { name: 'Подключить устройство' }).click();
  await admin.getByRole('heading', { name: 'Устройство подключено' }).waitFor();
  const link = (await admin.locator('#enrol-link').innerText()).trim();
  assert.match(link, /^\/devices\/enrol\?token=/);
  return link;
}

/** The service checkboxes of the seat form: [letter, checkbox] in page order. */
async function seatServices(page) {
  const boxes = page.locator('#seat-form input[name=services]');
  const out = [];
  for (let i = 0; i < (await boxes.count()); i += 1) {
    const text = (await boxes.nth(i).locator('xpath=..').innerText()).trim();
    out.push([text.split(' — ')[0], boxes.nth(i)]);
  }
  return out;
}

/** Opens the seat section (folded once a seat is taken) and shows `centreId`'s services. */
async function chooseCentre(page, centreId) {
  await page.goto(`${server.url}/queue`);
  if (!(await page.locator('#centre-form').isVisible())) await page.getByText('Рабочее место: окно и услуги').click();
  await page.locator('#centre-form').getByLabel('Центр обслуживания').selectOption(String(centreId));
  await page.locator('#centre-form').getByRole('button', { name: 'Показать услуги центра' }).click();
  await page.waitForURL((u) => u.searchParams.get('centre') === String(centreId));
  if (!(await page.locator('#seat-form').isVisible())) await page.getByText('Рабочее место: окно и услуги').click();
  assert.equal(await page.locator('#seat-form input[name=centre_id]').inputValue(), String(centreId));
}

/**
 * Fills the seat form as a staff member would: the centre (chosen in its own form), the window,
 * only the service `letter` ticked. Returns false when the form does not offer that service.
 */
async function fillSeat(page, centreId, window, letter) {
  await chooseCentre(page, centreId);
  const form = page.locator('#seat-form');
  await form.getByLabel('Окно', { exact: true }).fill(window);
  let offered = false;
  for (const [l, box] of await seatServices(page)) {
    await box.setChecked(l === letter);
    offered ||= l === letter;
  }
  return offered;
}

async function saveSeat(page) {
  await page.locator('#seat-form').getByRole('button', { name: 'Сохранить рабочее место' }).click();
  await page.getByText('Рабочее место сохранено.').waitFor({ timeout: 5000 }).catch(async (e) => {
    await page.screenshot({ path: join(artifacts, 'queue-seat-failed.png'), fullPage: true });
    throw new Error(`${e.message}\n${await page.locator('main').innerText()}`);
  });
}

/**
 * Calls visitors until the one holding `label` comes; the demo's visitors waiting since the
 * morning are called first and marked «Не явился».
 */
async function callUntil(page, label) {
  for (let i = 0; i < 20; i += 1) {
    await page.getByRole('button', { name: 'Вызвать следующего' }).click();
    await page.locator('#current-ticket').waitFor();
    const heading = (await page.locator('#cur-h').innerText()).trim();
    if (heading.startsWith(`Талон ${label} `)) return heading;
    await page.locator('#current-ticket').getByRole('button', { name: 'Не явился' }).click();
    await page.getByText('Отмечено: посетитель не явился.').waitFor();
  }
  throw new Error(`${label} was never called`);
}

/** Waits until the display shows `label` called to `window` (by server-sent events). */
async function displayShows(display, label, window) {
  await display.waitForFunction(([l, w]) => [...document.querySelectorAll('#called-body tr')]
    .some((tr) => [...tr.cells].map((c) => c.textContent.trim()).join('|') === `${l}|${w}`),
  [label, window], { timeout: 10_000 });
}

test('a visitor takes a ticket, a technician transfers it to the head of sales, who finishes it; the display and the journal follow', async () => {
  const problems = [];
  // The technician works at their own centre (the seat form offers it first); a demo client's
  // account number, as a visitor would bring it on a receipt.
  const tech = await staffPage('tech');
  await tech.page.goto(`${server.url}/queue`);
  const centreId = Number(await tech.page.locator('#f-centre').inputValue());
  assert.ok(centreId > 0);
  assert.equal(await tech.page.locator('#seat-form input[name=centre_id]').inputValue(), String(centreId));
  const letters = (await seatServices(tech.page)).map(([l]) => l);
  assert.deepEqual([...letters].sort(), ['Д', 'К', 'Н', 'П', 'Р']);
  await tech.page.goto(`${server.url}/clients?q=${encodeURIComponent('Иванов')}`);
  const number = (await tech.page.locator('tbody tr').first().locator('td').nth(1).innerText()).trim();
  assert.match(number, /^\d{10}$/);

  // The administrator enrols a kiosk and a display for the centre.
  const admin = await staffPage('admin');
  const kioskLink = await enrol(admin.page, centreId, 'kiosk', 'Киоск у входа');
  const displayLink = await enrol(admin.page, centreId, 'display', 'Табло над окнами');
  await admin.page.locator('#devices').getByText('Киоск у входа', { exact: true }).waitFor();
  await admin.ctx.close();

  // The display on the hall's wall.
  const display = await newPage({ viewport: { width: 1366, height: 768 } });
  await display.page.goto(`${server.url}${displayLink}`);
  await display.page.waitForURL(`${server.url}/display/${centreId}`);
  await display.page.locator('#board-status').filter({ hasText: 'Табло на связи' }).waitFor();

  // The kiosk: a touch screen.
  const kiosk = await newPage({ hasTouch: true });
  await kiosk.page.goto(`${server.url}${kioskLink}`);
  await kiosk.page.waitForURL(`${server.url}/kiosk/${centreId}`);
  await kiosk.page.getByRole('heading', { name: 'Электронная очередь' }).waitFor();
  assert.match(await kiosk.page.locator('.sub').first().innerText(), /Коснитесь услуги, чтобы получить талон\.$/);
  // The services come first, payments first of all; the account and its keypad beside them.
  assert.deepEqual(await kiosk.page.locator('.kiosk-service').evaluateAll((bs) => bs.map((b) => b.id)),
    ['service-Р', 'service-П', 'service-Д', 'service-Н', 'service-К']);
  const pay = kiosk.page.locator('#service-Р');
  assert.match(await pay.innerText(), /Оплата и расчёты/);
  const grid = kiosk.page.locator('.kiosk-grid');
  const panel = kiosk.page.locator('#kiosk-form .kiosk-account');
  let [g, a] = [await grid.boundingBox(), await panel.boundingBox()];
  assert.ok(a.x >= g.x + g.width && a.y < g.y + g.height, `the account panel beside the services at 1366 px: ${JSON.stringify({ g, a })}`);
  await kiosk.page.setViewportSize(NARROW);
  [g, a] = [await grid.boundingBox(), await panel.boundingBox()];
  assert.ok(a.y >= g.y + g.height, `the account panel below the services at 375 px: ${JSON.stringify({ g, a })}`);
  await kiosk.page.setViewportSize(WIDE);
  const before = Number((await pay.locator('.waiting').innerText()).match(/В очереди: (\d+)/)[1]);
  await look(kiosk.page, 'kiosk', problems, { fits: true });
  // Big targets for fingers: service buttons and keypad keys.
  for (const el of [pay, kiosk.page.locator('.keypad button[data-key="5"]')]) {
    const box = await el.boundingBox();
    assert.ok(box.width >= 44 && box.height >= 44, `target ${JSON.stringify(box)}`);
  }
  // Every key shows its whole label, at both widths.
  for (const vp of [WIDE, NARROW]) {
    await kiosk.page.setViewportSize(vp);
    const clipped = await kiosk.page.locator('.keypad button').evaluateAll((bs) => bs
      .filter((b) => b.scrollWidth > b.clientWidth).map((b) => `«${b.textContent}» ${b.scrollWidth}>${b.clientWidth}px`));
    problems.push(...clipped.map((c) => `kiosk at ${vp.width} px: key label cut off ${c}`));
  }
  await kiosk.page.setViewportSize(WIDE);
  const keypad = kiosk.page.getByRole('group', { name: 'Цифры: номер лицевого счёта или код записи' });
  // Too few digits: the kiosk explains in Russian and gives no ticket.
  for (const digit of '123') await keypad.locator(`button[data-key="${digit}"]`).tap();
  await pay.tap();
  await kiosk.page.locator('#k-account-error').waitFor();
  assert.match(await kiosk.page.locator('#k-account-error').innerText(), /[А-Яа-яЁё].*Номер можно не указывать\.$/s);
  assert.equal(new URL(kiosk.page.url()).pathname.includes('/tickets/'), false);
  problems.push(...(await accessibilityProblems(kiosk.page)).map((p) => `kiosk with an error: ${p}`));
  await kiosk.page.screenshot({ path: join(artifacts, 'queue-kiosk-error-1366.png'), fullPage: true });
  await keypad.getByRole('button', { name: 'Сброс' }).tap();
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), '');
  // The keypad types into the field touched last: the booking code, then the account again.
  await kiosk.page.locator('#k-code').tap();
  for (const digit of '42') await keypad.locator(`button[data-key="${digit}"]`).tap();
  assert.equal(await kiosk.page.locator('#k-code').inputValue(), '42');
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), '');
  await keypad.getByRole('button', { name: 'Сброс' }).tap();
  assert.equal(await kiosk.page.locator('#k-code').inputValue(), '');
  await kiosk.page.locator('#k-account').tap();
  // The account typed on the on-screen keypad: an eleventh digit is not taken, one erased.
  for (const digit of number) await keypad.locator(`button[data-key="${digit}"]`).tap();
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), number);
  await keypad.locator('button[data-key="7"]').tap();
  const eleven = await kiosk.page.locator('#k-account').inputValue();
  if (eleven !== number) {
    problems.push(`kiosk: the keypad types an eleventh digit into the 10-digit account (${eleven})`);
    await keypad.getByRole('button', { name: 'Стереть цифру' }).tap();
  }
  await keypad.getByRole('button', { name: 'Стереть цифру' }).tap();
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), number.slice(0, 9));
  await keypad.locator(`button[data-key="${number[9]}"]`).tap();
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), number);
  await pay.tap();
  await kiosk.page.waitForURL(new RegExp(`/kiosk/${centreId}/tickets/\\d+$`));
  const label = (await kiosk.page.locator('#ticket-number').innerText()).trim();
  assert.match(label, /^Р-\d{3}$/);
  await kiosk.page.getByText('Оплата и расчёты').waitFor();
  assert.equal((await kiosk.page.locator('#ticket-ahead').innerText()).trim(), `Перед вами: ${before}`);
  await kiosk.page.getByRole('button', { name: 'Напечатать талон' }).waitFor();
  const done = kiosk.page.getByRole('link', { name: 'Готово' });
  assert.equal(await done.getAttribute('href'), `/kiosk/${centreId}`);
  assert.equal(await done.getAttribute('data-return'), `/kiosk/${centreId}`);
  assert.equal(await kiosk.page.locator('meta[http-equiv=refresh i]').count(), 0, 'no timed refresh on the ticket');
  await look(kiosk.page, 'ticket', problems, { fits: true });
  // The ticket as the 80 mm receipt printer prints it.
  await kiosk.page.emulateMedia({ media: 'print' });
  await kiosk.page.setViewportSize({ width: 302, height: 600 });
  assert.equal(await kiosk.page.locator('.hall-actions').isVisible(), false, 'buttons are not printed');
  await kiosk.page.screenshot({ path: join(artifacts, 'queue-ticket-print.png'), fullPage: true });
  await kiosk.page.emulateMedia({ media: 'screen' });
  await kiosk.page.setViewportSize(WIDE);
  // Untouched for a minute, the ticket page returns to the kiosk's services by itself; a touch
  // starts the minute again.
  const ticketUrl = kiosk.page.url();
  await kiosk.page.clock.install();
  await kiosk.page.reload();
  await kiosk.page.locator('#ticket-number').waitFor();
  await kiosk.page.clock.fastForward(50_000);
  await kiosk.page.locator('#ticket-number').tap();
  await kiosk.page.clock.fastForward(50_000);
  assert.equal(kiosk.page.url(), ticketUrl, 'a touch keeps the ticket on screen');
  await kiosk.page.clock.fastForward(11_000);
  await kiosk.page.waitForURL(`${server.url}/kiosk/${centreId}`);
  // «Готово» does the same at once, with one more waiting for payments.
  await kiosk.page.goto(ticketUrl);
  await done.click();
  await kiosk.page.waitForURL(`${server.url}/kiosk/${centreId}`);
  assert.match(await kiosk.page.locator('#service-Р .waiting').innerText(), new RegExp(`В очереди: ${before + 1}$`));
  assert.equal(await kiosk.page.locator('#k-account').inputValue(), '', 'the next visitor starts clean');

  // The display counts the new visitor among those waiting for payments.
  await display.page.waitForFunction((n) => [...document.querySelectorAll('#waiting-body tr')]
    .some((tr) => tr.cells[0].textContent.startsWith('Р —') && tr.cells[1].textContent.trim() === String(n)),
  before + 1, { timeout: 10_000 });

  // The technician sits at window 3 for payments and calls the visitor.
  assert.ok(await fillSeat(tech.page, centreId, '3', 'Р'), 'the technician is offered «Р»');
  await saveSeat(tech.page);
  const heading = await callUntil(tech.page, label);
  assert.equal(heading, `Талон ${label} — Оплата и расчёты`);
  await tech.page.getByText('Посетитель вызван: номер и окно показаны на табло.').waitFor();
  const card = tech.page.locator('#current-ticket');
  await card.getByText('Лицевой счёт с киоска').waitFor();
  await card.getByText(number, { exact: true }).waitFor();
  await displayShows(display.page, label, '3');
  // Called tickets in type read across the hall.
  const size = await display.page.locator('#called-body td').first().evaluate((td) => parseFloat(getComputedStyle(td).fontSize));
  assert.ok(size >= 48, `called tickets at ${size} px`);
  await look(display.page, 'display-tech', problems);
  await look(tech.page, 'window-tech', problems, { fits: true });

  // A recall is shown again on the display.
  await card.getByRole('button', { name: 'Повторный вызов' }).click();
  await tech.page.getByText('Повторный вызов показан на табло.').waitFor();
  await tech.page.getByText('(вызовов: 2)').waitFor();
  await displayShows(display.page, label, '3');

  // The question is beyond the technician: the escalation (the head of sales) is preselected.
  const transfer = tech.page.locator('#transfer-form');
  const chosen = await transfer.getByLabel('Перевести на услугу').evaluate((s) => s.selectedOptions[0].textContent);
  assert.match(chosen, /^Н — Консультация начальника отдела/);
  await transfer.getByRole('button', { name: 'Перевести' }).click();
  await tech.page.getByText('Посетитель переведён: он ждёт вызова по новой услуге.').waitFor();
  assert.equal(await tech.page.locator('#current-ticket').count(), 0);
  // Nobody else waits for payments: the technician is told so.
  await tech.page.getByRole('button', { name: 'Вызвать следующего' }).click();
  await tech.page.getByText('Очередь по вашим услугам пуста.').waitFor();
  await tech.page.screenshot({ path: join(artifacts, 'queue-window-tech-idle-1366.png'), fullPage: true });
  await tech.ctx.close();

  // The head of sales, who has no centre of their own, chooses the centre and window 7; the
  // form offers the centre's services with their own, «Н», ticked.
  const sales = await staffPage('sales');
  await chooseCentre(sales.page, centreId);
  const ticked = [];
  for (const [l, box] of await seatServices(sales.page)) if (await box.isChecked()) ticked.push(l);
  if (ticked.length && ticked.join() !== 'Н') problems.push(`window-sales: the seat form ticks [${ticked}] by default, not «Н»`);
  await look(sales.page, 'seat-sales', problems, { fits: true });
  assert.ok(await fillSeat(sales.page, centreId, '7', 'Н'), 'the head of sales is offered «Н»');
  await saveSeat(sales.page);
  const salesHeading = await callUntil(sales.page, label);
  assert.match(salesHeading, new RegExp(`^Талон ${label} — Консультация начальника отдела`));
  // Who passed the visitor on, from which window and service, and when.
  assert.match((await sales.page.locator('#transferred-from').innerText()).trim(),
    /^Егорова Мария Ивановна, окно 3 \(Оплата и расчёты\), в (\d{2}\.\d{2}\.\d{4} )?\d{1,2}:\d{2}$/);
  await displayShows(display.page, label, '7');
  await look(sales.page, 'window-sales', problems, { fits: true });
  await look(display.page, 'display-sales', problems);

  // The finish form asks for the promised date only after a consultation and for «к кому»
  // only after a redirection.
  const finish = sales.page.locator('#finish-form');
  const promised = finish.getByLabel('Срок ответа (для консультации)');
  const whom = finish.getByLabel('К кому направлен (для перенаправления)');
  const shown = async () => [await promised.isVisible(), await whom.isVisible()];
  assert.deepEqual(await shown(), [false, false], 'no result chosen');
  const resultOptions = await finish.getByLabel('Чем закончился приём').locator('option')
    .evaluateAll((os) => os.map((o) => [o.value, o.textContent.trim()]));
  for (const [value, text] of resultOptions.filter(([v]) => v)) {
    await finish.getByLabel('Чем закончился приём').selectOption(value);
    assert.deepEqual(await shown(), [value === 'consultation', value === 'redirected'], `result «${text}»`);
  }
  await finish.getByLabel('Чем закончился приём').selectOption('');
  // A missing result is refused in Russian and the typed text is kept.
  await finish.getByLabel('С чем обратился').fill('Перерасчёт за период отсутствия');
  await finish.getByRole('button', { name: 'Завершить приём' }).click();
  await sales.page.locator('#f-result-error').waitFor();
  assert.equal(await finish.getByLabel('С чем обратился').inputValue(), 'Перерасчёт за период отсутствия');
  problems.push(...(await accessibilityProblems(sales.page)).map((p) => `window-sales with an error: ${p}`));
  await sales.page.screenshot({ path: join(artifacts, 'queue-window-sales-error-1366.png'), fullPage: true });
  await finish.getByLabel('Чем закончился приём').selectOption({ label: 'вопрос решён' });
  await finish.getByLabel('Примечание').fill('Перерасчёт сделан при посетителе');
  await finish.getByRole('button', { name: 'Завершить приём' }).click();
  await sales.page.getByText('Приём завершён и записан в журнал.').waitFor();
  assert.equal(await sales.page.locator('#current-ticket').count(), 0);
  // The finished visitor leaves the display.
  await display.page.waitForFunction((l) => ![...document.querySelectorAll('#called-body tr')]
    .some((tr) => tr.cells[0].textContent.trim() === l), label, { timeout: 10_000 });

  // The journal lists the visit: ticket, who received, topic and result.
  await sales.page.getByRole('link', { name: 'Журнал визитов и нормы приёма' }).click();
  await sales.page.waitForURL(/\/queue\/journal/);
  await sales.page.locator('#norms').waitFor();
  // Today's visits of the centre: «С» set to the day «По» shows.
  await sales.page.getByLabel('С', { exact: true }).fill(await sales.page.getByLabel('По', { exact: true }).inputValue());
  await sales.page.getByLabel('Центр', { exact: true }).selectOption(String(centreId));
  await sales.page.getByRole('button', { name: 'Показать' }).click();
  await sales.page.locator('#visits').waitFor();
  const row = sales.page.locator('#visits tbody tr').filter({ hasText: 'Перерасчёт за период отсутствия' })
    .filter({ has: sales.page.locator('td', { hasText: new RegExp(`^${label}$`) }) });
  assert.equal(await row.count(), 1);
  const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
  assert.equal(cells[0], label);
  assert.match(cells[1], /Консультация начальника отдела/);
  assert.match(cells[6], /Зайцева/);
  assert.equal(cells[7], 'Перерасчёт за период отсутствия');
  assert.equal(cells[8], 'вопрос решён');
  await look(sales.page, 'journal', problems, { fits: true });

  await sales.ctx.close();
  await display.ctx.close();
  await kiosk.ctx.close();
  assert.deepEqual(problems, [], 'accessibility, ids and width of the pages walked');
});

test('a browser that is not an enrolled device gets neither the kiosk nor the display', async () => {
  const { ctx, page } = await newPage();
  for (const path of ['/kiosk/1', '/display/1']) {
    const r = await page.goto(`${server.url}${path}`);
    assert.equal(r.status(), 403, path);
    await page.getByText('Это устройство не зарегистрировано для этого центра обслуживания.').waitFor();
  }
  await ctx.close();
});

test('the administrator\'s queue settings page: labels name their own fields, targets are big enough', async () => {
  const admin = await staffPage('admin');
  const page = admin.page;
  await page.goto(`${server.url}/admin/frontoffice`);
  const problems = (await duplicateIds(page)).map((d) => `duplicate id ${d}`);
  problems.push(...(await smallTargets(page)).map((t) => `small target ${t}`));
  problems.push(...(await accessibilityProblems(page)).map((p) => `admin: ${p}`));
  // Clicking «Название устройства» puts the cursor in the device's name.
  await page.locator('#enrol-form').getByText('Название устройства', { exact: true }).click();
  const focused = await page.evaluate(() => `${document.activeElement.closest('form')?.id}/${document.activeElement.id}`);
  assert.equal(focused, 'enrol-form/f-device_name');
  // An unnamed device is refused next to the device's name, and nowhere else.
  await page.locator('#enrol-form').getByRole('button', { name: 'Подключить устройство' }).click();
  await page.getByRole('heading', { name: 'Очередь, киоски и табло' }).waitFor();
  const inside = await page.locator('#enrol-form .field-error', { hasText: 'Назовите устройство' }).count();
  const outside = await page.locator('form:not(#enrol-form) .field-error', { hasText: 'Назовите устройство' }).count();
  assert.deepEqual([inside, outside], [1, 0], '«Назовите устройство» under the device\'s name only');
  assert.equal(await page.locator('#f-device_name').getAttribute('aria-invalid'), 'true');
  problems.push(...(await duplicateIds(page)).map((d) => `with an error: duplicate id ${d}`));
  problems.push(...(await accessibilityProblems(page)).map((p) => `admin with an error: ${p}`));
  await page.screenshot({ path: join(artifacts, 'queue-admin-enrol-error-1366.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await admin.ctx.close();
});

test('a technician who moves to the other centre takes a seat there for payments', async () => {
  const tech = await staffPage('tech2');
  await tech.page.goto(`${server.url}/queue`);
  const own = await tech.page.locator('#f-centre').inputValue();
  const other = (await tech.page.locator('#f-centre option').evaluateAll((os) => os.map((o) => o.value)))
    .find((v) => v !== own);
  assert.ok(other, 'a second centre to move to');
  // A seat without a service is refused; the centre chosen and the window typed are kept.
  await chooseCentre(tech.page, Number(other));
  const form = tech.page.locator('#seat-form');
  await form.getByLabel('Окно', { exact: true }).fill('2');
  for (const [, box] of await seatServices(tech.page)) await box.setChecked(false);
  await form.getByRole('button', { name: 'Сохранить рабочее место' }).click();
  await tech.page.locator('#seat-form .field-error').waitFor();
  assert.equal(await form.getByLabel('Окно', { exact: true }).inputValue(), '2', 'the typed window is kept');
  assert.equal(await form.locator('input[name=centre_id]').inputValue(), other, 'the chosen centre is kept');
  assert.equal(await tech.page.locator('#f-centre').inputValue(), other);
  const problems = (await brokenSummaryLinks(tech.page)).map((l) => `seat error: summary link to nowhere ${l}`);
  const ticked = [];
  for (const [l, box] of await seatServices(tech.page)) if (await box.isChecked()) ticked.push(l);
  // «Отметьте хотя бы одну услугу» next to ticked boxes contradicts itself: what was sent is kept.
  if (ticked.length) problems.push(`seat error: the form ticks [${ticked}] again after «${await tech.page.locator('#seat-form .field-error').innerText()}»`);
  problems.push(...(await accessibilityProblems(tech.page)).map((p) => `seat error: ${p}`));
  await tech.page.screenshot({ path: join(artifacts, 'queue-seat-error-1366.png'), fullPage: true });
  // Now with payments ticked.
  assert.ok(await fillSeat(tech.page, Number(other), '2', 'Р'), 'the form offers «Р»');
  await saveSeat(tech.page);
  assert.equal(await tech.page.locator('#f-centre').inputValue(), other);
  assert.equal(await tech.page.locator('#seat-form input[name=centre_id]').inputValue(), other);
  await tech.page.getByText(/^Окно 2: Р — Оплата и расчёты\./).waitFor();
  // A visitor takes a ticket for payments at that centre's kiosk; the technician's window now
  // calls the other centre's visitors and so reaches this one.
  const admin = await staffPage('admin');
  const link = await enrol(admin.page, Number(other), 'kiosk', 'Киоск второго центра');
  await admin.ctx.close();
  const kiosk = await newPage({ hasTouch: true });
  await kiosk.page.goto(`${server.url}${link}`);
  await kiosk.page.waitForURL(`${server.url}/kiosk/${other}`);
  await kiosk.page.locator('#service-Р').tap();
  await kiosk.page.waitForURL(new RegExp(`/kiosk/${other}/tickets/\\d+$`));
  const label = (await kiosk.page.locator('#ticket-number').innerText()).trim();
  await kiosk.ctx.close();
  assert.equal(await callUntil(tech.page, label), `Талон ${label} — Оплата и расчёты`);
  await tech.ctx.close();
  assert.deepEqual(problems, []);
});
