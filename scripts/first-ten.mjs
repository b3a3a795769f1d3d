#!/usr/bin/env node
// "First ten minutes": a new user's session in the real VS Code workbench (code-server 4.100.3
// in headless Chromium), step by step, with a screenshot per step in test-results/ft-*.png:
//   ft-1-new-file.png     an empty cifar.dlm shows how to start (Insert a model, Open an example)
//   ft-2-typed.png        a small CIFAR-10 CNN typed line by line, Enter at every line end (no
//                         completion accepted, no doubled `|>`), with one wrong `in=`: a squiggle
//   ft-3-graph-error.png  the graph while the error is there: the failing Conv2d drawn as failing
//   ft-4-quick-fix.png    Ctrl+. on the error offers "Set in=3"
//   ft-5-fixed.png        after the fix: no error, the code lens counts 545,098 params
//   ft-6-hover.png        the hover card of the first Conv2d (32·3·3·3 + 32 = 896 parameters)
//   ft-7-graph.png        the graph of the fixed model
//   ft-8-graph-svg.png    SVG export from the graph: saved, with a Reveal button
//   ft-9-train.png        DLM: Train Model with no train section: the starter on Stripes, a loss point
//   ft-10-export.png      DLM: Export ONNX: Cifar.onnx written, with a Reveal button
//   ft-11-train-section.png  the "Add train section" code action wrote a section on Stripes
//   ft-12-train-again.png    DLM: Train Model from that section: a new run, a loss point
// Each step is a test; the last line is `N passed, N failed`. A step that fails stops the
// scenario (later steps depend on it). Run by scripts/run-vscode-tests.mjs after the UI smoke
// test, or alone: node scripts/first-ten.mjs [--no-build].
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, writeUserSettings } from './lib/code-server.mjs';
import {
  goTo,
  launchWorkbench,
  openFile,
  runCommand,
  uiSteps,
  webviewFrame,
} from './lib/workbench.mjs';

const RESULTS = path.join(REPO_ROOT, 'test-results');
const say = (m) => console.log(`[first-ten] ${m}`);
// One failure stops the scenario: later steps depend on it.
const { step, finish } = uiSteps({
  tag: 'ft',
  page: () => globalThis.__page,
  shot: () => 'ft-failure.png',
  stopOnFailure: true,
  fullMessage: true,
});

/** The model as typed: one line per entry; the editor indents the body and closes the brace. */
const TYPED = [
  '// A small CNN for CIFAR-10 (3x32x32 images, 10 classes).',
  'model Cifar(x: [B, 3, 32, 32]) -> [B, 10] {',
  'x',
  '|> Conv2d(32, 3, padding=1, in=1) |> ReLU |> MaxPool2d(2)',
  '|> Conv2d(64, 3, padding=1) |> ReLU |> MaxPool2d(2)',
  '|> Flatten',
  '|> Dense(128) |> ReLU',
  '|> Dense(10)',
];
/** The file the typing must produce, exactly. */
const EXPECTED = [TYPED[0], TYPED[1], ...TYPED.slice(2).map((l) => `  ${l}`), '}', ''].join('\n');
// 3·32·9+32 + 32·64·9+64 + 64·8·8·128+128 + 128·10+10
const PARAMS = '545,098 params';

