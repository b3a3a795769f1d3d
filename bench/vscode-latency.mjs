#!/usr/bin/env node
// What a user feels, in real VS Code (code-server 4.100.3 driven by headless Chromium, as the
// integration tests run it): DLM next to a peer measured in the same run, the built-in
// TypeScript language features on a file of similar size.
//
//   cold open    the file is opened from the explorer in a new window on a fresh copy of the
//                folder (a new extension host: activation and the language server's start
//                count; a repetition whose trace shows no activation is dropped)
//                → first inlay hint, and → first code lens (DLM; TypeScript shows no lenses here)
//   squiggle     one keystroke that makes an error → its squiggle is painted, and → the Problems
//                count in the status bar shows it; then Backspace → the squiggle is gone
//   hint         one keystroke that changes a shape (a literal type in TypeScript) → the
//                updated inlay hint is painted
//   graph        "DLM: Show Model Graph" (Enter in the Command Palette) → the first graph node
//                is in the webview; peer: "Markdown: Open Preview" → the first paragraph. Each
//                repetition shows a copy of the model that no view has shown yet, then closes the
//                panel and shows it again (the extension host keeps the last layout of a model)
//   reshow       the graph (peer: the Markdown preview) in a tab next to its source, hidden by a
//                click on the source's tab, then shown again by a click on its own tab → the first
//                graph node (the preview's first paragraph) in the view's frame
//   train        "DLM: Train Model" on the spiral example → the dashboard shows the first loss
//
// Times are taken inside the page: the start from the DOM event (dblclick, keydown) and the end
// from a MutationObserver plus the next animation frame (a paint), so the harness's own round
// trips do not count; the webview figures poll the frame every 15 ms. Median and p90 over
// --reps repetitions (default 10); the ratio DLM / peer is the number that means something on a
// loaded machine. `uptime` is printed before and after.
//
// The floor peer (bench/floor-extension) is an extension that answers from the text at once, in
// the same workbench: its figures are what the browser, the remote connection, the extension host
// and the editor's own scheduling cost, under any extension. The extension and its server write a
// trace (DLM_TRACE_FILE, src/server/perfTrace.ts), printed as where DLM's time goes: activation,
// the server's start, each request and notification, the check, the paint.
//
//   npm run bench:vscode            (builds first, minified as the .vsix ships it)
//   node bench/vscode-latency.mjs [--reps N] [--no-build] [--only cold,squiggle,hint,graph,reshow,train]
//                                 [--baseline DIR] [--keep] [--json FILE]
//   --baseline DIR  also cold-open with the extension of another built checkout (A/B, same run)
//   --only cold-no-ts  the cold opens without the TypeScript peer (with --baseline)
//   --setting key=value  a user setting for the whole run (repeatable), for experiments
import { execSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  REPO_ROOT,
  ensureCodeServer,
  startCodeServer,
  writeUserSettings,
} from '../scripts/lib/code-server.mjs';
import { argValue, args } from '../scripts/lib/args.mjs';

const REPS = Math.max(1, Number(argValue('--reps') ?? 10));
const BASELINE = argValue('--baseline') ? path.resolve(argValue('--baseline')) : undefined;
const ONLY = new Set(
  (argValue('--only') ?? 'cold,squiggle,hint,graph,reshow,train').split(',').map((s) => s.trim()),
);
const say = (m) => console.log(`[vscode-latency] ${m}`);
const uptime = () => {
  try {
    return execSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return '(uptime unavailable)';
  }
};

// ---------------------------------------------------------------------------------- inputs

/** `models` small CNNs, 12 lines each. The first one is where the edits happen. */
function dlmSource(models) {
  const out = [];
  for (let i = 0; i < models; i++) {
    out.push(
      `/// Generated model ${i}`,
      `model Bench${i}(x: [B, 3, 32, 32]) -> [B, 10] {`,
      '  x',
      // 16 channels in the first model only: its hints are unique in the file
      `    |> Conv2d(${16 + 2 * i}, 3, padding=1) |> ReLU`,
      '    |> MaxPool2d(2)',
      `    |> Conv2d(${32 + (i % 4) * 8}, 3, padding=1) |> ReLU`,
      '    |> MaxPool2d(2)',
      '    |> Flatten',
      '    |> Dense(64) |> ReLU',
      '    |> Dense(10)',
      '}',
      '',
    );
  }
  return out.join('\n');
}

/** A TypeScript file of about the same length, with the same kinds of edit sites. */
function tsSource(lines) {
  const out = [
    'declare function pick<const T>(value: T): T;',
    'export const w0 = pick(16);',
    'export const e0: 10 = pick(10);',
  ];
  for (let i = 1; out.length < lines; i++) {
    out.push(
      `/** Generated function ${i} */`,
      `export function f${i}(a: number, b: string): { n: number; s: string } {`,
      `  const n = a * ${i} + b.length;`,
      `  return { n, s: b.repeat(${i % 5}) };`,
      '}',
      `export const w${i} = pick(${1000 + i});`,
    );
  }
  return out.join('\n') + '\n';
}

