/**
 * The one shared file of typed messages between the extension host and the webviews (the graph
 * view and the training dashboard). Both sides import these types; nothing else crosses the
 * boundary. Every message is a plain JSON object with a `type` discriminant.
 *
 * Pure types: no runtime code, no `vscode`, no DOM, no Node imports.
 */

// ============================================================================ shared

/** Zero-based line and character (UTF-16 code units), as in LSP and `vscode.Position`. */
export interface ProtoPosition {
  readonly line: number;
  readonly character: number;
}

export interface ProtoRange {
  readonly start: ProtoPosition;
  readonly end: ProtoPosition;
}

/** A source location: the absolute file path plus offsets and the equivalent line range. */
export interface SourceRef {
  /** Absolute POSIX path of the file (the host maps it to a document URI). */
  readonly file: string;
  readonly span: { readonly start: number; readonly end: number };
  readonly range: ProtoRange;
}

// ============================================================================ graph data

export type GraphNodeKind = 'layer' | 'input' | 'output';

/** Parameter counts of a node or a group. */
export interface ParamBadge {
  readonly trainable: number;
  readonly nonTrainable: number;
  /** Compact text for the badge, e.g. `9.41K` or `1.23M (+256 fixed)`. */
  readonly text: string;
  /** A tied layer: the parameters belong to a shared instance. */
  readonly shared?: boolean;
  /** Second and later uses of a shared instance: parameters are counted at the first use. */
  readonly sharedRepeat?: boolean;
}

export interface GraphNode {
  /**
   * Stable across re-checks: derived from the instance path (block/repeat groups by kind, name
   * and ordinal) and the node's layer type and ordinal within its group, not from array indices
   * or text offsets, so editing text above a node does not change its id.
   */
  readonly id: string;
  readonly kind: GraphNodeKind;
  /** Layer type (`Conv2d`), or `Input` / `Output` for the model signature. */
  readonly type: string;
  /** Layer category (`conv`, `dense`, …) for colouring; `io` for the signature nodes. */
  readonly category: string;
  /** Full label, e.g. `Conv2d(64, 7, stride=2, padding=3, bias=false)` or the input name. */
  readonly label: string;
  /** Key attributes, short: `64, k=7, s=2, p=3`. Empty when none. */
  readonly attrs: string;
  readonly params?: ParamBadge;
  /** MACs (or FLOPs, per the options) as compact text: `118M·B`. */
  readonly macs?: string;
  readonly source: SourceRef;
  /** Innermost group id. */
  readonly group?: string;
  /** Error message when the layer or a diagnostic inside its source reported an error. */
  readonly error?: string;
  /** Warning message (lints) touching the node. */
  readonly warning?: string;
  readonly inPorts: number;
  readonly outPorts: number;
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly sourcePort: number;
  readonly target: string;
  readonly targetPort: number;
  /** Symbolic shape, e.g. `[B, 64, H/2, W/2]`; `?` when unknown. */
  readonly label: string;
  /** Binding name of the value when it has one (`skip`, `mu`). */
  readonly name?: string;
}

export type GraphGroupKind = 'block' | 'repeat' | 'iteration';

export interface GraphGroup {
  /** Stable, like node ids. */
  readonly id: string;
  readonly kind: GraphGroupKind;
  /** `BasicBlock(c=64)`, `repeat × 2`, `2/2`. */
  readonly label: string;
  /** Label shown when the group is collapsed into one node. */
  readonly collapsedLabel: string;
  readonly parent?: string;
  readonly params: ParamBadge;
  readonly macs?: string;
  /** Layer nodes inside, recursively. */
  readonly nodeCount: number;
  /** Repeats: how many iterations. */
  readonly count?: number;
  readonly source: SourceRef;
  /** Some node inside has an error. */
  readonly error?: boolean;
}

export interface GraphData {
  readonly model: string;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly groups: readonly GraphGroup[];
  readonly totals: { readonly params: ParamBadge; readonly macs: string };
  /** `MACs` or `FLOPs`: what the node badges count. */
  readonly costUnit: 'MACs' | 'FLOPs';
}

// ============================================================================ graph messages

/** Host → graph view. */
export type HostToGraph =
  | {
      readonly type: 'graph';
      /** Increases with every check of the document; the view ignores older versions. */
      readonly version: number;
      /** Document URI (string form) the graph was built from. */
      readonly uri: string;
      readonly model: string;
      /** All models in the file, for the model picker. */
      readonly models: readonly string[];
      readonly graph: GraphData;
      /** True when this is a different file/model than before: the view refits. */
      readonly reset?: boolean;
    }
  | {
      /** Show (message) or clear (null) the banner. With `stale`, the shown graph is dimmed. */
      readonly type: 'error-banner';
      readonly message: string | null;
      readonly stale?: boolean;
    }
  | {
      /** The node(s) under the editor cursor; empty clears the highlight. */
      readonly type: 'highlight';
      readonly nodeIds: readonly string[];
      /** Scroll the first node into view when it is off-screen. */
      readonly reveal?: boolean;
    }
  | {
      /** Hover card content for a node (`request-hover` reply). */
      readonly type: 'hover';
      readonly nodeId: string;
      /** Sanitized HTML (rendered from markdown by the host) … */
      readonly html?: string;
      /** … or plain text when no HTML is available. */
      readonly text?: string;
    }
  | {
      /** Optional: theme kind changes (CSS variables already follow the theme). */
      readonly type: 'theme';
      readonly kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
    }
  | {
      /** Result of an `export` request. */
      readonly type: 'export-done';
      readonly ok: boolean;
      readonly message?: string;
    };

/** Graph view → host. */
export type GraphToHost =
  | { readonly type: 'ready' }
  | {
      /** Select the node's source in the editor. */
      readonly type: 'reveal';
      readonly nodeId: string;
      readonly source: SourceRef;
    }
  | { readonly type: 'select-model'; readonly model: string }
  | {
      readonly type: 'export';
      readonly format: 'svg' | 'png';
      /** SVG text, or a `data:image/png;base64,` URL. */
      readonly data: string;
      /** Suggested file name without directory. */
      readonly fileName: string;
    }
  | { readonly type: 'request-hover'; readonly nodeId: string }
  | {
      /** Layout failures and similar; the host logs them. */
      readonly type: 'log';
      readonly level: 'info' | 'error';
      readonly message: string;
    };

/** What the graph view persists with `setState` (restored after reload / when hidden). */
export interface GraphViewState {
  readonly uri?: string;
  readonly model?: string;
  readonly collapsed: readonly string[];
  readonly viewport?: { readonly x: number; readonly y: number; readonly k: number };
  readonly search?: string;
}

// ============================================================================ dashboard messages
// The training dashboard fills this section; the placeholders below keep the file compiling.

/** Host → training dashboard. */
export type HostToDashboard =
  | {
      readonly type: 'run-started';
      readonly runId: string;
      readonly model: string;
      readonly epochs: number;
    }
  | {
      readonly type: 'metrics';
      readonly runId: string;
      readonly step: number;
      readonly epoch: number;
      readonly values: Readonly<Record<string, number>>;
    }
  | {
      readonly type: 'run-ended';
      readonly runId: string;
      readonly status: 'completed' | 'stopped' | 'failed';
      readonly message?: string;
    };

/** Training dashboard → host. */
export type DashboardToHost =
  { readonly type: 'ready' } | { readonly type: 'stop'; readonly runId: string };