async function main() {
  if (!process.argv.includes('--no-build')) {
    const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('build failed');
  }
  mkdirSync(RESULTS, { recursive: true });
  for (const f of spawnSync('ls', [RESULTS], { encoding: 'utf8' }).stdout.split('\n'))
    if (/^ft-.*\.png$/.test(f)) rmSync(path.join(RESULTS, f), { force: true });
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-first-ten-'));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  // a user's folder: one example beside the new, empty file
  cpSync(path.join(REPO_ROOT, 'examples', 'lenet5.dlm'), path.join(workspace, 'lenet5.dlm'));
  const file = path.join(workspace, 'cifar.dlm');
  writeFileSync(file, '');
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  const { page, close } = await launchWorkbench({
    workspace,
    userDataDir,
    extensionsDir: path.join(tmp, 'extensions'),
  });
  globalThis.__page = page;
  const shot = (name) => page.screenshot({ path: path.join(RESULTS, name) });
  try {
    const editorLine = (n) => readFileSync(file, 'utf8').split('\n')[n - 1]?.toString() ?? '';
    /**
     * Ctrl+S until the tab is clean and the file reads `want` (a text, or a test of the text)
     * (or 30 s pass); the file's text.
     */
    const saved = async (want) => {
      const ok = (t) =>
        want === undefined ||
        (typeof want === 'function' ? want(t) : t.trimEnd() === want.trimEnd());
      const dirty = page.locator('.tabs-container .tab.dirty', { hasText: 'cifar.dlm' });
      let text = '';
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        await page.keyboard.press('Control+S');
        await page.waitForTimeout(1000);
        text = readFileSync(file, 'utf8');
        if ((await dirty.count()) === 0 && ok(text)) break;
      }
      return text;
    };
    const notification = (text) => page.locator('.notification-toast', { hasText: text }).first();

    await step('a new file shows how to start', async () => {
      await openFile(page, 'cifar.dlm');
      for (const t of ['Insert a model', 'Open an example'])
        await page
          .locator('.monaco-editor .codelens-decoration', { hasText: t })
          .first()
          .waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      await shot('ft-1-new-file.png');
    });

    await step('typing a CIFAR-10 CNN: the file comes out as typed, with one error', async () => {
      await page.locator('.monaco-editor .view-lines').first().click();
      for (const [i, l] of TYPED.entries()) {
        await page.keyboard.type(l, { delay: 60 });
        await page.waitForTimeout(400); // a suggestion list, if any, is open now
        if (i < TYPED.length - 1) await page.keyboard.press('Enter');
      }
      await page.keyboard.press('Escape');
      // A loaded machine's extension host may answer the last keystrokes (and the save's
      // participants) seconds later: save until the file on disk is what the editor shows.
      const got = await saved(EXPECTED);
      if (got.trimEnd() !== EXPECTED.trimEnd())
        throw new Error(`cifar.dlm came out as:\n${got}\n--- expected:\n${EXPECTED}`);
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300);
      await shot('ft-2-typed.png');
    });

    await step('the graph draws the failing Conv2d as failing', async () => {
      await runCommand(page, 'DLM: Show Model Graph');
      await page
        .locator('.tabs-container .tab', { hasText: 'Graph: Cifar' })
        .first()
        .waitFor({ timeout: 30_000 });
      const frame = await webviewFrame(page, 'g.node');
      const failing = frame.locator('g.node.error');
      await failing.first().waitFor({ timeout: 15_000 });
      const labels = await failing.evaluateAll((es) => es.map((e) => e.getAttribute('aria-label')));
      if (labels.length !== 1 || !/^Conv2d.*3 input channels/.test(labels[0] ?? ''))
        throw new Error(`failing nodes: ${labels.join(' | ')}`);
      await page.waitForTimeout(800);
      await shot('ft-3-graph-error.png');
      await openFile(page, 'cifar.dlm'); // back to the file (the graph stays open in its tab)
    });

    await step('Ctrl+. on the error offers "Set in=3"; applying it clears the error', async () => {
      await goTo(page, 4, editorLine(4).indexOf('in=1') + 2);
      await page.keyboard.press('Control+.');
      const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Set in=3' }).first();
      await fix.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
      await shot('ft-4-quick-fix.png');
      // the keyboard, as a user does: the list has the focus, Enter applies the focused fix
      for (let i = 0; i < 5 && !(await fix.getAttribute('class'))?.includes('focused'); i++)
        await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await saved((t) => t.includes('in=3'));
      await page
        .locator('.monaco-editor .codelens-decoration', { hasText: PARAMS })
        .first()
        .waitFor({ timeout: 30_000 });
      await page.locator('.monaco-editor .squiggly-error').waitFor({ state: 'detached' });
      if (!editorLine(4).includes('in=3')) throw new Error(`line 4 is ${editorLine(4)}`);
      await page.waitForTimeout(300);
      await shot('ft-5-fixed.png');
    });

    await step('hover on Conv2d shows its parameter count', async () => {
      await goTo(page, 4, editorLine(4).indexOf('Conv2d') + 2);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'Parameters' }).first();
      await hover.waitFor({ timeout: 15_000 });
      await page.waitForTimeout(400);
      await shot('ft-6-hover.png');
      const text = await hover.innerText();
      if (!/32·3·3·3 \+ 32 = 896/.test(text))
        throw new Error(`hover lacks 32·3·3·3 + 32 = 896: ${text.slice(0, 300)}`);
      await page.keyboard.press('Escape');
    });

    await step('show graph, then export it as SVG: saved, with Reveal', async () => {
      await runCommand(page, 'DLM: Show Model Graph');
      await page
        .locator('.tabs-container .tab', { hasText: 'Graph: Cifar' })
        .first()
        .waitFor({ timeout: 30_000 });
      const frame = await webviewFrame(page, 'g.node');
      await page.waitForTimeout(1000); // the layout settles (fit to view)
      if ((await frame.locator('g.node.error').count()) !== 0)
        throw new Error('a node is still drawn as failing after the fix');
      await shot('ft-7-graph.png');
      await frame.locator('#export-svg').click();
      // code-server's save dialog: a path box with the default file name; Enter saves
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 15_000 });
      // The simple file dialog shows the folder first and adds the file name once it has listed
      // the folder (slow on a loaded machine): wait for the name before judging the proposal.
      const want = path.join(workspace, 'Cifar.svg');
      for (const until = Date.now() + 15_000; Date.now() < until;) {
        if ((await input.inputValue()).endsWith('.svg')) break;
        await page.waitForTimeout(200);
      }
      const value = await input.inputValue();
      if (value !== want) throw new Error(`save dialog proposes ${value}, not ${want}`);
      await page.keyboard.press('Enter');
      await notification('Cifar.svg').waitFor({ timeout: 15_000 });
      await notification('Cifar.svg').locator('.monaco-button', { hasText: 'Reveal' }).waitFor();
      await page.waitForTimeout(300);
      await shot('ft-8-graph-svg.png');
      const svg = readFileSync(path.join(workspace, 'Cifar.svg'), 'utf8');
      if (!svg.startsWith('<svg') || !svg.includes('Conv2d'))
        throw new Error(`Cifar.svg: ${svg.slice(0, 200)}`);
      await notification('Cifar.svg')
        .locator('.codicon-notifications-clear')
        .click()
        .catch(() => {});
    });

    await step(
      'Train with no train section: the starter on Stripes, until a loss point',
      async () => {
        await runCommand(page, 'View: Close All Editor Groups');
        await page.waitForTimeout(500);
        await openFile(page, 'cifar.dlm');
        await runCommand(page, 'DLM: Train Model');
        await page
          .locator('.tabs-container .tab', { hasText: 'Train: Cifar' })
          .first()
          .waitFor({ timeout: 30_000 });
        const frame = await webviewFrame(page, '#starter-note');
        const note = frame.locator('#starter-note');
        await note.waitFor({ state: 'visible', timeout: 30_000 });
        if (!/Cifar has no train section in cifar\.dlm/.test(await note.innerText()))
          throw new Error(`starter note: ${await note.innerText()}`);
        const ds = await frame.locator('#ov-dataset').inputValue();
        if (!/Stripes/.test(ds)) throw new Error(`dataset picked: ${ds}`);
        // a loss point: the loss chart has data (the first step event or epoch)
        await frame
          .locator('#chart-loss:not([data-total="0"])[data-total]')
          .waitFor({ timeout: 300_000 });
        await page.waitForTimeout(1000);
        await shot('ft-9-train.png');
        if (readFileSync(file, 'utf8').includes('train '))
          throw new Error('a train section appeared');
        await runCommand(page, 'DLM: Stop Training');
        await frame
          .locator('body:not([data-run-status="running"])')
          .waitFor({ timeout: 60_000 })
          .catch(() => {});
      },
    );

    await step('Export ONNX: Cifar.onnx written, with Reveal', async () => {
      await page.locator('.tabs-container .tab', { hasText: 'cifar.dlm' }).first().click();
      await runCommand(page, 'DLM: Export ONNX');
      // a stopped first run may have no checkpoint yet: then the untrained export is confirmed
      const input = page.locator('.quick-input-widget input');
      const untrained = page.locator('.monaco-dialog-box .monaco-button', {
        hasText: 'Export untrained',
      });
      for (const until = Date.now() + 30_000; Date.now() < until;) {
        if (await untrained.isVisible().catch(() => false)) {
          await untrained.click();
          break;
        }
        if (
          (await input.isVisible().catch(() => false)) &&
          (await input.inputValue()).endsWith('.onnx')
        )
          break;
        await page.waitForTimeout(200);
      }
      await input.waitFor({ timeout: 15_000 });
      for (const until = Date.now() + 15_000; Date.now() < until;) {
        if ((await input.inputValue()).endsWith('.onnx')) break;
        await page.waitForTimeout(200);
      }
      const value = await input.inputValue();
      if (!value.endsWith('Cifar.onnx')) throw new Error(`save dialog proposes ${value}`);
      await page.keyboard.press('Enter');
      const toast = notification('exported Cifar');
      await toast.waitFor({ timeout: 120_000 });
      await toast.locator('.monaco-button', { hasText: 'Reveal' }).waitFor();
      await page.waitForTimeout(300);
      await shot('ft-10-export.png');
      const onnx = path.join(workspace, 'Cifar.onnx');
      // 545,098 float32 weights: more than 2 MB
      if (!existsSync(onnx) || statSync(onnx).size < 545_098 * 4)
        throw new Error(`Cifar.onnx missing or too small`);
    });

    await step('Add train section (code action), then train again from the section', async () => {
      await notification('exported Cifar')
        .locator('.codicon-notifications-clear')
        .click()
        .catch(() => {});
      await page.locator('.tabs-container .tab', { hasText: 'cifar.dlm' }).first().click();
      await goTo(page, 2, 8); // on the model's name
      await page.keyboard.press('Control+.');
      const add = page
        .locator('.action-widget .monaco-list-row', { hasText: 'Add train section' })
        .first();
      await add.waitFor({ timeout: 15_000 });
      const title = (await add.getAttribute('aria-label')) ?? '';
      if (!/Stripes/.test(title)) throw new Error(`code action: ${title}`);
      for (let i = 0; i < 8 && !(await add.getAttribute('class'))?.includes('focused'); i++)
        await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      const text = await saved((t) => t.includes('train Cifar {'));
      if (!/\ntrain Cifar \{\n {2}data = Stripes\n {2}loss = CrossEntropy\n/.test(text))
        throw new Error(`cifar.dlm after the code action:\n${text}`);
      await page
        .locator('.monaco-editor .codelens-decoration', { hasText: PARAMS })
        .first()
        .waitFor({ timeout: 30_000 });
      if ((await page.locator('.monaco-editor .squiggly-error').count()) > 0)
        throw new Error('the written section has an error');
      await shot('ft-11-train-section.png');
      await runCommand(page, 'DLM: Train Model');
      const frame = await webviewFrame(page, '#starter-note');
      // a model with its section: no starter note, the section's data picked, a new run
      await frame.locator('#starter-note').waitFor({ state: 'hidden', timeout: 30_000 });
      await frame.locator('body[data-run-status="running"]').waitFor({ timeout: 60_000 });
      await frame
        .locator('#chart-loss:not([data-total="0"])[data-total]')
        .waitFor({ timeout: 300_000 });
      const ds = await frame.locator('#ov-dataset').inputValue();
      if (!/Stripes/.test(ds)) throw new Error(`dataset picked: ${ds}`);
      await page.waitForTimeout(1000);
      await shot('ft-12-train-again.png');
      await runCommand(page, 'DLM: Stop Training');
    });
  } finally {
    await close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await finish(main, () =>
  say(`screenshots in ${path.relative(process.cwd(), RESULTS) || '.'}/ft-*.png`),
);
