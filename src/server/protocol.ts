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
import type { GraphData } from '../../webview/protocol';
import type { CheckedTrain } from '../language/checked';
import type { ModelSummary } from '../language/summary';

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
}

export interface TrainResponse {
  readonly uri: string;
  readonly version: number;
  /** Every model of the check. */
  readonly models: readonly string[];
  readonly trains: readonly TrainSection[];
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
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

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
