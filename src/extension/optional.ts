/**
 * Modules other parts of the product add later (graph view, trainer, ONNX export). They are
 * bundled when their file exists at build time; until then the commands explain themselves.
 */
import type * as vscode from 'vscode';
import type { GraphViewDeps } from './graphPanel';
import type { TrainingDeps } from './training';

type GraphModule = {
  registerGraphView?: (context: vscode.ExtensionContext, deps: GraphViewDeps) => unknown;
};
type TrainingModule = {
  registerTraining?: (context: vscode.ExtensionContext, deps: TrainingDeps) => unknown;
};
type ExportModule = { registerExport?: (context: vscode.ExtensionContext) => unknown };

/* eslint-disable @typescript-eslint/no-require-imports */
export function loadGraphModule(): GraphModule | undefined {
  try {
    return require('./graphPanel') as GraphModule;
  } catch {
    return undefined;
  }
}

export function loadTrainingModule(): TrainingModule | undefined {
  try {
    return require('./training') as TrainingModule;
  } catch {
    return undefined;
  }
}

export function loadExportModule(): ExportModule | undefined {
  try {
    return require('./export') as ExportModule;
  } catch {
    return undefined;
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */
