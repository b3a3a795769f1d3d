/**
 * The custom LSP requests between the language server (src/server) and the extension
 * (src/extension), each declared once as a typed `RequestType`: the method name, its parameters
 * and its result travel together, so the server's handler and the client's `sendRequest` cannot
 * disagree. Plain data only: both sides import this module, neither imports the other.
 *
 * The extension never runs the checker itself; everything it shows or trains from comes from
 * these requests (the server checks each open document once per version).
 */
import { RequestType } from 'vscode-languageserver-protocol';
import type { CompareData, GraphData } from '../../webview/protocol';
import type { CheckedTrain } from '../language/checked';
import type { ModelDiff } from '../language/diff';
import type { ModelSummary } from '../language/summary';
import type { DataChoice } from '../language/starter';

export interface Position {
  readonly line: number;
  readonly character: number;
}

// ------------------------------------------------------------------------------ dlm/summary

export interface SummaryParams {
  readonly uri: string;
  /** The model to summarize; default: the model under `position`, else the first in the file. */
  readonly model?: string;
  readonly position?: Position;
}

export interface SummaryResponse {
  readonly uri: string;
  /** Every model defined in the file (for a quick pick). */
  readonly models: readonly string[];
  /** The summarized model, when there is one. */
  readonly model?: string;
  /** The dlm.summary/1 JSON. */
  readonly summary?: ModelSummary;
  /** The summary as a markdown table. */
  readonly markdown?: string;
  readonly params?: number;
  readonly ok?: boolean;
}

// ------------------------------------------------------------------------------ dlm/checkResult

export interface CheckResultParams {
  readonly uri: string;
  /** Restrict the models (and their graph data) to this one. */
  readonly model?: string;
}

export interface CheckResultResponse {
  readonly uri: string;
  readonly version: number | null;
  readonly models: readonly {
    readonly name: string;
    readonly ok: boolean;
    readonly params: number;
    /** Graph data for the webview, in the `dlm.shapeStyle` and `dlm.complexity` settings. */
    readonly graph?: GraphData;
  }[];
  readonly errors: number;
  readonly warnings: number;
}

// ------------------------------------------------------------------------------ dlm/graph

export interface GraphParams {
  readonly uri: string;
  /** The model to draw; default (or when absent from the file): the first model. */
  readonly model?: string;
}

/** What the graph panel draws for one document version: one model's graph and its errors. */
export interface GraphResponse {
  readonly uri: string;
  readonly version: number;
  /** Every model of the check (the panel's model picker). */
  readonly models: readonly string[];
  /** The files of the check (the document and its imports): the only ones `reveal` may open. */
  readonly files: readonly string[];
  /**
   * The document URI of each of `files` (same order): the panel opens and matches editors by
   * these, since a path is a URI only on the desktop (`vscode-vfs://…` on the web, decision 0024).
   */
  readonly fileUris: readonly string[];
  /** The file's first syntax error; there is no graph while the file has one. */
  readonly syntaxError?: string;
  /** The file's first error diagnostic. */
  readonly firstError?: string;
  /** The drawn model; absent when the file has no model. */
  readonly model?: {
    readonly name: string;
    readonly ok: boolean;
    /** In the `dlm.shapeStyle` and `dlm.complexity` settings; absent with a syntax error. */
    readonly graph?: GraphData;
    /** Error diagnostics of this file inside the model's definition. */
    readonly errors: number;
    readonly firstError?: string;
  };
}

// ------------------------------------------------------------------------------ dlm/train

export interface TrainParams {
  readonly uri: string;
}

/** A train section as the server checked it, with the data files its dataset reads. */
export interface TrainSection extends CheckedTrain {
  /** The dataset's file paths as written (relative to the file), e.g. for copying an example. */
  readonly dataFiles: readonly string[];
  /**
   * The datasets the dashboard may switch this section to (src/language/starter.ts
   * `sectionDataChoices`: the checker's fit decision under the section's loss). Set for the
   * sections of the requested file.
   */
  readonly dataChoices?: readonly DataChoice[];
}

export interface TrainResponse {
  readonly uri: string;
  readonly version: number;
  /** Every model of the check. */
  readonly models: readonly string[];
  readonly trains: readonly TrainSection[];
  /**
   * Models that check without errors and have no train section, with the datasets that fit
   * them (src/language/starter.ts): the dashboard trains them on one, and "Add train section"
   * writes `section`. Empty `choices`: nothing bundled fits.
   */
  readonly starters?: readonly TrainStarter[];
}

export interface TrainStarter {
  readonly model: string;
  readonly choices: readonly (DataChoice & { readonly section: string })[];
  /** Where "Add train section" inserts `section`: the end of the model (offset in the file). */
  readonly insertAt: number;
}

// ------------------------------------------------------------------------------ dlm/diff

/** Compare the open document (the newer side, b) with another file or a git revision of it. */
export interface DiffParams {
  readonly uri: string;
  /** The older side: another .dlm file (a `file:` URI) … */
  readonly otherUri?: string;
  /** … or the document as it was at this git revision (`HEAD`, `HEAD~1`, a commit id). */
  readonly rev?: string;
  /** The model to compare; default: the model of the same name, or the single models. */
  readonly model?: string;
}

export interface DiffResponse {
  readonly uri: string;
  /** Why nothing could be compared (unreadable file, unknown revision, no common model). */
  readonly error?: string;
  /** The dlm.diff/1 object (docs/diff-json.md). */
  readonly diff?: ModelDiff;
  /** What the compare view draws. */
  readonly data?: CompareData;
}

