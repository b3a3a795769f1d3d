/**
 * VS Code conventions in real VS Code: the bundled `dlm` command on the integrated terminal's
 * PATH, the `dlm` task type with the `$dlm` problem matcher, and the settings and capabilities
 * the manifest declares.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, activate, codeOf, fileUri, poll, workspaceRoot } from './helpers';

/** A model with a shape error on line 2 (Conv2d after a rank-2 tensor): DLM101 at 2:20. */
const BROKEN = 'model M(x: [B, 4]) -> [B, 2] {\n  x |> Dense(3) |> Conv2d(4, 3)\n}\n';

suite('conventions', () => {
  test('the integrated terminal runs the bundled dlm command', async function () {
    this.timeout(60_000);
    await activate();
    const root = workspaceRoot();
    writeFileSync(path.join(root, 'term_broken.dlm'), BROKEN);
    const out = path.join(root, 'term-out.txt');
    rmSync(out, { force: true });
    const term = vscode.window.createTerminal({
      name: 'dlm test',
      shellPath: '/bin/sh',
      shellArgs: [
        '-c',
        `{ command -v dlm; dlm --version; dlm check term_broken.dlm; echo "exit=$?"; } > "${out}" 2>&1`,
      ],
      cwd: root,
    });
    try {
      const text = await poll(
        () => (existsSync(out) ? readFileSync(out, 'utf8') : ''),
        (t) => /exit=\d+/.test(t),
        'the terminal command to finish',
        { timeoutMs: 45_000, intervalMs: 200 },
      );
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const lines = text.split('\n');
      assert.equal(lines[0], path.join(ext.extensionPath, 'bin', 'dlm'), 'dlm is the bundled one');
      assert.match(lines[1]!, /^(dlm )?0\.1\.0/);
      assert.match(text, /^term_broken\.dlm:2:20: error DLM101 Conv2d expects/m);
      assert.match(text, /exit=1/);
    } finally {
      term.dispose();
    }
  });

  test('a dlm task runs `dlm check`; the $dlm problem matcher puts its problems in Problems', async function () {
    this.timeout(90_000);
    await activate();
    const root = workspaceRoot();
    writeFileSync(path.join(root, 'task_broken.dlm'), BROKEN);
    mkdirSync(path.join(root, '.vscode'), { recursive: true });
    const label = 'dlm: check task_broken';
    writeFileSync(
      path.join(root, '.vscode', 'tasks.json'),
      JSON.stringify(
        {
          version: '2.0.0',
          tasks: [
            {
              type: 'dlm',
              command: 'check',
              files: ['task_broken.dlm'],
              label,
              problemMatcher: '$dlm',
            },
          ],
        },
        null,
        2,
      ),
    );
    // the task from tasks.json, resolved by the extension's task provider
    const task = (
      await poll(
        () => vscode.tasks.fetchTasks({ type: 'dlm' }),
        (ts) => ts.some((t) => t.name === label && t.execution !== undefined),
        'the tasks.json task',
        { timeoutMs: 30_000, intervalMs: 250, describe: (ts) => ts.map((t) => t.name).join(', ') },
      )
    ).find((t) => t.name === label)!;
    assert.ok(
      (await vscode.tasks.fetchTasks({ type: 'dlm' })).some((t) => t.name === 'check current file'),
      'the provider offers "check current file"',
    );
    const uri = fileUri('task_broken.dlm');
    assert.ok(
      !vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()),
      'the file is not open: its problems can only come from the task',
    );
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name !== label) return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.tasks.executeTask(task);
    assert.equal(await ended, 1, 'dlm check exits 1 on an error');
    const diags = await poll(
      () => vscode.languages.getDiagnostics(uri),
      (d) => d.some((x) => x.source === 'dlm check'),
      'the problem matcher',
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const d = diags.find((x) => x.source === 'dlm check')!;
    assert.equal(codeOf(d), 'DLM101');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.range.start.line, 1);
    assert.equal(d.range.start.character, 19);
    assert.match(d.message, /^Conv2d expects \[N, C, H, W\]/);
    // only the headline is a problem, not the related locations indented beneath it
    assert.equal(diags.filter((x) => x.source === 'dlm check').length, 1);
    rmSync(path.join(root, '.vscode', 'tasks.json'), { force: true });
  });

  test('the Get Started walkthrough: six steps, each with a screenshot and working command links', async () => {
    await activate();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const pkg = ext.packageJSON as {
      contributes: {
        walkthroughs: {
          id: string;
          steps: {
            id: string;
            title: string;
            description: string;
            media: { image: string; altText: string };
            completionEvents?: string[];
          }[];
        }[];
      };
    };
    const [w] = pkg.contributes.walkthroughs;
    assert.equal(w?.id, 'gettingStarted');
    assert.deepEqual(
      w.steps.map((s) => s.title),
      [
        'Open an example',
        'Hover a layer',
        'Fix a shape error',
        'Show the graph',
        'Train',
        'Export',
      ],
    );
    const commands = new Set(await vscode.commands.getCommands(false));
    for (const s of w.steps) {
      const file = path.join(ext.extensionPath, s.media.image);
      assert.ok(existsSync(file), `${s.id}: ${s.media.image} is in the extension`);
      const bytes = readFileSync(file);
      assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', `${s.id}: a PNG`);
      assert.ok(bytes.length < 200_000, `${s.id}: a small image (${bytes.length} bytes)`);
      assert.ok(s.media.altText.length > 20, `${s.id}: alt text`);
      const links = [...s.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
      assert.ok(links.length > 0, `${s.id}: a command link`);
      const events = (s.completionEvents ?? []).map((e) => e.replace(/^onCommand:/, ''));
      for (const id of [...links, ...events])
        assert.ok(commands.has(id), `${s.id}: command ${id} exists`);
    }
  });

  test('settings and capabilities: dlm.trace.server, machine-scoped threads, virtual workspaces on the web only', async () => {
    await activate();
    const trace = vscode.workspace.getConfiguration('dlm').inspect<string>('trace.server');
    assert.equal(trace?.defaultValue, 'off', 'VS Code knows dlm.trace.server');
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { configuration: { properties: Record<string, { scope?: string }> } };
      capabilities: { virtualWorkspaces: { supported: boolean | string; description: string } };
      browser?: string;
      homepage?: string;
      bugs?: { url?: string };
      galleryBanner?: { color?: string };
    };
    assert.equal(
      pkg.contributes.configuration.properties['dlm.trainer.threads']?.scope,
      'machine-overridable',
    );
    // the desktop client handles `file` and `untitled` documents only; the web extension
    // (browser entry, decision 0020) checks open documents of any scheme
    assert.equal(pkg.capabilities.virtualWorkspaces.supported, 'limited');
    assert.match(pkg.capabilities.virtualWorkspaces.description, /desktop VS Code/);
    assert.equal(pkg.browser, './dist/web/extension.js');
    assert.ok(pkg.homepage && pkg.bugs?.url && pkg.galleryBanner?.color, 'Marketplace fields');
  });
});
