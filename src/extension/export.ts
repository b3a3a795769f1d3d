/**
 * "DLM: Export ONNX" — writes the inference graph (one node per layer) with the weights of the
 * model's latest run, or freshly initialized weights when it has not been trained (after asking).
 * Arguments (all optional): the .dlm uri, the model name, a run folder, an output path (which
 * skips the save dialog and the untrained-weights question, for automation), and the button of
 * the final notification to act on instead of showing it. The save dialog starts at
 * `<workspace>/<Model>.onnx`; the final notification offers Reveal in Explorer.
 *
 * The export runs `dlm export` (dist/cli.js) in a child process: compiling and loading weights
 * uses onnxruntime-node, which never loads into the editor's extension host.
 */
import { REVEAL } from './notify';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { latestRun } from '../engine/export';

function runCli(
  cli: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = fork(cli, args, { cwd, silent: true });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    child.on('error', (e) => resolve({ code: 1, stderr: stderr + e.message }));
    child.on('exit', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

async function pickModel(
  uri: vscode.Uri,
  given: string | undefined,
  what: string,
): Promise<string | undefined> {
  if (given) return given;
  const text = (await vscode.workspace.openTextDocument(uri)).getText();
  const names = [...text.matchAll(/^\s*model\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
  const trained = [...text.matchAll(/^\s*train\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]!);
  // Models with a train section first (their data fixes the input shape); without any, every
  // model (the CLI exports one whose signature gives every input dim but the batch).
  const withTrain = names.filter((n) => trained.includes(n));
  const candidates = withTrain.length ? withTrain : names;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    void vscode.window.showErrorMessage(`DLM: ${what}: this file has no model.`);
    return undefined;
  }
  return vscode.window.showQuickPick(candidates, { placeHolder: 'Model to export' });
}

/** The second button of the notification after a PyTorch export (the first is REVEAL). */
export const OPEN_MODEL = 'Open model.py';

/** The arguments both export commands take (all optional, for automation). */
type ExportArgs = [
  uriArg?: vscode.Uri | string,
  modelArg?: string,
  runArg?: string,
  outArg?: string,
  choiceArg?: string,
];

/** What differs between the export formats; the rest of a command is {@link exportModel}. */
interface ExportFormat {
  /** `dlm export`'s flag. */
  readonly flag: '--pytorch' | '--onnx';
  /** For the progress title: `exporting Net to ${label}…`. */
  readonly label: string;
  /** The command's name in the "no model" error. */
  readonly command: string;
  /** Asked before the save dialog when no output was given; false cancels. */
  readonly confirm?: (model: string, run: string | undefined) => Promise<boolean>;
  readonly dialog: (root: string, model: string) => vscode.SaveDialogOptions;
  /** stderr lines left out of the failure message. */
  readonly quiet: (line: string) => boolean;
}

interface ExportDone {
  readonly model: string;
  readonly run: string | undefined;
  readonly target: vscode.Uri;
  readonly stderr: string;
}

/**
 * One export: the .dlm (argument or active editor), the model (argument or pick), the run
 * (argument or the latest), the output (argument or save dialog), then `dlm export` in a child
 * process under a progress notification. Undefined when cancelled or failed (after saying why).
 */
async function exportModel(
  cli: string,
  f: ExportFormat,
  [uriArg, modelArg, runArg, outArg]: ExportArgs,
): Promise<ExportDone | undefined> {
  const uri =
    typeof uriArg === 'string'
      ? vscode.Uri.parse(uriArg)
      : (uriArg ?? vscode.window.activeTextEditor?.document.uri);
  if (!uri || uri.scheme !== 'file' || !uri.fsPath.endsWith('.dlm')) {
    void vscode.window.showErrorMessage('DLM: open a .dlm file to export one of its models.');
    return undefined;
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const root = folder?.uri.fsPath ?? path.dirname(uri.fsPath);
  const model = await pickModel(uri, modelArg, f.command);
  if (!model) return undefined;
  const run = runArg ?? latestRun(root, model);
  if (!outArg && f.confirm && !(await f.confirm(model, run))) return undefined;
  const target = outArg
    ? vscode.Uri.file(outArg)
    : await vscode.window.showSaveDialog(f.dialog(root, model));
  if (!target) return undefined;
  const args = ['export', uri.fsPath, f.flag, target.fsPath, '--model', model, '--root', root];
  if (run) args.push('--weights', run);
  const r = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `DLM: exporting ${model} to ${f.label}…`,
    },
    () => runCli(cli, args, root),
  );
  if (r.code !== 0) {
    const msg =
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !f.quiet(l))
        .join(' ') || `exit code ${r.code}`;
    void vscode.window.showErrorMessage(`DLM: cannot export ${model}: ${msg}`);
    return undefined;
  }
  return { model, run, target, stderr: r.stderr };
}

const PYTORCH: ExportFormat = {
  flag: '--pytorch',
  label: 'PyTorch',
  command: 'Export PyTorch Project',
  dialog: (root, model) => ({
    defaultUri: vscode.Uri.file(path.join(root, `${model}-pytorch`)),
    saveLabel: 'Export here',
    title: `Folder for the PyTorch project of ${model}`,
  }),
  quiet: (l) => l.startsWith('note:') || l.startsWith('warning:'),
};

const ONNX: ExportFormat = {
  flag: '--onnx',
  label: 'ONNX',
  command: 'Export ONNX',
  confirm: async (model, run) =>
    run !== undefined ||
    (await vscode.window.showWarningMessage(
      `${model} has no trained run in .dlm/runs. Export it with freshly initialized (untrained) weights?`,
      { modal: true },
      'Export untrained',
    )) === 'Export untrained',
  dialog: (root, model) => ({
    // a visible place in the workspace, not the hidden .dlm/runs folder (the export with a
    // run's weights also copies the model there as model.onnx)
    defaultUri: vscode.Uri.file(path.join(root, `${model}.onnx`)),
    filters: { ONNX: ['onnx'] },
  }),
  quiet: (l) => l.startsWith('warning:'),
};

export function registerExport(context: vscode.ExtensionContext): void {
  const cli = context.asAbsolutePath(path.join('dist', 'cli.js'));
  context.subscriptions.push(
    /**
     * "DLM: Export PyTorch Project": `dlm export --pytorch` into a folder (model.py,
     * weights.safetensors of the latest run or the initial weights, train.py, data, README.md),
     * then offers to reveal it. Arguments (optional, for automation): the .dlm uri, the model,
     * a run folder, the output folder, and the button to act on instead of showing the offer.
     * Returns the folder and the button chosen.
     */
    vscode.commands.registerCommand('dlm.exportPytorch', async (...a: ExportArgs) => {
      const done = await exportModel(cli, PYTORCH, a);
      if (!done) return undefined;
      const { model, run, target } = done;
      const notes = done.stderr
        .split('\n')
        .filter((l) => l.startsWith('note: train.py'))
        .map((l) => ' ' + l.slice(6));
      const text = `DLM: exported ${model} to ${vscode.workspace.asRelativePath(target)} (${run ? 'trained weights' : 'initial weights'}).${notes.join('')}`;
      const choice = a[4] ?? (await vscode.window.showInformationMessage(text, REVEAL, OPEN_MODEL));
      if (choice === REVEAL) await vscode.commands.executeCommand('revealInExplorer', target);
      else if (choice === OPEN_MODEL)
        await vscode.window.showTextDocument(vscode.Uri.joinPath(target, 'model.py'));
      return { dir: target.fsPath, choice };
    }),
    vscode.commands.registerCommand('dlm.exportOnnx', async (...a: ExportArgs) => {
      const done = await exportModel(cli, ONNX, a);
      if (!done) return undefined;
      const { model, run, target } = done;
      const text = `DLM: exported ${model} to ${vscode.workspace.asRelativePath(target)} (${run ? 'trained weights' : 'untrained weights'}).`;
      // automation (tests, the training notification) may name the button instead of waiting
      const reveal = (choice: string | undefined) =>
        choice === REVEAL
          ? vscode.commands.executeCommand('revealInExplorer', target)
          : Promise.resolve();
      const choiceArg = a[4];
      if (choiceArg !== undefined) await reveal(choiceArg);
      else void vscode.window.showInformationMessage(text, REVEAL).then(reveal);
      return target.fsPath;
    }),
  );
}
