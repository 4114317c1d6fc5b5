// The appeal's whole path in a real browser: a citizen files through the online reception, a
// records clerk sees it, the branch head assigns it, the executor answers, the citizen reads the
// answer. Every page passes an accessibility scan with no serious or critical violation.
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

async function staffPage(login) {
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU' });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  // Each role starts where it works (Role::start_page).
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { ctx, page };
}

test('citizen files, clerk sees, head assigns, executor answers, citizen reads the answer', async () => {
  const citizen = await context.newPage();
  await citizen.goto(`${server.url}/reception`);
  assert.deepEqual(await accessibilityProblems(citizen), []);
  await citizen.getByLabel('Фамилия, имя, отчество').fill('Лебедева Ольга Петровна');
  await citizen.getByLabel('Электронная почта для ответа').fill('olga@example.org');
  await citizen.getByLabel('Тематика').selectOption({ label: 'Качество электроснабжения' });
  await citizen.getByLabel('Текст обращения').fill('Вечером напряжение падает, лампы мигают. Прошу проверить.');
  // Without consent the form comes back with the text kept.
  await citizen.getByRole('button', { name: 'Отправить обращение' }).click();
  await citizen.getByText('Без согласия на обработку персональных данных').first().waitFor();
  assert.match(await citizen.getByLabel('Текст обращения').inputValue(), /напряжение падает/);
  assert.deepEqual(await accessibilityProblems(citizen), []);
  await citizen.getByLabel('Согласен(на) на обработку').check();
  await citizen.getByRole('button', { name: 'Отправить обращение' }).click();
  await citizen.getByRole('heading', { name: 'Обращение зарегистрировано' }).waitFor();
  const number = (await citizen.locator('#reg-number').innerText()).trim();
  const code = (await citizen.locator('#tracking-code').innerText()).trim();
  assert.match(number, /^\d{4}-\d{6}$/);
  assert.equal(code.length, 10);
  assert.deepEqual(await accessibilityProblems(citizen), []);

  const clerk = await staffPage('clerk');
  await clerk.page.goto(`${server.url}/appeals?view=all`);
  await clerk.page.getByRole('link', { name: number, exact: true }).waitFor();
  assert.deepEqual(await accessibilityProblems(clerk.page), []);
  await clerk.ctx.close();

  const head = await staffPage('head');
  await head.page.goto(`${server.url}/appeals?view=new`);
  await head.page.getByRole('link', { name: number, exact: true }).click();
  await head.page.getByRole('heading', { name: `Обращение № ${number}` }).waitFor();
  assert.deepEqual(await accessibilityProblems(head.page), []);
  const executor = await head.page.locator('#f-executor_id option', { hasText: 'Егорова Мария Ивановна' }).getAttribute('value');
  await head.page.getByLabel('Исполнитель', { exact: true }).selectOption(executor);
  await head.page.getByRole('button', { name: 'Назначить' }).click();
  await head.page.getByText('Исполнитель назначен.').waitFor();
  await head.ctx.close();

  const tech = await staffPage('tech');
  await tech.page.goto(`${server.url}/appeals?view=mine`);
  await tech.page.getByRole('link', { name: number, exact: true }).click();
  await tech.page.getByLabel('Ответ по существу').fill('Напряжение проверено 25.11.2026, неисправность устранена.');
  await tech.page.getByLabel('Исполнитель: фамилия, имя, отчество').fill('Егорова Мария Ивановна');
  await tech.page.getByLabel('Телефон исполнителя').fill('8 (34668) 4-12-34');
  // A missing signature is refused and the typed answer kept.
  await tech.page.getByRole('button', { name: 'Направить ответ' }).click();
  await tech.page.getByText('Не сохранено: исправьте ошибки').waitFor();
  assert.match(await tech.page.getByLabel('Ответ по существу').inputValue(), /неисправность устранена/);
  assert.deepEqual(await accessibilityProblems(tech.page), []);
  await tech.page.getByLabel('Подписывает: фамилия и инициалы').fill('Смирнов П. А.');
  await tech.page.getByLabel('Должность подписывающего').fill('Руководитель отделения');
  await tech.page.getByLabel('Как направить').selectOption('portal');
  await tech.page.getByRole('button', { name: 'Направить ответ' }).click();
  await tech.page.getByText('Ответ записан и направлен заявителю.').waitFor();
  await tech.ctx.close();

  await citizen.goto(`${server.url}/reception/status`);
  await citizen.getByLabel('Регистрационный номер').fill(number);
  await citizen.getByLabel('Код из подтверждения').fill(code.toLowerCase());
  await citizen.getByRole('button', { name: 'Показать' }).click();
  await citizen.locator('#appeal-status').waitFor();
  assert.match(await citizen.locator('#appeal-status').innerText(), /дан ответ/);
  assert.match(await citizen.locator('.answer-text').last().innerText(), /неисправность устранена/);
  assert.deepEqual(await accessibilityProblems(citizen), []);
  await citizen.close();
});

test('registration form, statistics and settings pass the accessibility scan', async () => {
  const clerk = await staffPage('clerk');
  await clerk.page.goto(`${server.url}/appeals/new`);
  assert.deepEqual(await accessibilityProblems(clerk.page), []);
  // A refused registration keeps the text and explains in Russian.
  await clerk.page.getByLabel('Текст обращения').fill('Прошу проверить показания.');
  await clerk.page.getByRole('button', { name: 'Зарегистрировать' }).click();
  await clerk.page.getByText('Выберите тематику').first().waitFor();
  assert.equal(await clerk.page.getByLabel('Текст обращения').inputValue(), 'Прошу проверить показания.');
  assert.deepEqual(await accessibilityProblems(clerk.page), []);
  await clerk.page.goto(`${server.url}/appeals/stats`);
  assert.deepEqual(await accessibilityProblems(clerk.page), []);
  await clerk.ctx.close();
  const director = await staffPage('director');
  await director.page.goto(`${server.url}/appeals/settings`);
  assert.deepEqual(await accessibilityProblems(director.page), []);
  await director.ctx.close();
});
