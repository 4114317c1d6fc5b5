// A citizen arrives at the site's address on a desktop and on a phone: the public home page
// with the company, the hotline and the big entries; every public page has the same
// navigation, a way home, fits the screen without horizontal scrolling and passes the
// accessibility scan. Each staff role opening the site starts where it works. Screenshots go to
// e2e/artifacts/ for people to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startBrowser, accessibilityProblems, PASSWORD } from './harness.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
mkdirSync(artifacts, { recursive: true });

let server;
let browser;

before(async () => {
  server = await startServer();
  ({ browser } = await startBrowser());
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const PUBLIC_PAGES = [
  ['/', 'home'],
  ['/readings', 'readings'],
  ['/info/requisites', 'requisites'],
  ['/my/login', 'my-login'],
  ['/my/signup', 'my-signup'],
  ['/reception', 'reception'],
  ['/reception/status', 'status'],
  ['/tariffs', 'tariffs'],
  ['/info', 'info'],
  ['/info/news', 'news'],
  ['/info/offices', 'offices'],
];

for (const [width, height] of [[1366, 900], [375, 740]]) {
  test(`every public page at ${width} px: navigation, a way home, no horizontal scroll, accessible`, async () => {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: { width, height } });
    const page = await ctx.newPage();
    for (const [path, name] of PUBLIC_PAGES) {
      const r = await page.goto(`${server.url}${path}`);
      assert.equal(r.status(), 200, path);
      const nav = page.getByRole('navigation', { name: 'Разделы для клиентов' });
      for (const link of ['Главная', 'Передать показания', 'Оплата', 'Личный кабинет', 'Обращение онлайн']) {
        assert.equal(await nav.getByRole('link', { name: link, exact: true }).count(), 1, `${path}: «${link}»`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path} at ${width} px scrolls sideways by ${overflow} px`);
      assert.deepEqual(await accessibilityProblems(page), [], path);
      await page.screenshot({ path: join(artifacts, `public-${name}-${width}.png`), fullPage: true });
    }
    await ctx.close();
  });
}

test('the home page leads a citizen to what they came for', async () => {
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: { width: 375, height: 740 } });
  const page = await ctx.newPage();
  await page.goto(server.url);
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.match(await page.locator('.hotline').innerText(), /Горячая линия/);
  for (const [tile, url] of [
    ['Передать показания', /\/readings$/],
    ['Оплатить / реквизиты', /\/info\/requisites$/],
    ['Личный кабинет', /\/my(\/login)?(\?.*)?$/],
    ['Обращение онлайн', /\/reception$/],
  ]) {
    await page.goto(server.url);
    await page.locator('.tiles').getByRole('link', { name: new RegExp(tile) }).click();
    await page.waitForURL(url);
  }
  await page.goto(server.url);
  await page.getByRole('link', { name: 'Вход для сотрудников' }).click();
  await page.waitForURL(/\/login$/);
  await ctx.close();
});

test('each staff role opening the site starts where it works', async () => {
  for (const [login, start] of [
    ['tech', '/appeals?view=mine'],
    ['head', '/appeals?view=new'],
    ['cashier', '/clients'],
    ['clerk', '/appeals/new'],
    ['director', '/appeals/stats'],
    ['admin', '/admin'],
  ]) {
    const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU' });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Логин').fill(login);
    await page.getByLabel('Пароль').fill(PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.waitForURL(`${server.url}${start}`);
    await page.goto(server.url);
    await page.waitForURL(`${server.url}${start}`);
    assert.deepEqual(await accessibilityProblems(page), [], `${login} at ${start}`);
    await page.screenshot({ path: join(artifacts, `start-${login}.png`), fullPage: true });
    await ctx.close();
  }
});
