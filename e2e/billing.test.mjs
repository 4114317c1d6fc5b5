// A cashier takes a payment on an account with billing history and prints the receipt; the
// invoice explains its lines; the head of retail sales works tariffs and registries; the public
// tariff page. Every page passes the accessibility scan.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
  // Each role starts where it works (Role::start_page).
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

test('a cashier takes a payment and prints the receipt; the invoice explains itself', async () => {
  const page = await context.newPage();
  await signIn(page, 'cashier');
  await page.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill('Петров');
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.locator('tbody tr').first().locator('a').first().click();
  await page.getByRole('link', { name: 'Расчёты, счета и платежи' }).first().click();
  await page.getByRole('heading', { name: /Расчёты по лицевому счёту/ }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  const invoices = await page.locator('tbody tr').count();
  assert.ok(invoices >= 3, `three months of demo history, got ${invoices} rows`);
  // A wrong amount is explained in Russian and kept.
  await page.getByLabel('Сумма, ₽').fill('12,3x');
  await page.getByRole('button', { name: 'Принять и напечатать квитанцию' }).click();
  await page.locator('#error-summary').waitFor();
  assert.equal(await page.getByLabel('Сумма, ₽').inputValue(), '12,3x');
  await page.getByLabel('Сумма, ₽').fill('1 234,56');
  await page.getByLabel('Плательщик').fill('Петров П. П.');
  await page.getByRole('button', { name: 'Принять и напечатать квитанцию' }).click();
  await page.getByRole('heading', { name: /Квитанция №/ }).waitFor();
  assert.match(await page.locator('#receipt-amount').innerText(), /1\s234,56/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('link', { name: '← К расчётам по счёту' }).click();
  await page.getByRole('link', { name: 'открыть' }).first().click();
  await page.getByRole('heading', { name: /Счёт за электроэнергию за/ }).waitFor();
  assert.match(await page.locator('main').innerText(), /ПП 354/);
  assert.match(await page.locator('#qr-payload').innerText(), /^ST00012\|/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.close();
});

test('the head of retail sales sees tariffs, registries and readings on review', async () => {
  const page = await context.newPage();
  await signIn(page, 'sales');
  await page.goto(`${server.url}/billing`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('link', { name: 'Тарифы, нормативы и реквизиты' }).click();
  await page.getByRole('heading', { name: 'Тарифы, нормативы и реквизиты' }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.goto(`${server.url}/billing/registries`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Формат реестра (банк)').selectOption('csv');
  await page.getByLabel('Файл реестра').setInputFiles({
    name: 'reestr.csv', mimeType: 'text/csv',
    buffer: Buffer.from('дата;счёт;сумма;плательщик\n2026-11-02;500000018;сто;Иванов\n'),
  });
  await page.getByRole('button', { name: 'Загрузить' }).click();
  await page.locator('#error-summary').waitFor();
  assert.match(await page.locator('#error-summary').innerText(), /строка 2/);
  // A good file, then the same rows re-exported with CRLF: the repeat is held, not credited.
  const rows = 'дата;счёт;сумма;плательщик\n2026-11-02;0000000018;123,45;Проверкин Пётр\n';
  for (const [name, text] of [['a.csv', rows], ['b.csv', rows.replaceAll('\n', '\r\n')]]) {
    await page.getByLabel('Формат реестра (банк)').selectOption('csv');
    await page.getByLabel('Файл реестра').setInputFiles({
      name, mimeType: 'text/csv', buffer: Buffer.from(text),
    });
    await page.getByRole('button', { name: 'Загрузить' }).click();
    await page.locator('#import-outcome').waitFor();
  }
  assert.match(await page.locator('#import-outcome').innerText(), /зачислено 0.*на проверке 1/);
  assert.match(await page.locator('#held-lines').innerText(), /строка 2: те же дата, счёт, сумма и плательщик, что в платеже №/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByRole('button', { name: 'Не зачислять: повтор' }).first().click();
  await page.getByText('Строка реестра разобрана.').waitFor();
  await page.goto(`${server.url}/readings/review`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.goto(`${server.url}/billing/restrictions`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.close();
});

test('the public tariff page needs no sign-in', async () => {
  const anonymous = await browser.newContext({ bypassCSP: true, locale: 'ru-RU' });
  const page = await anonymous.newPage();
  await page.goto(`${server.url}/tariffs`);
  await page.getByRole('heading', { name: 'Тарифы на электроэнергию для населения' }).waitFor();
  assert.match(await page.locator('main').innerText(), /23:00–07:00/);
  assert.deepEqual(await accessibilityProblems(page), []);
  await anonymous.close();
});
