// Driving the real VS Code workbench (code-server in Chromium through playwright-core) as a user
// does: the launch, the explorer, the Command Palette, Go to Line, webview frames, and the steps
// of a scenario. Shared by the UI scripts (scripts/ui-smoke.mjs, scripts/first-ten.mjs,
// scripts/web-extension.mjs).
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO_ROOT,
  extensionDevelopmentPath,
  startCodeServer,
} from './code-server.mjs';

/**
 * code-server on `workspace` and headless Chromium, with the workbench open and focused, and
 * this repository's extension loaded under development. `beforeOpen(page)` runs before the
 * workbench loads (request listeners). `close()` ends the browser and the server.
 */
export async function launchWorkbench({ workspace, userDataDir, extensionsDir, beforeOpen }) {
  const server = await startCodeServer({ workspace, userDataDir, extensionsDir });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const close = async () => {
    await browser.close().catch(() => {});
    await server.stop().catch(() => {});
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await beforeOpen?.(page);
    const authority = `127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${extensionDevelopmentPath()}`],
    ];
    await page.goto(
      `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
      { timeout: 120_000 }, // a loaded machine serves the workbench slowly
    );
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(2000);
    // Keyboard shortcuts need the workbench focused.
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 300 } });
    await page.keyboard.press('Escape');
    return { server, browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The steps of a UI scenario, each a test line (`  ✓ <tag> name`, `  ✗ <tag> name` and why).
 * A failed step leaves a screenshot of `page()` in test-results/ (`shot(n)` names it, n counting
 * the steps so far). With `stopOnFailure`, the steps after a failure are reported as not run
 * (they depend on it). `finish(main)` runs the scenario, counts an error outside the steps as a
 * failure, prints `N passed, N failed` and exits with 1 when anything failed.
 */
export function uiSteps({ tag, page, shot, stopOnFailure = false, fullMessage = false }) {
  const results = path.join(REPO_ROOT, 'test-results');
  let passed = 0;
  let failed = 0;
  let stopped = false;
  const message = (err) => {
    const m = String(err?.message ?? err);
    return fullMessage ? m.replace(/\n/g, '\n      ') : m.split('\n')[0];
  };
  async function step(name, fn) {
    if (stopped) {
      failed++;
      console.log(`  ✗ ${tag} ${name}\n      not run: an earlier step failed`);
      return;
    }
    try {
      await fn();
      passed++;
      console.log(`  ✓ ${tag} ${name}`);
    } catch (err) {
      failed++;
      if (stopOnFailure) stopped = true;
      await page()
        ?.screenshot({ path: path.join(results, shot(passed + failed)) })
        .catch(() => {});
      console.log(`  ✗ ${tag} ${name}\n      ${message(err)}`);
    }
  }
  async function finish(main, after) {
    try {
      await main();
    } catch (err) {
      failed++;
      console.log(`  ✗ ${tag} ${message(err)}`);
    }
    after?.();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
  return { step, finish };
}

/** Opens `name` from the explorer (quick open needs ripgrep; the explorer always works). */
export async function openFile(page, name) {
  // The explorer renders only the rows in view: scroll from the top until the file shows.
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  const list = page.locator('.explorer-folders-view .monaco-list').first();
  // A row can be in the DOM yet hidden under the panes below the list (OUTLINE, TIMELINE):
  // scroll until it lies wholly inside the list.
  const inView = async () => {
    if ((await row.count()) === 0) return false;
    const [r, l] = [await row.boundingBox(), await list.boundingBox()];
    return !!r && !!l && r.y >= l.y && r.y + r.height <= l.y + l.height;
  };
  if (!(await inView())) {
    await list.hover();
    await page.mouse.wheel(0, -100_000);
    await page.waitForTimeout(100);
    for (let i = 0; i < 60 && !(await inView()); i++) {
      await page.mouse.wheel(0, 100);
      await page.waitForTimeout(100);
    }
  }
  await row.dblclick();
  await page
    .locator('.tabs-container .tab', { hasText: name })
    .first()
    .waitFor({ timeout: 15_000 });
  await page.locator('.monaco-editor .view-lines').first().click();
}

/** Moves the cursor of the active editor to a 1-based line and column (Ctrl+G). */
export async function goTo(page, line, col) {
  // The Go to Line box can close again at once when focus is still moving (a tab clicked or a
  // notification cleared just before). Seen twice in CI: once the input stayed hidden, once the
  // box closed after it appeared and the typed "2:8" went into the file. So the position is
  // filled into the box itself, never typed at the focus, and the status bar must then show the
  // new position; else the box is opened again, up to three times.
  const input = page.locator('.quick-input-widget input');
  const shown = page.locator('.statusbar-item', { hasText: `Ln ${line}, Col ${col}` }).first();
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('Control+G');
      await input.waitFor({ timeout: attempt < 3 ? 5_000 : 30_000 });
      await input.fill(`:${line}:${col}`, { timeout: 5_000 });
      await input.press('Enter', { timeout: 5_000 });
      await shown.waitFor({ timeout: 5_000 });
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
      await page.keyboard.press('Escape');
      await page.locator('.monaco-editor .view-lines').first().click();
    }
  }
  await page.waitForTimeout(300);
}

/** Runs a command by its title from the Command Palette (`DLM: Show Model Graph`). */
export async function runCommand(page, title) {
  await page.keyboard.press('Control+Shift+P');
  await page.locator('.quick-input-widget input').waitFor();
  await page.keyboard.type(title);
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: title.replace(/^.*: /, '') })
    .first()
    .waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/**
 * The frame of a webview whose document has `selector` (webviews are nested iframes), waiting up
 * to `timeout` ms for it to appear.
 */
export async function webviewFrame(page, selector, timeout = 30_000) {
  for (const until = Date.now() + timeout; Date.now() < until;) {
    for (const f of page.frames()) {
      if (!f.url().includes('webview')) continue;
      if (
        (await f
          .locator(selector)
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    }
    await page.waitForTimeout(300);
  }
  throw new Error(`no webview frame with ${selector}`);
}
