// Driving the real VS Code workbench (code-server in Chromium through playwright-core) as a user
// does: the explorer, the Command Palette, Go to Line, webview frames. Shared by the UI scripts
// (scripts/ui-smoke.mjs, scripts/first-ten.mjs).

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
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').waitFor();
  await page.keyboard.type(`${line}:${col}`);
  await page.keyboard.press('Enter');
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
