// A staff member signs in, finds a client by surname and by account number, opens the card and
// edits it; every page passes an accessibility scan with no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startBrowser, accessibilityProblems, PASSWORD } from './harness.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
let server;
let browser;
let context;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
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
}

test('sign-in page is accessible and refuses a wrong password in Russian', async () => {
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Логин').fill('tech');
  await page.getByLabel('Пароль').fill('wrong password');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByText('Неверный логин или пароль.').waitFor();
  assert.equal(await page.getByLabel('Логин').inputValue(), 'tech', 'the login is kept');
  await page.close();
});

test('technician finds a client by surname and account number and opens the card', async () => {
  const page = await context.newPage();
  await signIn(page, 'tech');
  // A technician starts at their own appeals (Role::start_page); then the client search.
  await page.waitForURL(`${server.url}/appeals?view=mine`);
  await page.goto(`${server.url}/clients`);
  assert.deepEqual(await accessibilityProblems(page), []);

  await page.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill('Иванов');
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.getByRole('heading', { name: /Найдено: \d+/ }).waitFor();
  const rows = page.locator('tbody tr');
  assert.ok((await rows.count()) > 0, 'demo data has Ивановы');
  assert.deepEqual(await accessibilityProblems(page), []);
  const first = rows.first();
  const name = (await first.locator('td').nth(0).innerText()).trim();
  const number = (await first.locator('td').nth(1).innerText()).trim();
  assert.match(name, /^Иванов/);
  assert.match(number, /^\d{10}$/);

  await page.getByLabel('Номер лицевого счёта, фамилия, адрес или телефон').fill(number);
  await page.getByRole('button', { name: 'Найти' }).click();
  await page.getByRole('heading', { name: 'Найдено: 1' }).waitFor();
  await page.getByRole('link', { name }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await page.getByRole('heading', { name: `Лицевой счёт № ${number}` }).waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.screenshot({ path: join(artifacts, 'card.png'), fullPage: true });

  // Edit: a wrong e-mail is explained next to the field and the typed text is kept.
  await page.getByRole('link', { name: 'Изменить данные' }).click();
  await page.getByLabel('Электронная почта').fill('broken@');
  await page.getByRole('radio', { name: 'по электронной почте', exact: true }).check();
  await page.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByText('Адрес электронной почты указан неверно').first().waitFor();
  assert.equal(await page.getByLabel('Электронная почта').inputValue(), 'broken@');
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.getByLabel('Электронная почта').fill('client@example.org');
  await page.getByRole('button', { name: 'Сохранить' }).click();
  await page.getByText('Изменения сохранены.').waitFor();
  await page.getByText('client@example.org').waitFor();
  await page.close();
});

test('administrator opens administration and the working calendar; a technician cannot', async () => {
  const admin = await context.browser().newContext({ bypassCSP: true });
  const page = await admin.newPage();
  await signIn(page, 'admin');
  await page.waitForURL(`${server.url}/admin`);
  await page.getByRole('heading', { name: 'Центры очного обслуживания' }).waitFor();
  await page.getByText('70 лет Октября').first().waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.goto(`${server.url}/admin/calendar/2026?from=2026-12-16&days=15`);
  await page.getByText('Срок: 11.01.2027').waitFor();
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.screenshot({ path: join(artifacts, 'calendar.png'), fullPage: true });
  await admin.close();

  const tech = await context.browser().newContext({ bypassCSP: true });
  const p2 = await tech.newPage();
  await signIn(p2, 'tech');
  const r = await p2.goto(`${server.url}/admin`);
  assert.equal(r.status(), 403);
  await p2.getByText('Недостаточно прав для этого действия.').waitFor();
  await tech.close();
});