const DLM_MODELS = 30;
const DLM_TEXT = dlmSource(DLM_MODELS);
const TS_TEXT = tsSource(DLM_TEXT.split('\n').length);

/** 1-based line and column just after `needle` on the line that contains it (first match). */
function after(text, needle) {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no ${needle}`);
  return { line: i + 1, col: lines[i].indexOf(needle) + needle.length + 1 };
}

const DLM_LANG = {
  file: 'bench.dlm',
  text: DLM_TEXT,
  firstHint: '[B, 16, 32, 32]',
  lens: 'params',
  // `-> [B, 10]` becomes `[B, 101]`: the declared output no longer matches
  errorAt: after(DLM_TEXT, '-> [B, 10'),
  errorKey: '1',
  // `Conv2d(16` becomes `Conv2d(160`: the hint after it changes
  hintAt: after(DLM_TEXT, 'Conv2d(16'),
  hintKey: '0',
  hintBefore: '[B, 16, 32, 32]',
  hintAfter: '[B, 160, 32, 32]',
};

const LANGS = {
  dlm: DLM_LANG,
  // The same text as a language whose extension answers at once (bench/floor-extension): the
  // workbench's own cost, the floor under any extension.
  floor: { ...DLM_LANG, file: 'bench.floor' },
  ts: {
    file: 'bench.ts',
    text: TS_TEXT,
    firstHint: ': 16',
    lens: undefined,
    // `pick(10)` becomes `pick(101)`: 101 is not assignable to 10
    errorAt: after(TS_TEXT, 'e0: 10 = pick(10'),
    errorKey: '1',
    hintAt: after(TS_TEXT, 'w0 = pick(16'),
    hintKey: '0',
    hintBefore: ': 16',
    hintAfter: ': 160',
  },
};

// ------------------------------------------------------------------------- in-page probes

/**
 * Installed in every frame before its scripts run. The top frame gets `__lat`: arm() records
 * the time of the next DOM event of a kind; watch() starts waiting for a condition on the
 * workbench DOM and resolves with the time of the first animation frame after it held.
 * Webview frames record when their first graph node, loss figure or Markdown paragraph appeared.
 */
function probes() {
  const now = () => performance.timeOrigin + performance.now();
  const text = (el) => (el.textContent ?? '').replace(/\u00a0/g, ' ');
  if (window.top !== window) {
    const seen = {};
    window.__latSeen = seen;
    const check = () => {
      const b = document.body;
      if (!b) return;
      if (!seen.graph && document.querySelector('g.node')) seen.graph = now();
      if (!seen.loss && /loss \d/.test(text(b))) seen.loss = now();
      if (!seen.markdown && document.querySelector('.markdown-body p, body.vscode-body p'))
        seen.markdown = now();
    };
    new MutationObserver(check).observe(document, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    return;
  }
  const preds = {
    // an inlay hint is text injected into the view line (in parts, so read whole lines): a line
    // with `has` and none with `not`, neither followed by another digit
    hint: ({ has, not }) => {
      const lines = [
        ...document.querySelectorAll('.editor-instance .monaco-editor .view-line'),
      ].map(text);
      const re = (x) => new RegExp(`${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\d)`);
      return lines.some((l) => re(has).test(l)) && !(not && lines.some((l) => re(not).test(l)));
    },
    lens: (t) =>
      [...document.querySelectorAll('.editor-instance .codelens-decoration')].some((e) =>
        text(e).includes(t),
      ),
    squiggle: (present) =>
      document.querySelectorAll('.editor-instance .monaco-editor .squiggly-error').length > 0 ===
      present,
    // the status bar's Problems item (`ⓧ 1 ⚠ 0`): its first number is the error count
    problems: (errors) => {
      const el = document.getElementById('status.problems');
      const m = el && /(\d+)/.exec(text(el));
      return !!m && Number(m[1]) === errors;
    },
  };
  const lat = {
    t0: 0,
    pending: new Map(),
    arm(kind) {
      lat.t0 = 0;
      window.addEventListener(kind, () => (lat.t0 ||= now()), { capture: true, once: true });
    },
    watch(id, name, arg, timeoutMs) {
      const p = new Promise((resolve) => {
        const pred = () => preds[name](arg);
        let done = false;
        const finish = (ok) => {
          if (done) return;
          done = true;
          obs.disconnect();
          clearTimeout(timer);
          if (!ok) resolve(-1);
          else requestAnimationFrame(() => resolve(now()));
        };
        const obs = new MutationObserver(() => pred() && finish(true));
        obs.observe(document.body, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
        });
        const timer = setTimeout(() => finish(false), timeoutMs);
        if (pred()) finish(true);
      });
      lat.pending.set(id, p);
    },
    async result(id) {
      const t = await lat.pending.get(id);
      lat.pending.delete(id);
      return t < 0 ? -1 : t - lat.t0;
    },
  };
  window.__lat = lat;
}

// ------------------------------------------------------------------------------- harness

/** The extension host processes of the code-server started here (its process group). */
function extensionHosts(pgid) {
  const r = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, ...cmd]) => Number(g) === pgid && cmd.join(' ').includes('extensionHost'))
    .map(([pid]) => Number(pid));
}

/** The extension that answers at once: the workbench's floor (see LANGS.floor). */
const FLOOR_EXTENSION = path.join(REPO_ROOT, 'bench', 'floor-extension');

/**
 * The steps of one measured action, from the trace the extension and its server wrote
 * (src/server/perfTrace.ts): the first time each event happened in [start, end], in ms after
 * `start`. `.done` events count only when they returned something (`d` not "0").
 */
function traceSteps(file, start, end) {
  const steps = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (ev.t < start || ev.t > end) continue;
    if (ev.e.endsWith('.done') && ev.d === '0') continue;
    steps[ev.e] ??= ev.t - start;
  }
  return steps;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, median: q(0.5), p90: q(0.9), min: s[0], max: s[s.length - 1] };
};

async function main() {
  if (!args.includes('--no-build')) {
    // what users install: the minified build the .vsix ships (npm run package)
    const b = spawnSync(process.execPath, ['esbuild.mjs', '--production'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    if (b.status !== 0) throw new Error('build failed');
  }
  await ensureCodeServer();
  const load0 = uptime();
  say(`uptime before: ${load0}`);
  const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-vscode-latency-'));
  const workspace = path.join(tmp, 'workspace');
  mkdirSync(workspace, { recursive: true });
  for (const l of Object.values(LANGS)) writeFileSync(path.join(workspace, l.file), l.text);
  cpSync(path.join(REPO_ROOT, 'examples', 'resnet18.dlm'), path.join(workspace, 'graph.dlm'));
  // the graph scenario's first views: a model no view has shown in the session (the extension
  // host remembers the last layout of each model shown, decision 0031)
  if (ONLY.has('graph'))
    for (let rep = 1; rep <= REPS; rep++)
      cpSync(
        path.join(REPO_ROOT, 'examples', 'resnet18.dlm'),
        path.join(workspace, `graph-${rep}.dlm`),
      );
  cpSync(path.join(REPO_ROOT, 'examples', 'spiral.dlm'), path.join(workspace, 'spiral.dlm'));
  cpSync(path.join(REPO_ROOT, 'examples', 'README.md'), path.join(workspace, 'README.md'));
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir);
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify(
      {
        ...JSON.parse(readFileSync(settingsFile, 'utf8')),
        'typescript.inlayHints.variableTypes.enabled': true,
        'typescript.disableAutomaticTypeAcquisition': true,
        'typescript.surveys.enabled': false,
        'workbench.editor.enablePreview': false,
        'editor.minimap.enabled': false,
        'files.autoSave': 'off',
        // --setting key=value (repeatable, value as JSON or a string): an experiment, e.g.
        // --setting editor.semanticHighlighting.enabled=false
        ...Object.fromEntries(
          args
            .flatMap((a, i) => (a === '--setting' ? [args[i + 1] ?? ''] : []))
            .map((kv) => {
              const eq = kv.indexOf('=');
              const v = kv.slice(eq + 1);
              try {
                return [kv.slice(0, eq), JSON.parse(v)];
              } catch {
                return [kv.slice(0, eq), v];
              }
            }),
        ),
      },
      null,
      2,
    ),
  );
  // The extension and its server append their steps here (src/server/perfTrace.ts).
  const traceFile = path.join(tmp, 'trace.jsonl');
  writeFileSync(traceFile, '');
  // The floor is installed (code-server takes one extensionDevelopmentPath): a folder in a fresh
  // extensions directory is picked up when code-server first initializes it.
  const extensionsDir = path.join(tmp, 'extensions');
  cpSync(FLOOR_EXTENSION, path.join(extensionsDir, 'dlm-studio-bench.latency-floor-0.0.1'), {
    recursive: true,
  });
  const server = await startCodeServer({
    workspace,
    userDataDir,
    extensionsDir,
    env: { DLM_TRACE_FILE: traceFile },
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const results = {};
  const record = (key, ms) => {
    (results[key] ??= []).push(ms);
  };
  /** Where the time went, per action: one `{ event: ms after the user's action }` per repetition. */
  const breakdown = {};
  const recordSteps = (action, ms, start) => {
    if (ms < 0) return;
    (breakdown[action] ??= []).push({ ...traceSteps(traceFile, start, start + ms), painted: ms });
  };
  /** `to − from` in each repetition of `action` whose trace has both steps. */
  const between = (action, from, to) =>
    (breakdown[action] ?? []).filter((r) => from in r && to in r).map((r) => r[to] - r[from]);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(probes);
    const authority = `127.0.0.1:${server.port}`;
    /** The workbench URL with the extension loaded from `root` (this tree, or --baseline). */
    const workbenchUrl = (root, folder = workspace) =>
      `${server.url}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(
        JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${authority}${root}`]]),
      )}`;
    await page.goto(workbenchUrl(REPO_ROOT), { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor();
    await page.waitForTimeout(3000);
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 300 } });

    const watch = (id, name, arg, timeoutMs = 30_000) =>
      page.evaluate(([i, n, a, t]) => window.__lat.watch(i, n, a, t), [id, name, arg, timeoutMs]);
    const result = (id) => page.evaluate((i) => window.__lat.result(i), id);
    const arm = (kind) => page.evaluate((k) => window.__lat.arm(k), kind);
    const palette = async (title) => {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+Shift+P');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type(title);
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: title.replace(/^.*: /, '') })
        .first()
        .waitFor({ timeout: 15_000 });
    };
    const command = async (title) => {
      await palette(title);
      await page.keyboard.press('Enter');
    };
    const closeAll = async () => {
      await command('View: Close All Editor Groups');
      await page
        .locator('.tabs-container .tab')
        .first()
        .waitFor({ state: 'detached', timeout: 10_000 })
        .catch(() => undefined);
      await page.waitForTimeout(500);
    };
    const openFromExplorer = async (name) => {
      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name });
      await row.first().dblclick();
      await page.locator('.tabs-container .tab', { hasText: name }).first().waitFor();
    };
    /** Closes every editor and opens `name` alone; a .dlm file until DLM's code lens shows. */
    const openAlone = async (name) => {
      await closeAll();
      await openFromExplorer(name);
      if (name.endsWith('.dlm')) {
        await watch('ready', 'lens', 'params', 60_000);
        await result('ready');
      }
    };
    const goTo = async ({ line, col }) => {
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').waitFor();
      await page.keyboard.type(`${line}:${col}`);
      await page.keyboard.press('Enter');
      await page.waitForTimeout(200);
    };
    /** One keystroke (or Backspace) and the time until each condition is painted. */
    const keystroke = async (key, conditions) => {
      await arm('keydown');
      for (const [id, name, arg] of conditions) await watch(id, name, arg);
      await page.keyboard.press(key);
      const out = {};
      for (const [id] of conditions) out[id] = await result(id);
      out.t0 = await page.evaluate(() => window.__lat.t0);
      await page.waitForTimeout(400);
      await page.keyboard.press('Escape'); // a suggestion list or parameter hint, if one opened
      await page.waitForTimeout(300);
      return out;
    };
    /**
     * Polls the webview frames for the first time `what` appeared: the time the frame's init
     * script recorded, or, in a frame the init script did not reach (a document written into
     * an existing frame), the time of the poll that first saw it (at most one poll late).
     */
    const webviewSeen = async (what, timeoutMs, after = 0) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        for (const f of page.frames()) {
          if (f === page.mainFrame()) continue;
          const t = await f
            .evaluate((w) => {
              const seen = window.__latSeen?.[w];
              if (seen) return seen;
              const b = document.body;
              if (!b) return 0;
              const found =
                w === 'graph'
                  ? !!document.querySelector('g.node')
                  : w === 'loss'
                    ? /loss \d/.test((b.textContent ?? '').replace(/\u00a0/g, ' '))
                    : !!document.querySelector('.markdown-body p, body.vscode-body p');
              return found ? performance.timeOrigin + performance.now() : 0;
            }, what)
            .catch(() => 0);
          if (t > after) return t;
        }
        await page.waitForTimeout(15);
      }
      return -1;
    };
    /**
     * The graph view's frame: when it was created (its time origin), when its document was
     * loaded (ms after that), and where its layout came from (the worker, or a saved one).
     */
    const graphFrame = async () => {
      for (const f of page.frames()) {
        const info = await f
          .evaluate(() =>
            document.querySelector('g.node')
              ? {
                  origin: performance.timeOrigin,
                  ready: performance.getEntriesByType('navigation')[0]?.domInteractive ?? 0,
                  source: document.body.dataset.layoutSource ?? '',
                }
              : undefined,
          )
          .catch(() => undefined);
        if (info) return info;
      }
      return undefined;
    };
    const t0 = () => page.evaluate(() => window.__lat.t0);
    const shot = async (name) => {
      mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: path.join(REPO_ROOT, 'test-results', name) }).catch(() => {});
      say(`screenshot test-results/${name}`);
    };
    /**
     * A new window on `folder` with the extension of `root`: a new extension host (the DLM and
     * TypeScript servers start again). The old host would linger for code-server's reconnection
     * grace time, so it is ended by its pid. A folder the workbench has not seen restores no
     * editors (a reload of the same folder may reopen the last ones, which activates DLM before
     * the measured open).
     */
    const openWindow = async (root, folder) => {
      const old = extensionHosts(server.pid);
      await page.goto(workbenchUrl(root, folder), { timeout: 120_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor();
      for (const pid of old) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      await page.waitForTimeout(3000);
      await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 300 } });
    };
    let coldFolders = 0;
    /** A fresh copy of the workspace's files, for one cold open. */
    const freshFolder = () => {
      const dir = path.join(tmp, `cold-${++coldFolders}`);
      cpSync(workspace, dir, { recursive: true });
      return dir;
    };

    // ------------------------------------------------------------------ cold open
    // With --baseline DIR (a built checkout of another revision), each repetition also opens
    // the .dlm with the extension loaded from DIR: an A/B in the same run and the same window.
    // The order alternates from one repetition to the next (an A/B must not favour either side).
    const coldCasesOf = (rep) => {
      const ab = [
        ['dlm', LANGS.dlm, REPO_ROOT],
        ...(BASELINE ? [['baseline', LANGS.dlm, BASELINE]] : []),
      ];
      if (rep % 2 === 1) ab.reverse();
      return [
        ...ab,
        ['floor', LANGS.floor, REPO_ROOT],
        ...(ONLY.has('cold-no-ts') ? [] : [['ts', LANGS.ts, REPO_ROOT]]),
      ];
    };
    if (ONLY.has('cold') || ONLY.has('cold-no-ts')) {
      say(
        `cold open ×${REPS} per language (a new window on a fresh copy of the folder before each)`,
      );
      for (let rep = 0; rep < REPS; rep++) {
        for (const [lang, l, root] of coldCasesOf(rep)) {
          await openWindow(root, freshFolder());
          await arm('dblclick');
          await watch('hint', 'hint', { has: l.firstHint }, 180_000);
          if (l.lens) await watch('lens', 'lens', l.lens, 180_000);
          await openFromExplorer(l.file);
          const hint = await result('hint');
          if (hint < 0) await shot(`latency-timeout-${lang}.png`);
          // Cold means activated by this open: the trace must show the activation (DLM, floor).
          const start = await page.evaluate(() => window.__lat.t0);
          const activation = { dlm: 'ext.activate', floor: 'floor.activate' }[lang];
          if (
            activation &&
            hint >= 0 &&
            !(activation in traceSteps(traceFile, start, start + hint))
          ) {
            say(
              `  rep ${rep + 1} ${lang}: not cold (the extension was already active), not counted`,
            );
            continue;
          }
          record(`cold open → first inlay hint|${lang}`, hint);
          if (activation)
            recordSteps(
              `cold open → first inlay hint${lang === 'floor' ? ' (floor)' : ''}`,
              hint,
              start,
            );
          if (l.lens) record(`cold open → first code lens|${lang}`, await result('lens'));
          say(`  rep ${rep + 1} ${lang}: hint ${hint.toFixed(0)} ms`);
        }
      }
      await openWindow(REPO_ROOT, workspace);
    }

    // ------------------------------------------------------------------ keystrokes
    if (ONLY.has('squiggle') || ONLY.has('hint')) {
      for (const [lang, l] of Object.entries(LANGS)) {
        await closeAll();
        await openFromExplorer(l.file);
        await watch('ready', 'hint', { has: l.firstHint }, 240_000);
        if ((await result('ready')) < 0) throw new Error(`${l.file}: no inlay hint in 240 s`);
        await page.waitForTimeout(2000);
        await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
        say(`keystrokes in ${l.file} ×${REPS}`);
        for (let rep = 0; rep < REPS; rep++) {
          if (ONLY.has('squiggle')) {
            await goTo(l.errorAt);
            const on = await keystroke(l.errorKey, [
              ['sq', 'squiggle', true],
              ['pr', 'problems', 1],
            ]);
            const off = await keystroke('Backspace', [
              ['sq', 'squiggle', false],
              ['pr', 'problems', 0],
            ]);
            say(
              `  rep ${rep + 1} squiggle ${on.sq.toFixed(0)}/${off.sq.toFixed(0)} ms, Problems ${on.pr.toFixed(0)}/${off.pr.toFixed(0)} ms`,
            );
            if ([on.sq, on.pr, off.sq, off.pr].some((x) => x < 0))
              await shot(`latency-keystroke-${lang}.png`);
            record(`keystroke → squiggle|${lang}`, on.sq);
            if (lang !== 'ts')
              recordSteps(
                `keystroke → squiggle${lang === 'floor' ? ' (floor)' : ''}`,
                on.sq,
                on.t0,
              );
            record(`keystroke → Problems count|${lang}`, on.pr);
            record(`keystroke → squiggle cleared|${lang}`, off.sq);
            record(`keystroke → Problems count cleared|${lang}`, off.pr);
          }
          if (ONLY.has('hint')) {
            await goTo(l.hintAt);
            const on = await keystroke(l.hintKey, [
              ['h', 'hint', { has: l.hintAfter, not: l.hintBefore }],
            ]);
            const off = await keystroke('Backspace', [
              ['h', 'hint', { has: l.hintBefore, not: l.hintAfter }],
            ]);
            say(`  rep ${rep + 1} hint ${on.h.toFixed(0)}/${off.h.toFixed(0)} ms`);
            if (on.h < 0 || off.h < 0) await shot(`latency-hint-${lang}.png`);
            record(`keystroke → updated inlay hint|${lang}`, on.h);
            if (lang !== 'ts')
              recordSteps(
                `keystroke → updated inlay hint${lang === 'floor' ? ' (floor)' : ''}`,
                on.h,
                on.t0,
              );
            record(`keystroke → updated inlay hint|${lang}`, off.h);
          }
        }
        // leave the file as it was (no save prompt)
        await command('File: Revert File');
        await page.waitForTimeout(500);
      }
    }

    // ------------------------------------------------------------------ graph and preview
    if (ONLY.has('graph')) {
      say(`Show Graph and Markdown preview ×${REPS}, each opened again after its panel was closed`);
      const cases = [
        ['dlm', 'graph-N.dlm', 'DLM: Show Model Graph', 'graph'],
        ['markdown', 'README.md', 'Markdown: Open Preview', 'markdown'],
      ];
      const sources = { first: [], again: [] };
      for (let rep = 0; rep < REPS; rep++) {
        for (const [lang, name, title, what] of cases) {
          const file = name.replace('N', String(rep + 1));
          for (const again of [false, true]) {
            await openAlone(file);
            await page.waitForTimeout(1000);
            await palette(title);
            await arm('keydown');
            await page.keyboard.press('Enter');
            const seen = await webviewSeen(what, 30_000);
            const start = await t0();
            const ms = seen < 0 ? -1 : seen - start;
            // DLM: the first graph node; the peer: the preview's first paragraph
            record(
              again
                ? `command → webview opened again (Graph, Preview)|${lang}`
                : `command → first webview paint (Graph, Preview)|${lang}`,
              ms,
            );
            const info = lang === 'dlm' ? await graphFrame() : undefined;
            if (info) sources[again ? 'again' : 'first'].push(info.source);
            say(
              `  rep ${rep + 1} ${lang}${again ? ' again' : ''}: ${ms.toFixed(0)} ms${info ? ` (layout: ${info.source})` : ''}`,
            );
            // the view offers its layout to the host a second after drawing it
            if (!again) await page.waitForTimeout(1500);
          }
        }
      }
      say(
        `  the graph's layout came from: first views ${sources.first.join(', ')}; opened again ${sources.again.join(', ')} ` +
          `(saved: the layout the host kept from the view before, decision 0031)`,
      );
    }

    // ------------------------------------------------------- graph and preview shown again
    if (ONLY.has('reshow')) {
      say(`Graph and Markdown preview hidden, then shown again by a tab click ×${REPS}`);
      const cases = [
        ['dlm', 'graph.dlm', 'DLM: Show Model Graph', 'graph', 'Graph: .*'],
        [
          'markdown',
          'README.md',
          'Markdown: Open Preview to the Side',
          'markdown',
          '\\[Preview\\] README.md',
        ],
      ];
      const sources = [];
      const parts = [];
      // a tab whose title matches `name` (the preview's tab, "[Preview] README.md", contains its
      // source's title)
      const tabOf = (name) =>
        page
          .locator('.tabs-container .tab')
          .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) })
          .first();
      for (let rep = 0; rep < REPS; rep++) {
        for (const [lang, file, title, what, viewTab] of cases) {
          await openAlone(file);
          await command(title);
          if ((await webviewSeen(what, 30_000)) < 0) throw new Error(`${title}: nothing shown`);
          // The view and its source as two tabs of one group; the source's tab hides the view.
          await command('View: Join All Editor Groups');
          await page.waitForTimeout(1000);
          await tabOf(viewTab).click();
          await page.waitForTimeout(1500); // the view saves its state 200 ms after a change
          await tabOf(file).click();
          await page.waitForTimeout(1000);
          await arm('mousedown');
          await tabOf(viewTab).click();
          const start = await t0();
          const seen = await webviewSeen(what, 30_000, start);
          const ms = seen < 0 ? -1 : seen - start;
          record(`tab click → view shown again (Graph, Preview)|${lang}`, ms);
          // Where the graph's time went: the view's frame created, its document loaded (both the
          // workbench's), then the graph drawn; and whether the layout came from the view's state.
          const info = lang === 'dlm' ? await graphFrame() : undefined;
          let where = '';
          if (info) {
            const created = info.origin - start;
            parts.push([created, created + info.ready]);
            sources.push(info.source);
            where = ` (frame created +${created.toFixed(0)}, its document loaded +${(created + info.ready).toFixed(0)}; layout: ${info.source})`;
          }
          say(`  rep ${rep + 1} ${lang}: ${ms.toFixed(0)} ms${where}`);
          if (rep === REPS - 1) await shot(`vscode-reshow-${lang}.png`);
          // focus back in the workbench (keys typed into a webview may not reach it)
          await tabOf(file).click();
        }
      }
      const med = (xs) => stats(xs).median ?? NaN;
      say(
        `  the graph shown again (medians, ms after the click): its frame created ${med(parts.map((p) => p[0])).toFixed(0)}, ` +
          `its document loaded ${med(parts.map((p) => p[1])).toFixed(0)} (both the workbench's); the layout came from ${sources.join(', ')} ` +
          `(saved: the view's state, decision 0031).`,
      );
    }

    // ------------------------------------------------------------------ training
    if (ONLY.has('train')) {
      say(`Train → first loss point ×${REPS}`);
      for (let rep = 0; rep < REPS; rep++) {
        await openAlone('spiral.dlm');
        await page.waitForTimeout(1000);
        await palette('DLM: Train Model');
        await arm('keydown');
        await page.keyboard.press('Enter');
        const seen = await webviewSeen('loss', 60_000);
        const start = await t0();
        const ms = seen < 0 ? -1 : seen - start;
        record('Train Model → first loss point|dlm', ms);
        say(`  rep ${rep + 1}: ${ms.toFixed(0)} ms`);
        await command('DLM: Stop Training').catch(() => undefined);
        await page.waitForTimeout(2000);
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    if (args.includes('--keep')) say(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ report
  const load1 = uptime();
  const figures = new Map();
  for (const [key, xs] of Object.entries(results)) {
    const [what, lang] = key.split('|');
    const ok = xs.filter((x) => x >= 0);
    const row = figures.get(what) ?? {};
    row[lang] = { ...stats(ok.length ? ok : [NaN]), timeouts: xs.length - ok.length };
    figures.set(what, row);
  }
  const f = (x) => (Number.isFinite(x) ? x.toFixed(0) : '—').padStart(6);
  console.log(
    `\n${'figure (ms)'.padEnd(44)} ${'DLM med'.padStart(7)} ${'p90'.padStart(6)}   ${'peer'.padEnd(8)} ${'med'.padStart(6)} ${'p90'.padStart(6)}   DLM/peer (median)`,
  );
  for (const [what, row] of figures) {
    const d = row.dlm;
    const peers = Object.entries(row).filter(([k]) => k !== 'dlm');
    if (!peers.length) peers.push(['—', undefined]);
    for (const [i, [peerName, p]] of peers.entries()) {
      const ratio = d && p ? (d.median / p.median).toFixed(2) : '—';
      const head = i === 0 ? `${what.padEnd(44)} ${f(d?.median)} ${f(d?.p90)}` : ''.padEnd(58);
      console.log(
        `${head}   ${peerName.padEnd(8)} ${f(p?.median)} ${f(p?.p90)}   ${ratio}` +
          (d?.timeouts || p?.timeouts
            ? `   (timeouts: ${d?.timeouts ?? 0}/${p?.timeouts ?? 0})`
            : ''),
      );
    }
  }
  // Where DLM's time went: each step of the trace, ms after the user's action (median, p90).
  const STEP_NAMES = {
    'ext.activate': 'extension: activate() called (bundle loaded)',
    'ext.activated': 'extension: activate() returned',
    'server.process': 'server: process started',
    'server.boot': 'server: boot script running',
    'server.loaded': 'server: bundle loaded',
    'server.initialize': 'server: initialize',
    'ext.ready': 'client ready',
    'client.didOpen': 'client: didOpen sent',
    'server.didOpen': 'server: didOpen received',
    'client.didChange': 'client: didChange sent',
    'server.didChange': 'server: didChange received',
    'server.checkRun': 'server: check started',
    'server.checkRun.done': 'server: check done',
    'server.check': 'server: diagnostics computed from the check',
    'server.publish': 'server: diagnostics published',
    'client.diagnostics': 'client: diagnostics received',
    'client.inlayHints': 'client: inlay hints requested',
    'server.inlayHints': 'server: inlay hints request received',
    'server.inlayHints.done': 'server: inlay hints answered',
    'client.inlayHints.done': 'client: inlay hints received',
    'client.codeLenses': 'client: code lenses requested',
    'client.codeLenses.done': 'client: code lenses received',
    'server.gc': 'server: a GC pause began',
    painted: 'painted (what the user sees)',
    'floor.activate': 'floor: activated',
    'floor.inlayHints': 'floor: inlay hints requested',
    'floor.diagnostics': 'floor: diagnostics set',
  };
  for (const [action, reps] of Object.entries(breakdown)) {
    console.log(`\nwhere the time goes: ${action} (ms after the user's action)`);
    const events = [...new Set(reps.flatMap((r) => Object.keys(r)))];
    const rows = events
      .map((e) => [e, stats(reps.filter((r) => e in r).map((r) => r[e]))])
      .sort((a, b) => a[1].median - b[1].median);
    for (const [e, st] of rows)
      console.log(
        `  ${(STEP_NAMES[e] ?? e).padEnd(40)} ${f(st.median)} ${f(st.p90)}` +
          (st.n < reps.length ? `   (in ${st.n} of ${reps.length})` : ''),
      );
  }

  // Targets (issue 17): each met, or the measured figure beside the floor, an extension that
  // answers from memory at once in the same workbench and the same run: what no extension can
  // go below on this machine.
  const TARGETS = [
    ['cold open → first inlay hint', 500],
    ['keystroke → squiggle', 50],
    ['keystroke → Problems count', 50],
    ['keystroke → updated inlay hint', 50],
  ];
  console.log('\ntargets (median, real VS Code in code-server + Chromium):');
  for (const [what, target] of TARGETS) {
    const row = figures.get(what);
    if (!row?.dlm) continue;
    const d = row.dlm.median;
    const floor = row.floor?.median;
    let verdict = `met (${d.toFixed(0)} ms)`;
    if (d > target) {
      verdict = `NOT met: ${d.toFixed(0)} ms`;
      if (Number.isFinite(floor))
        verdict +=
          `; the floor extension (no work at all) took ${floor.toFixed(0)} ms, so ` +
          (floor > target
            ? `the workbench alone exceeds the target on this machine; DLM adds ${(d - floor).toFixed(0)} ms`
            : `the floor fits the target and DLM's own share is ${(d - floor).toFixed(0)} ms`);
      // A keystroke's diagnostics need the server's round trip: the change sent, the edited
      // model checked, the diagnostics back in the client (the squiggle's trace, per repetition).
      const trips = between('keystroke → squiggle', 'client.didChange', 'client.diagnostics');
      if (what.startsWith('keystroke') && floor <= target && trips.length) {
        const trip = stats(trips).median;
        verdict +=
          `; the server's part (didChange sent → diagnostics back in the client) took ${trip.toFixed(0)} ms, ` +
          `so floor + that part = ${(floor + trip).toFixed(0)} ms` +
          (floor + trip > target ? ': not reachable with a checking server on this machine' : '');
      }
      // A cold open also starts the server's process: its Node's own start (the process's
      // timeOrigin → its first line) is a cost no language server in a process can avoid.
      const starts = between(what, 'server.process', 'server.boot');
      if (starts.length && Number.isFinite(floor)) {
        const node = stats(starts).median;
        verdict +=
          `; the server's Node alone took ${node.toFixed(0)} ms from its process start to its ` +
          `first line, so floor + that start = ${(floor + node).toFixed(0)} ms` +
          (floor + node > target
            ? ': not reachable with a language server in its own process on this machine'
            : '');
      }
    }
    console.log(`  ${what} ≤ ${target} ms: ${verdict}`);
  }
  console.log(
    `\nrepetitions: ${REPS}; peers: floor = an extension that answers at once (bench/floor-extension), ts = built-in TypeScript features, markdown = built-in preview` +
      (BASELINE ? `, baseline = the extension built in ${BASELINE}` : ''),
  );
  console.log(`uptime before: ${load0}\nuptime after:  ${load1}`);
  const json = argValue('--json');
  if (json)
    writeFileSync(
      json,
      JSON.stringify(
        { reps: REPS, load: [load0, load1], figures: Object.fromEntries(figures) },
        null,
        2,
      ),
    );
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(`[vscode-latency] ERROR: ${err?.stack ?? err}`);
  process.exit(1);
}
