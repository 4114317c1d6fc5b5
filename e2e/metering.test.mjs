// A technician registers a meter on a client's account, enters a reading and sees it on the
// card; the forms pass the accessibility scan.
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

test('a reading entered by a technician shows on the account', async () => {
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Логин').fill('tech');
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  // A technician starts at their appeals; the client search is one click away.
  await page.waitForURL(`${server.url}/appeals?view=mine`);
  await page.goto(`${server.url}/clients`);
  await page.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill('Иванов');
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.locator('tbody tr').first().locator('a').first().click();
  await page.getByRole('link', { name: 'Добавить прибор учёта' }).first().click();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Заводской номер').fill('E2E-0001');
  await page.getByLabel('Дата установки').fill('2025-03-01');
  await page.getByLabel('Дата поверки').fill('2025-02-15');
  await page.getByLabel('Показания при установке').fill('1000');
  await page.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByText('№ E2E-0001').waitFor();
  // The demo account may already have a meter with history: use the new one.
  const meterItem = page.locator('li', { hasText: '№ E2E-0001' });
  await meterItem.getByRole('link', { name: 'Принять показания' }).click();
  assert.deepEqual(await accessibilityProblems(page), []);
  // A reading below the previous one is refused in Russian and kept in the field.
  await page.getByLabel('Новые показания').fill('990');
  await page.getByRole('button', { name: 'Принять показания' }).click();
  await page.getByText('меньше предыдущего').first().waitFor();
  assert.equal(await page.getByLabel('Новые показания').inputValue(), '990');
  await page.getByLabel('Новые показания').fill('1012');
  await page.getByRole('button', { name: 'Принять показания' }).click();
  await page.locator('#reading-outcome').waitFor();
  assert.match(await page.locator('#reading-outcome').innerText(), /расход 12/);
  await page.getByRole('link', { name: '← К карточке клиента' }).click();
  assert.match(await meterItem.locator('.meter-last').innerText(), /1012/);
  await page.close();
});
