/**
 * The bundled `dlm` command outside the editor: on the integrated terminal's PATH
 * (`environmentVariableCollection`), and as the `dlm` task type whose `check` output the `$dlm`
 * problem matcher (package.json) turns into Problems. The matcher's owner is `dlm-check`, not the
 * language client's `dlm`: VS Code replaces an owner's problems of a file as a whole, so a shared
 * owner would let the language server's next publish wipe a task's problems.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

export const TASK_TYPE = 'dlm';

/** A `dlm` task in tasks.json: `{ "type": "dlm", "command": "check", "files": ["model.dlm"] }`. */
export interface DlmTaskDefinition extends vscode.TaskDefinition {
  readonly command: 'check' | 'summary' | 'train' | 'export';
  readonly files?: readonly string[];
  readonly args?: readonly string[];
}

const isDefinition = (d: vscode.TaskDefinition): d is DlmTaskDefinition =>
  d.type === TASK_TYPE &&
  ['check', 'summary', 'train', 'export'].includes(String(d['command'])) &&
  (d['files'] === undefined ||
    (Array.isArray(d['files']) && d['files'].every((f) => typeof f === 'string'))) &&
  (d['args'] === undefined ||
    (Array.isArray(d['args']) && d['args'].every((a) => typeof a === 'string')));

export function registerCli(context: vscode.ExtensionContext): void {
  // `bin/dlm` (and `bin/dlm.cmd`) run dist/cli.js with the Node that runs VS Code's extension
  // host (`DLM_NODE`, Electron in node mode), so the terminal needs no Node of its own.
  const env = context.environmentVariableCollection;
  env.description = 'Adds the `dlm` command of DLM Studio to the terminal.';
  env.prepend('PATH', context.asAbsolutePath('bin') + path.delimiter);
  env.replace('DLM_NODE', process.execPath);

  const cli = context.asAbsolutePath(path.join('dist', 'cli.js'));
  const taskFor = (
    def: DlmTaskDefinition,
    scope: vscode.WorkspaceFolder | vscode.TaskScope,
    name: string,
  ): vscode.Task => {
    const folder = typeof scope === 'object' ? scope.uri.fsPath : undefined;
    const execution = new vscode.ProcessExecution(
      process.execPath,
      [cli, def.command, ...(def.files ?? []), ...(def.args ?? [])],
      { env: { ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' }, ...(folder ? { cwd: folder } : {}) },
    );
    const task = new vscode.Task(def, scope, name, 'dlm', execution, '$dlm');
    if (def.command === 'check') task.group = vscode.TaskGroup.Build;
    return task;
  };

  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      provideTasks: () =>
        (vscode.workspace.workspaceFolders ?? []).map((f) =>
          taskFor(
            { type: TASK_TYPE, command: 'check', files: ['${file}'] },
            f,
            'check current file',
          ),
        ),
      resolveTask: (task) => {
        const def = task.definition;
        if (!isDefinition(def)) return undefined;
        return taskFor(def, task.scope ?? vscode.TaskScope.Workspace, task.name);
      },
    }),
  );
}