// ------------------------------------------------------------------------------ dlm/onnxGraph

/** The read-only ONNX editor (src/extension/onnxEditor.ts): a `.onnx` file's graph. */
export interface OnnxGraphParams {
  /** The `.onnx` file (a `file:` URI inside the workspace). */
  readonly uri: string;
}

/** What the reader found (src/interop/onnx/graph.ts), without any weight data. */
export interface OnnxGraphResponse {
  readonly uri: string;
  /** Why the file cannot be shown (outside the workspace, too large, not an ONNX model). */
  readonly error?: string;
  readonly graph?: GraphData;
  readonly opset?: number;
  readonly producer?: string;
  /** The reader's diagnostics (opset, unknown operators, Loop/If, …), shown as a banner. */
  readonly diagnostics: readonly {
    readonly code: string;
    readonly severity: 'error' | 'warning' | 'info';
    readonly message: string;
    readonly node?: string;
  }[];
}

// ------------------------------------------------------------------------------ dlm/onnxImport

/** "Convert to .dlm": `dlm import` on the server, writing OUT.dlm and OUT.safetensors. */
export interface OnnxImportParams {
  readonly uri: string;
  /** The .dlm to write (a `file:` URI); default: beside the .onnx file, same name. */
  readonly outUri?: string;
}

export interface OnnxImportResponse {
  /** Why nothing was written. */
  readonly error?: string;
  readonly dlmUri?: string;
  readonly weightsUri?: string;
  readonly modelName?: string;
  readonly layers?: number;
}

// ------------------------------------------------------------------------------ process

/**
 * Node flags for the server process, used by the extension's client and by every test and
 * benchmark that starts the server, so they measure what users run.
 *
 * `--max-semi-space-size=4` (MB; Node's default is 16): each check of a large file allocates
 * short-lived garbage, and V8 keeps the young generation it grew for it committed. With the
 * default the 2,000-line soak (bench/soak.bench.ts) held 191–200 MB RSS for 21 MB of live heap;
 * with 4 MB it held 142–144 MB, with the same live heap and no change in hover latency beyond
 * the run-to-run noise.
 *
 * `--heap-growing-percent=100`: after each full collection V8 lets the old generation grow to
 * twice what survived (its own factor goes up to 4 when collections are fast). Every check
 * promotes its result, and the last result's is garbage after the next edit, so with V8's
 * factor the server's peak RSS in the 2,000-line soak reached 186–487 MB between collections
 * for 21 MB of live heap; with this flag 140–183 MB in five runs of six, with no slower
 * edit-to-diagnostics or hover on 5,000 lines (docs/decisions/0029-server-heap-growth.md).
 */
export const SERVER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=100',
];

// ------------------------------------------------------------------------------ dlm/stats

/** `dlm/stats` parameters (all optional). */
export interface StatsParams {
  /**
   * Run a full garbage collection before measuring, so `heapUsed` is what the server retains.
   * Takes effect only when the server runs with `node --expose-gc` (tests and benchmarks).
   */
  readonly gc?: boolean;
}

export interface ServerStats {
  /** The server's process id. */
  readonly pid: number;
  /** Whether a garbage collection ran before this reading (see StatsParams.gc). */
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  /** V8 heap committed (used + free); RSS minus this is code, stacks and the runtime. */
  readonly heapTotal: number;
  readonly checks: number;
  readonly cachedDocuments: number;
  readonly lastCheckMs: number;
}

/** `dlm/layerDoc`: a catalog layer's documentation, for the graph panel's node hover card. */
export interface LayerDocParams {
  /** Layer type, e.g. `Conv2d`. */
  readonly type: string;
}
export interface LayerDocResponse {
  readonly summary: string;
  readonly paramFormula?: string;
  readonly macsFormula?: string;
}

/**
 * Every custom request. A handler or call answers `null` for a document the server does not
 * have open (the client opens it first: `vscode.workspace.openTextDocument`).
 */
export const Requests = {
  summary: new RequestType<SummaryParams, SummaryResponse | null, void>('dlm/summary'),
  checkResult: new RequestType<CheckResultParams, CheckResultResponse | null, void>(
    'dlm/checkResult',
  ),
  graph: new RequestType<GraphParams, GraphResponse | null, void>('dlm/graph'),
  train: new RequestType<TrainParams, TrainResponse | null, void>('dlm/train'),
  stats: new RequestType<StatsParams, ServerStats, void>('dlm/stats'),
  diff: new RequestType<DiffParams, DiffResponse | null, void>('dlm/diff'),
  onnxGraph: new RequestType<OnnxGraphParams, OnnxGraphResponse, void>('dlm/onnxGraph'),
  onnxImport: new RequestType<OnnxImportParams, OnnxImportResponse, void>('dlm/onnxImport'),
  /** Answers `null` for a type that is not in the catalog. */
  layerDoc: new RequestType<LayerDocParams, LayerDocResponse | null, void>('dlm/layerDoc'),
} as const;

/** Settings under `dlm.*` (package.json `contributes.configuration`). */
export interface DlmSettings {
  readonly inlayHints: { readonly enabled: boolean };
  readonly shapeStyle: 'brackets' | 'times';
  readonly complexity: 'macs' | 'flops';
  readonly trainer: { readonly threads: number };
}

export const DEFAULT_SETTINGS: DlmSettings = {
  inlayHints: { enabled: true },
  shapeStyle: 'brackets',
  complexity: 'macs',
  trainer: { threads: 0 },
};
