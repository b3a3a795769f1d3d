// Entry point of the integration suite, loaded by VS Code as `extensionTestsPath`
// (bundled by esbuild to dist/test/integration/index.js). Runs inside the real extension host.
//
// Results are streamed as JSON Lines to the file named by DLM_TEST_RESULTS (set by
// scripts/run-vscode-tests.mjs on the code-server process and inherited by the extension host);
// without it, to `.dlm-test-results.jsonl` in the first workspace folder. One object per line:
//   {"type":"start","total":N}
//   {"type":"pass"|"fail"|"pending","title","fullTitle","file","duration","error"?}
//   {"type":"end","passed":N,"failed":N,"pending":N,"duration":ms}
//
// run() resolves only after the whole suite has finished: when it settles, VS Code ends the
// extension host and all its children. It rejects when any test failed, so runners that only
// look at the exit code (@vscode/test-electron) see the failure too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as mochaModule from 'mocha';

type MochaCtor = typeof import('mocha');
const Mocha: MochaCtor =
  (mochaModule as unknown as { default?: MochaCtor }).default ??
  (mochaModule as unknown as MochaCtor);

interface ResultEvent {
  type: 'start' | 'pass' | 'fail' | 'pending' | 'end';
  [key: string]: unknown;
}

function resultsPath(): string {
  const fromEnv = process.env['DLM_TEST_RESULTS'];
  if (fromEnv) return fromEnv;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const base = folder ? folder.uri.fsPath : process.cwd();
  return path.join(base, '.dlm-test-results.jsonl');
}

export async function run(): Promise<void> {
  const file = resultsPath();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const emit = (event: ResultEvent): void => {
    fs.appendFileSync(file, JSON.stringify(event) + '\n');
  };

  // DLM_TEST_GREP (inherited from the environment of scripts/run-vscode-tests.mjs): run only the
  // tests whose full title matches, e.g. DLM_TEST_GREP='export PyTorch'.
  const grep = process.env['DLM_TEST_GREP'];
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: 30_000,
    reporter: 'spec',
    ...(grep ? { grep } : {}),
  });
  // Test files are bundled (not loaded from disk), so expose the tdd globals before importing them.
  mocha.suite.emit('pre-require', globalThis, 'suites', mocha);
  try {
    // DLM_TEST_SUITE=untrusted: the workbench runs in Restricted Mode (scripts/run-vscode-tests.mjs).
    if (process.env['DLM_TEST_SUITE'] === 'untrusted') await import('./untrusted.test');
    else await import('./suites');
  } catch (err) {
    emit({ type: 'start', total: 0 });
    emit({
      type: 'fail',
      title: 'load test suites',
      fullTitle: 'load test suites',
      duration: 0,
      error: describe(err),
    });
    emit({ type: 'end', passed: 0, failed: 1, pending: 0, duration: 0 });
    throw err;
  }

  const started = Date.now();
  let passed = 0;
  let failed = 0;
  let pending = 0;
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('start', () => emit({ type: 'start', total: runner.total }));
    runner.on('pass', (t) => {
      passed++;
      emit({ type: 'pass', title: t.title, fullTitle: t.fullTitle(), duration: t.duration ?? 0 });
    });
    runner.on('fail', (t, err) => {
      failed++;
      emit({
        type: 'fail',
        title: t.title,
        fullTitle: t.fullTitle(),
        duration: t.duration ?? 0,
        error: describe(err),
      });
    });
    runner.on('pending', (t) => {
      pending++;
      emit({ type: 'pending', title: t.title, fullTitle: t.fullTitle(), duration: 0 });
    });
  });
  emit({ type: 'end', passed, failed, pending, duration: Date.now() - started });
  if (failed > 0) throw new Error(`${failed} integration test(s) failed`);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
