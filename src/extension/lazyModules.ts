/**
 * The modules the extension loads on first use instead of at activation (src/extension/
 * optional.ts): their bundles and the commands they register. Plain data, no `vscode`, so that
 * the unit tests can hold the lists against the modules' sources.
 */
/** Every command registerTraining registers (the stand-ins must cover them all). */
export const TRAINING_COMMANDS: readonly string[] = [
  'dlm.train',
  'dlm.stopTraining',
  'dlm.importRun',
  'dlm._trainingState',
  'dlm._trainingEnded',
  'dlm._resumeRun',
];
/** Every command registerExport registers. */
export const EXPORT_COMMANDS: readonly string[] = ['dlm.exportOnnx', 'dlm.exportPytorch'];
export const TRAINING_BUNDLE = 'extension-training.js';
/** The training dashboard's webview type (package.json: onWebviewPanel:dlm.training). */
export const TRAINING_VIEW_TYPE = 'dlm.training';
export const EXPORT_BUNDLE = 'extension-export.js';
