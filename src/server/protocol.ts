/**
 * Custom LSP requests shared by the server (src/server) and the client (src/extension).
 * Plain data only: both sides import these types, neither imports the other.
 */

export interface SummaryParams {
  readonly uri: string;
  /** The model to summarize; default: the model under `position`, else the first in the file. */
  readonly model?: string;
  readonly position?: { readonly line: number; readonly character: number };
}

export interface SummaryResponse {
  readonly uri: string;
  /** Every model defined in the file (for a quick pick). */
  readonly models: readonly string[];
  /** The summarized model, when there is one. */
  readonly model?: string;
  /** The dlm.summary/1 JSON (src/language/summary.ts `ModelSummary`). */
  readonly summary?: unknown;
  /** The summary as a markdown table. */
  readonly markdown?: string;
  readonly params?: number;
  readonly ok?: boolean;
}

export interface CheckResultParams {
  readonly uri: string;
  /** Restrict graph data to one model. */
  readonly model?: string;
}

export interface CheckResultResponse {
  readonly uri: string;
  readonly version: number | null;
  readonly models: readonly {
    readonly name: string;
    readonly ok: boolean;
    readonly params: number;
    /** Graph data for the webview (src/views/graphData.ts `buildGraphData`). */
    readonly graph?: unknown;
  }[];
  readonly errors: number;
  readonly warnings: number;
}

/** `dlm/stats` parameters (all optional). */
export interface StatsParams {
  /**
   * Run a full garbage collection before measuring, so `heapUsed` is what the server retains.
   * Takes effect only when the server runs with `node --expose-gc` (tests and benchmarks).
   */
  readonly gc?: boolean;
}

export interface ServerStats {
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

export const REQUESTS = {
  summary: 'dlm/summary',
  checkResult: 'dlm/checkResult',
  stats: 'dlm/stats',
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
