/**
 * The parts of the extension that activation does not need. (The graph view is small and always
 * loaded: the ONNX viewer shares its page, and the web extension has it too.) Training and export are separate bundles
 * (dist/extension-training.js, dist/extension-export.js, built by esbuild.mjs): they bring the
 * run files, the trainer supervisor and the ONNX protobuf code, which would otherwise be parsed
 * and initialized on every cold open of a `.dlm` (docs/decisions/0021-editor-latency.md).
 * Their commands are registered at activation as stand-ins that load the bundle on first use.
 * A bundle that is absent leaves its commands to the "not available in this build" placeholders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingDeps } from './training';
import { EXPORT_BUNDLE, TRAINING_BUNDLE } from './lazyModules';

export {
  EXPORT_BUNDLE,
  EXPORT_COMMANDS,
  TRAINING_BUNDLE,
  TRAINING_COMMANDS,
  TRAINING_VIEW_TYPE,
} from './lazyModules';

type TrainingModule = {
  registerTraining?: (context: vscode.ExtensionContext, deps: TrainingDeps) => unknown;
};
type ExportModule = { registerExport?: (context: vscode.ExtensionContext) => unknown };

/* eslint-disable @typescript-eslint/no-require-imports */
/** A bundle next to dist/extension.js; a path esbuild cannot follow, so it stays separate. */
function bundlePath(file: string): string {
  return path.join(__dirname, file);
}

export function hasBundle(file: string): boolean {
  return fs.existsSync(bundlePath(file));
}

export function loadTrainingModule(): TrainingModule | undefined {
  return require(bundlePath(TRAINING_BUNDLE)) as TrainingModule;
}

export function loadExportModule(): ExportModule | undefined {
  return require(bundlePath(EXPORT_BUNDLE)) as ExportModule;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Registers `ids` with stand-ins. The first call to any of them disposes the stand-ins, runs
 * `register` (which loads the module and registers the real commands) and forwards the call.
 * Returns the loader, for callers that need the module now (a panel being restored).
 */
export function lazyCommands(
  context: vscode.ExtensionContext,
  ids: readonly string[],
  register: () => void,
): () => void {
  let loaded = false;
  const load = (): void => {
    if (loaded) return;
    loaded = true;
    for (const s of stubs) s.dispose();
    try {
      register();
    } catch (err) {
      console.error('[dlm] loading a module failed', err);
    }
  };
  const stubs = ids.map((id) =>
    vscode.commands.registerCommand(id, (...args: unknown[]) => {
      load();
      return vscode.commands.executeCommand(id, ...args);
    }),
  );
  context.subscriptions.push(...stubs);
  return load;
}

/** Whether a webview panel of this type is open (being restored after a reload). */
export function panelOpen(viewType: string): boolean {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some(
      (t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType),
    ),
  );
}
