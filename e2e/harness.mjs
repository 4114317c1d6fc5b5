// Starts the real `abonent` binary on a fresh SQLite database with demo data, and a real
// headless Chromium (Debian's package) driven by playwright-core. Shared by the browser tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const PASSWORD = 'demo-abonent-2026';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitReady(url, proc, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`abonent exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`abonent did not become ready at ${url}`);
}

export async function startServer() {
  const bin = process.env.ABONENT_BIN || join(here, '..', 'target', 'debug', 'abonent');
  if (!existsSync(bin)) throw new Error(`no binary at ${bin}: build it first (cargo build)`);
  const dir = mkdtempSync(join(tmpdir(), 'abonent-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--demo', '--listen', `127.0.0.1:${port}`,
    '--database-url', `sqlite://${join(dir, 'abonent.db')}`], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ABONENT_LOG: 'warn' },
  });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  try {
    await waitReady(url, proc, 120_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n${output}`);
  }
  return {
    url,
    /** The server's working directory (the demo writes its letters to data/outbox there). */
    dir,
    output: () => output,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // CSP forbids inline scripts; the accessibility scanner is injected by the test only.
  const context = await browser.newContext({ bypassCSP: true, locale: 'ru-RU' });
  return { browser, context };
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (WCAG 2.1 A/AA rules) and returns the serious and critical violations. */
export async function accessibilityProblems(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
