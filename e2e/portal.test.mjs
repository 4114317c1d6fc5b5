// A client opens the personal account with the number and code printed on the invoice, confirms
// the address from the letter, signs in, sends a reading and downloads an invoice. Every portal
// page passes the accessibility scan, also on a phone-sized screen. The client chooses e-mail for
// notices, staff announce an outage in the client's settlement, and the client reads it in the
// personal account, on the site and in the letter the worker sends. The client applies for a
// contract in writing with the documents checklist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, startBrowser, accessibilityProblems, PASSWORD } from './harness.mjs';

let server;
let browser;
let context;

before(async () => {
  server = await startServer();
  ({ browser, context } = await startBrowser());
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page, login) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** The text of a letter: the body of its text part, transfer encoding undone. */
function letterText(raw) {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  let body = rest.join('\n\n');
  if (/Content-Transfer-Encoding:\s*base64/i.test(head)) {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  } else if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(head)) {
    const bytes = body.replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** Waits for the worker to send `to` a letter whose text matches `re`; returns the match. */
async function letterMatching(to, re) {
  const dir = join(server.dir, 'data', 'outbox');
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)) {
        const raw = readFileSync(join(dir, f), 'utf8');
        if (raw.includes(to)) {
          const m = letterText(raw).match(re);
          if (m) return m;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no letter to ${to} matching ${re}\n${server.output()}`);
}

/** The link of the confirmation letter to `to`. */
async function confirmationLink(to) {
  return (await letterMatching(to, /https?:\/\/\S+\/my\/confirm\?token=[0-9a-f]+/))[0];
}

test('a client signs up with the code from the invoice, sends a reading and gets the invoice', async () => {
  // A technician registers a meter on the account; the code is printed on its invoice.
  const tech = await context.newPage();
  await signIn(tech, 'tech');
  // A technician starts at their appeals (Role::start_page); the client search is a click away.
  await tech.goto(`${server.url}/clients`);
  await tech.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill('Петров');
  await tech.getByRole('button', { name: 'Найти' }).click();
  await tech.locator('tbody tr').first().locator('a').first().click();
  await tech.getByRole('link', { name: 'Добавить прибор учёта' }).first().click();
  await tech.getByLabel('Заводской номер').fill('E2E-P001');
  await tech.getByLabel('Дата установки').fill('2025-03-01');
  await tech.getByLabel('Дата поверки').fill('2025-02-15');
  await tech.getByLabel('Показания при установке').fill('1000');
  await tech.getByRole('button', { name: 'Сохранить' }).click();
  await tech.getByText('№ E2E-P001').waitFor();
  await tech.close();
  const staff = await context.newPage();
  await signIn(staff, 'cashier');
  await staff.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill('Петров');
  await staff.getByRole('button', { name: 'Найти' }).click();
  await staff.locator('tbody tr').first().locator('a').first().click();
  await staff.getByRole('link', { name: 'Расчёты, счета и платежи' }).first().click();
  await staff.getByRole('link', { name: 'открыть' }).first().click();
  const invoice = await staff.locator('main').innerText();
  const number = invoice.match(/Лицевой счёт № (\d+)/)[1];
  const code = invoice.match(/код для регистрации (\d{4}-\d{4})/)[1];
  await staff.close();

  const client = await browser.newContext({
    bypassCSP: true, locale: 'ru-RU', viewport: { width: 375, height: 740 }, isMobile: true,
  });
  const page = await client.newPage();
  await page.goto(`${server.url}/my`);
  await page.getByRole('heading', { name: 'Вход в личный кабинет' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('link', { name: 'Зарегистрируйтесь' }).click();
  await page.getByRole('heading', { name: 'Регистрация в личном кабинете' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  const email = `client-${Date.now()}@example.org`;
  // A wrong code: the reason, and what was typed is kept.
  await page.getByLabel('Номер лицевого счёта').fill(number);
  await page.getByLabel('Код из счёта').fill('0000-0000');
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль', { exact: true }).fill('klient-pass-2026');
  await page.getByLabel('Пароль ещё раз').fill('klient-pass-2026');
  await page.getByLabel(/Согласен/).check();
  await page.getByRole('button', { name: 'Зарегистрироваться' }).click();
  await page.locator('#error-summary').waitFor();
  assert.match(await page.locator('#error-summary').innerText(), /код не подходят/);
  assert.equal(await page.getByLabel('Номер лицевого счёта').inputValue(), number);
  assert.equal(await page.getByLabel('Электронная почта').inputValue(), email);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Код из счёта').fill(code);
  await page.getByLabel('Пароль', { exact: true }).fill('klient-pass-2026');
  await page.getByLabel('Пароль ещё раз').fill('klient-pass-2026');
  await page.getByRole('button', { name: 'Зарегистрироваться' }).click();
  await page.getByRole('heading', { name: 'Подтвердите адрес' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);

  // The letter (written by the demo's folder transport) carries the link.
  const link = await confirmationLink(email);
  await page.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
  await page.getByRole('heading', { name: 'Адрес подтверждён' }).waitFor();
  await page.getByRole('link', { name: 'Войти' }).click();
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль').fill('klient-pass-2026');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL(/\/my$/);
  await page.getByRole('heading', { name: `Лицевой счёт № ${number}` }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);

  // A reading: a wrong one is explained and kept, the right one accepted.
  const input = page.getByLabel(/Прибор № E2E-P001/);
  await input.fill('abc');
  await page.locator('form', { has: input }).getByRole('button', { name: 'Передать' }).click();
  await page.locator('.field-error').first().waitFor();
  assert.match(await page.locator('.field-error').first().innerText(), /не показание/);
  assert.equal(await page.getByLabel(/Прибор № E2E-P001/).inputValue(), 'abc');
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel(/Прибор № E2E-P001/).fill('1042');
  await page.locator('form', { has: page.getByLabel(/Прибор № E2E-P001/) })
    .getByRole('button', { name: 'Передать' }).click();
  await page.getByText(/Показания приняты/).waitFor();
  assert.match(await page.getByText(/Показания приняты/).innerText(), /расход 42/);
  assert.deepEqual(await accessibilityProblems(page), []);

  // The invoice as PDF.
  const href = await page.locator('a[href$="/pdf"]').first().getAttribute('href');
  const pdf = await page.request.get(`${server.url}${href}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');

  // An appeal from the personal account.
  await page.getByRole('link', { name: 'Написать обращение' }).click();
  await page.getByRole('heading', { name: 'Новое обращение' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Вид обращения').selectOption({ index: 1 });
  await page.getByLabel('Тема').selectOption({ index: 1 });
  await page.getByLabel('Суть обращения').fill('Прошу проверить начисление за прошлый месяц.');
  await page.getByRole('button', { name: 'Отправить обращение' }).click();
  await page.locator('#appeal-registered').waitFor();
  assert.match(await page.locator('#appeal-registered').innerText(), /зарегистрировано под номером \d{4}-\d{6}/);
  assert.deepEqual(await accessibilityProblems(page), []);

  // Another account: a wrong code is refused, the number kept.
  await page.goto(`${server.url}/my`);
  await page.getByRole('link', { name: 'Добавить лицевой счёт' }).click();
  await page.getByRole('heading', { name: 'Добавить лицевой счёт' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Номер лицевого счёта').fill('100000025');
  await page.getByLabel('Код из счёта').fill('0000-0000');
  await page.getByRole('button', { name: 'Добавить' }).click();
  await page.locator('#error-summary').waitFor();
  assert.equal(await page.getByLabel('Номер лицевого счёта').inputValue(), '100000025');
  assert.deepEqual(await accessibilityProblems(page), []);

  // How to be told: the client chooses e-mail.
  await page.goto(`${server.url}/my`);
  const address = await page.locator('h2 + p').first().innerText();
  const parts = address.split(', ');
  const settlement = /^\d{6}$/.test(parts[0]) ? parts[1] : parts[0];
  await page.getByRole('link', { name: 'Как с вами связываться' }).click();
  await page.getByRole('heading', { name: 'Как с вами связываться' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel(/по электронной почте на/).check();
  await page.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByText(/Сохранено/).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);

  // Staff announce a planned outage in the client's settlement, to be sent to everyone there.
  const editor = await context.newPage();
  await signIn(editor, 'sales');
  await editor.getByRole('link', { name: 'Сайт' }).click();
  await editor.getByRole('link', { name: 'Новости и объявления' }).click();
  await editor.getByRole('link', { name: 'Новое объявление' }).click();
  assert.deepEqual(await accessibilityProblems(editor), []);
  await editor.getByLabel('Вид').selectOption('outage');
  await editor.getByLabel('Заголовок').fill('Плановое отключение');
  await editor.getByLabel('Текст').fill('Замена опор линии электропередачи.');
  await editor.getByLabel('Населённый пункт').fill(settlement);
  await editor.getByLabel('Начало').fill('2026-12-02T09:00');
  await editor.getByLabel('Окончание').fill('2026-12-02T08:00');
  await editor.getByLabel(/Разослать клиентам/).check();
  await editor.getByRole('button', { name: 'Опубликовать' }).click();
  await editor.locator('#error-summary').waitFor();
  assert.match(await editor.locator('#error-summary').innerText(), /позже его начала/);
  assert.equal(await editor.getByLabel('Заголовок').inputValue(), 'Плановое отключение');
  assert.deepEqual(await accessibilityProblems(editor), []);
  await editor.getByLabel('Окончание').fill('2026-12-02T17:00');
  await editor.getByRole('button', { name: 'Опубликовать' }).click();
  await editor.getByText('Объявление опубликовано.').waitFor();
  assert.deepEqual(await accessibilityProblems(editor), []);
  await editor.close();

  // The client sees it in the personal account and on the site, and gets it by e-mail.
  await page.goto(`${server.url}/my`);
  await page.getByRole('heading', { name: 'Объявления для вашего адреса' }).waitFor();
  assert.match(await page.locator('main').innerText(), /Плановое отключение — отключение 02\.12\.2026 09:00 — 17:00/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('link', { name: 'Все новости и объявления' }).click();
  await page.getByRole('heading', { name: 'Новости и объявления' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('link', { name: 'Плановое отключение' }).first().click();
  await page.getByText('Отключение: 02.12.2026 09:00 — 17:00').waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  const place = settlement.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
  await letterMatching(email, new RegExp(`Плановое отключение: ${place}, 02\\.12\\.2026 09:00 — 17:00`));

  // A contract in writing: the checklist explains what is missing, then the application goes in.
  await page.goto(`${server.url}/my`);
  await page.getByRole('link', { name: 'Договор энергоснабжения' }).click();
  await page.getByRole('heading', { name: 'Заявление о заключении договора' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('принесу в центр обслуживания').first().check();
  await page.getByRole('button', { name: 'Подать заявление' }).click();
  await page.locator('#error-summary').waitFor();
  assert.match(await page.locator('#error-summary').innerText(), /праве собственности/);
  assert.equal(await page.getByLabel('принесу в центр обслуживания').first().isChecked(), true);
  assert.deepEqual(await accessibilityProblems(page), []);
  for (const box of await page.getByLabel('принесу в центр обслуживания').all()) await box.check();
  await page.getByRole('button', { name: 'Подать заявление' }).click();
  await page.getByText('Заявление подано.').waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);

  await page.goto(`${server.url}/my`);
  await page.getByRole('button', { name: 'Выйти' }).click();
  await page.getByRole('heading', { name: 'Вход в личный кабинет' }).waitFor();
  await client.close();
});

test('the head of retail sales edits a reminder template with a preview', async () => {
  const page = await context.newPage();
  await signIn(page, 'sales');
  await page.getByRole('link', { name: 'Уведомления' }).click();
  await page.getByRole('heading', { name: 'Уведомления клиентам' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  const form = page.locator('#debt-sms');
  // The templates are grouped by kind, each group folded: open the one with the debt SMS.
  await page.locator('details', { has: form }).locator('summary').first().click();
  await form.getByLabel('Текст').fill('Долг {account}: {summa}');
  await form.getByRole('button', { name: 'Сохранить шаблон' }).click();
  await page.locator('#error-summary').waitFor();
  assert.match(await page.locator('#error-summary').innerText(), /Неизвестные подстановки: \{summa\}/);
  assert.equal(await page.locator('#debt-sms').getByLabel('Текст').inputValue(), 'Долг {account}: {summa}');
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.locator('#debt-sms').getByLabel('Текст').fill('Долг по л/с {account}: {amount}. {hotline}');
  await page.locator('#debt-sms').getByRole('button', { name: 'Сохранить шаблон' }).click();
  await page.locator('#debt-sms').getByText('Шаблон сохранён').waitFor();
  await page.locator('#debt-sms summary').click();
  assert.match(await page.locator('#debt-sms pre').innerText(), /Долг по л\/с 100000017: 1\s234,56/);
  await page.close();
});

test('anyone reads «Клиентам» and sends a reading without signing in; staff publish a page', async () => {
  const visitor = await browser.newContext({
    bypassCSP: true, locale: 'ru-RU', viewport: { width: 375, height: 740 }, isMobile: true,
  });
  const page = await visitor.newPage();
  await page.goto(`${server.url}/info`);
  await page.getByRole('heading', { name: 'Клиентам' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  for (const name of ['Центры обслуживания, адреса, телефоны и часы работы', 'Реквизиты для оплаты', 'Как передать показания', 'Стандарты качества обслуживания', 'Стандарт качества обслуживания потребителей (полный текст)', 'Пункты приёма платежей и часы их работы']) {
    await page.getByRole('link', { name }).click();
    await page.locator('h1').waitFor();
    assert.deepEqual(await accessibilityProblems(page), [], name);
    await page.goBack();
  }
  await page.getByRole('link', { name: 'Передать показания без регистрации' }).click();
  await page.getByRole('heading', { name: 'Передать показания' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Номер лицевого счёта').fill('123');
  await page.getByLabel('Последние цифры номера прибора').fill('12');
  await page.getByRole('button', { name: 'Передать показания' }).click();
  await page.locator('#error-summary').waitFor();
  assert.equal(await page.getByLabel('Номер лицевого счёта').inputValue(), '123');
  assert.deepEqual(await accessibilityProblems(page), []);
  // A forgotten password: the same answer whether the address is known or not.
  await page.goto(`${server.url}/my/login`);
  await page.getByRole('link', { name: 'Забыли пароль?' }).click();
  await page.getByRole('heading', { name: 'Восстановление пароля' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Электронная почта').fill('nobody@example.org');
  await page.getByRole('button', { name: 'Прислать ссылку' }).click();
  await page.getByRole('heading', { name: 'Проверьте почту' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  // The code from an SMS (after signing up with a phone): a wrong one is refused, the input kept.
  await page.goto(`${server.url}/my/login`);
  await page.getByRole('link', { name: 'Ввести код из СМС' }).click();
  await page.getByRole('heading', { name: 'Подтверждение телефона' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Номер мобильного телефона').fill('+7 912 000-00-01');
  await page.getByLabel('Код из СМС').fill('123456');
  await page.getByRole('button', { name: 'Подтвердить' }).click();
  await page.locator('#error-summary').waitFor();
  assert.equal(await page.getByLabel('Код из СМС').inputValue(), '123456');
  assert.equal(await page.getByLabel('Номер мобильного телефона').inputValue(), '+7 (912) 000-00-01');
  assert.deepEqual(await accessibilityProblems(page), []);
  await visitor.close();

  const staff = await context.newPage();
  await signIn(staff, 'sales');
  await staff.getByRole('link', { name: 'Сайт' }).click();
  await staff.getByRole('link', { name: 'Вопросы и ответы' }).click();
  assert.deepEqual(await accessibilityProblems(staff), []);
  await staff.getByLabel('Текст').fill('**Где взять код?** В счёте, в строке «Личный кабинет».');
  await staff.getByRole('button', { name: 'Предпросмотр' }).click();
  await staff.getByRole('heading', { name: 'Предпросмотр' }).waitFor();
  assert.match(await staff.locator('.markdown strong').first().innerText(), /Где взять код/);
  await staff.getByRole('button', { name: 'Опубликовать' }).click();
  await staff.getByText('Опубликовано.').waitFor();
  await staff.goto(`${server.url}/info/payment-points/admin`);
  await staff.getByLabel('Вид').selectOption('online');
  await staff.getByLabel('Название').fill('Приложение банка');
  await staff.getByRole('button', { name: 'Сохранить' }).click();
  await staff.locator('#error-summary').waitFor();
  assert.equal(await staff.getByLabel('Название').inputValue(), 'Приложение банка');
  assert.deepEqual(await accessibilityProblems(staff), []);
  await staff.goto(`${server.url}/info/page/faq`);
  assert.match(await staff.locator('main').innerText(), /В счёте, в строке «Личный кабинет»/);
  await staff.close();
});
