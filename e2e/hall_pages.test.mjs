// A walk over the hall's other pages as the people who use them see them, at 1366 and 375 px:
// the branch head's home visits (list, request by phone, a visit's card), the incidents journal
// (list, new record, a record's card) and the directory «Кто решает какие вопросы»; a citizen's
// home visits in the personal account and the public directory. Each page answers 200, passes
// the accessibility scan, has no duplicate ids, shows its lists' choices whole and does not
// scroll sideways at 375 px (tables scroll inside `.table-wrap`). Screenshots go to
// e2e/artifacts/hall-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, startBrowser } from './harness.mjs';
import { staffPage, citizenPage, newPage, look } from './hall.mjs';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

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

/** Opens `path`, expects 200 and a heading matching `h1`, and looks at the page. */
async function visit(page, path, h1, name, problems) {
  const r = await page.goto(`${server.url}${path}`);
  assert.equal(r.status(), 200, path);
  assert.match((await page.locator('h1').first().innerText()).trim(), h1, path);
  // Tables wider than a phone scroll inside their own frame, not the page.
  const bare = await page.locator('main table').evaluateAll((ts) => ts.filter((t) => !t.closest('.table-wrap')).length);
  if (bare) problems.push(`${name}: ${bare} table(s) outside .table-wrap`);
  await look(page, artifacts, `hall-${name}`, problems);
}

test('the branch head\'s home visits, incidents and directory pages', async () => {
  const problems = [];
  const { ctx, page } = await staffPage(server, browser, 'head');
  await visit(page, '/home-visits', /^Выезды на дом$/, 'home-visits', problems);
  const card = await page.locator('main table a[href^="/home-visits/"]').first().getAttribute('href');
  assert.match(card, /^\/home-visits\/\d+$/);
  await visit(page, '/home-visits/new', /^Заявка на выезд на дом$/, 'home-visit-new', problems);
  await visit(page, card, new RegExp(`^Выезд на дом № ${card.split('/').pop()}$`), 'home-visit-card', problems);
  await visit(page, '/incidents', /^Журнал инцидентов$/, 'incidents', problems);
  const incident = await page.locator('main table a[href^="/incidents/"]').first().getAttribute('href');
  assert.match(incident, /^\/incidents\/\d+$/);
  await visit(page, '/incidents/new', /^Запись инцидента$/, 'incident-new', problems);
  await visit(page, incident, new RegExp(`^Инцидент № ${incident.split('/').pop()}$`), 'incident-card', problems);
  await visit(page, '/competences', /^Кто решает какие вопросы$/, 'competences', problems);
  await ctx.close();
  assert.deepEqual(problems, []);
});

test('a citizen\'s home visits and the public directory «Кто решает какие вопросы»', async () => {
  const problems = [];
  const citizen = await citizenPage(server, browser, 'Петров');
  await visit(citizen.page, '/my/home-visits', /^Вызвать специалиста на дом$/, 'my-home-visits', problems);
  await citizen.ctx.close();
  const { ctx, page } = await newPage(browser);
  await visit(page, '/info/competences', /^Кто решает какие вопросы$/, 'info-competences', problems);
  assert.match(await page.locator('main').innerText(), /Оплата и задолженность/);
  await ctx.close();
  assert.deepEqual(problems, []);
});
