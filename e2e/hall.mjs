// Helpers shared by the hall's browser tests (booking, hall pages): staff and citizens signed in
// in their own browser contexts, and the checks every page gets (accessibility, width, ids).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { accessibilityProblems, PASSWORD } from './harness.mjs';

export const WIDE = { width: 1366, height: 900 };
export const NARROW = { width: 375, height: 740 };

export async function newPage(browser, options = {}) {
  const ctx = await browser.newContext({ bypassCSP: true, locale: 'ru-RU', viewport: WIDE, ...options });
  return { ctx, page: await ctx.newPage() };
}

/** A staff member signed in, on the page their role starts at. */
export async function staffPage(server, browser, login) {
  const { ctx, page } = await newPage(browser);
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(PASSWORD);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return { ctx, page };
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
export async function letterMatching(server, to, re) {
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

/**
 * A citizen with a personal account, signed in, as portal.test.mjs signs one up: a cashier reads
 * the account's number and registration code off its invoice, the citizen registers with them,
 * confirms the address by the letter's link and signs in. `surname` picks the demo client.
 */
export async function citizenPage(server, browser, surname, viewport = WIDE) {
  const staff = await staffPage(server, browser, 'cashier');
  await staff.page.goto(`${server.url}/clients?q=${encodeURIComponent(surname)}`);
  await staff.page.locator('tbody tr').first().locator('a').first().click();
  await staff.page.getByRole('link', { name: 'Расчёты, счета и платежи' }).first().click();
  await staff.page.getByRole('link', { name: 'открыть' }).first().click();
  const invoice = await staff.page.locator('main').innerText();
  const number = invoice.match(/Лицевой счёт № (\d+)/)[1];
  const code = invoice.match(/код для регистрации (\d{4}-\d{4})/)[1];
  const name = invoice.match(/Плательщик:?\s*([^\n]+)/)?.[1]?.trim();
  await staff.ctx.close();

  const { ctx, page } = await newPage(browser, { viewport });
  await page.goto(`${server.url}/my`);
  await page.getByRole('link', { name: 'Зарегистрируйтесь' }).click();
  const email = `client-${Date.now()}@example.org`;
  await page.getByLabel('Номер лицевого счёта').fill(number);
  await page.getByLabel('Код из счёта').fill(code);
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль', { exact: true }).fill('klient-pass-2026');
  await page.getByLabel('Пароль ещё раз').fill('klient-pass-2026');
  await page.getByLabel(/Согласен/).check();
  await page.getByRole('button', { name: 'Зарегистрироваться' }).click();
  await page.getByRole('heading', { name: 'Подтвердите адрес' }).waitFor();
  const link = (await letterMatching(server, email, /https?:\/\/\S+\/my\/confirm\?token=[0-9a-f]+/))[0];
  await page.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
  await page.getByRole('heading', { name: 'Адрес подтверждён' }).waitFor();
  await page.getByRole('link', { name: 'Войти' }).click();
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль').fill('klient-pass-2026');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL(/\/my$/);
  return { ctx, page, number, email, name };
}

/** How far the page scrolls sideways (0 when it fits). */
export async function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Ids used by more than one element: a label or an error then points at the wrong field. */
export async function duplicateIds(page) {
  return page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `#${id} ×${n}`);
  });
}

/** Links of the error summary that lead to no field on the page. */
export async function brokenSummaryLinks(page) {
  return page.evaluate(() => [...document.querySelectorAll('#error-summary a[href^="#"]')]
    .filter((a) => !document.getElementById(a.getAttribute('href').slice(1)))
    .map((a) => `«${a.textContent.trim()}» → ${a.getAttribute('href')}`));
}

/**
 * Lists whose chosen option is cut off. With `ambiguous`, only those whose visible part is the
 * beginning of another option too, so that the person cannot tell what is chosen (on a phone a
 * long option is cut anyway; it is a problem only when the cut hides the difference).
 */
export async function cutSelects(page, { ambiguous = false } = {}) {
  return page.evaluate((onlyAmbiguous) => {
    const ctx = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll('select')].filter((s) => s.offsetParent !== null && s.selectedOptions[0])
      .map((s) => {
        const cs = getComputedStyle(s);
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const text = s.selectedOptions[0].textContent.trim();
        // The room for the text: the box less its padding and the arrow (about 20 px).
        const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
        let shown = text;
        while (shown && ctx.measureText(shown).width > room) shown = shown.slice(0, -1);
        const others = [...s.options].filter((o) => o !== s.selectedOptions[0]).map((o) => o.textContent.trim());
        return {
          s, text, shown, need: Math.ceil(ctx.measureText(text).width), room: Math.floor(room),
          same: others.some((o) => o.startsWith(shown)),
        };
      })
      .filter((x) => x.shown !== x.text && (!onlyAmbiguous || x.same))
      .map((x) => `select#${x.s.id || x.s.name} «${x.text}» needs ${x.need} px, has ${x.room} px`
        + `${x.same ? `: shows «${x.shown}», as other options begin` : ''}`);
  }, ambiguous);
}

/**
 * Checks the page as it stands at 1366 and at 375 px (accessibility, duplicate ids, summary
 * links, lists showing their whole choice, nothing scrolling sideways at 375 px) and saves
 * `<prefix>-<width>.png` in `dir`. What is wrong is pushed to `problems` so that a walk reports
 * every page; the page is left at 1366 px.
 */
export async function look(page, dir, prefix, problems) {
  const note = (list, where) => problems.push(...list.map((p) => `${prefix} ${where}: ${p}`));
  await page.setViewportSize(WIDE);
  note(await duplicateIds(page), 'duplicate id');
  note(await brokenSummaryLinks(page), 'error summary link to nowhere');
  note(await accessibilityProblems(page), 'at 1366 px');
  note(await cutSelects(page), 'cut off at 1366 px');
  await page.screenshot({ path: join(dir, `${prefix}-1366.png`), fullPage: true });
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(100);
  const overflow = await sideways(page);
  if (overflow > 0) {
    const wide = await page.evaluate(() => [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-wrap'))
      .slice(0, 3).map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ')[0]}` : ''}`));
    problems.push(`${prefix} at 375 px scrolls sideways by ${overflow} px (${wide.join(', ')})`);
  }
  note(await accessibilityProblems(page), 'at 375 px');
  note(await cutSelects(page, { ambiguous: true }), 'cut off at 375 px');
  await page.screenshot({ path: join(dir, `${prefix}-375.png`), fullPage: true });
  await page.setViewportSize(WIDE);
}
