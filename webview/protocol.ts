/**
 * The one shared file of typed messages between the extension host and the webviews (the graph
 * view and the training dashboard). Both sides import these types; nothing else crosses the
 * boundary. Every message is a plain JSON object with a `type` discriminant.
 *
 * Types, plus the two functions of the graph and compare views' message transport (`asJson`,
 * `fromJson`): no `vscode`, no DOM, no Node imports.
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

// ============================================================================ transport

declare const carries: unique symbol;

/**
 * A host → view message as the graph and compare views receive it: the message as JSON text.
 * A webview message is structured-cloned at each hop (two in VS Code: into the webview's outer
 * frame, then into the view's own frame). Chromium cloned a 500-node GraphData object in
 * 5–14 ms per hop on the receiving page's main thread, and passed the same message as text, then
 * parsed it, in under 3 ms (decision 0030). The dashboard's messages are small and stay objects.
 */
export interface JsonMessage<T> {
  readonly json: string;
  /** Type only: the message the text holds. */
  readonly [carries]?: T;
}

/** The host's side: `m` as it is posted to the view. */
export function asJson<T>(m: T): JsonMessage<T> {
  return { json: JSON.stringify(m) };
}

/**
 * The view's side: the message a `JsonMessage` holds, or undefined for anything else that
 * reaches the window (VS Code's own messages, a stray `postMessage`).
 */
export function fromJson<T>(data: unknown): T | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const json = (data as { json?: unknown }).json;
  return typeof json === 'string' ? (JSON.parse(json) as T) : undefined;
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
  /**
   * Parameters tied to another layer's (`Dense(V, tie=embed)`), e.g. `["embed.weight"]`: not in
   * `trainable`, which the owner counts.
   */
  readonly sharedWith?: readonly string[];
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
  /** In a `frozen` part: not trained, eval mode. Drawn greyed. */
  readonly frozen?: boolean;
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
  /** Every layer inside is frozen (a frozen block use or repeat). Drawn greyed. */
  readonly frozen?: boolean;
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
      /**
       * The layout an earlier view of this model drew (the host keeps the last few), sent to a
       * new view with its first graph: the view draws it at once if its first request has the
       * same key (decision 0031).
       */
      readonly layout?: SavedLayoutText;
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
      /**
       * Extra toolbar buttons (the ONNX editor's "Convert to .dlm"); a click posts `action` with
       * the id. Replaces the previous set.
       */
      readonly type: 'actions';
      readonly actions: readonly {
        readonly id: string;
        readonly label: string;
        readonly title: string;
      }[];
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
      /**
       * After each layout: what the view draws (layer nodes of the data, laid-out items), and
       * whether the layout came from its worker or was a saved one.
       */
      readonly type: 'rendered';
      readonly layers: number;
      readonly items: number;
      readonly source: 'worker' | 'saved';
    }
  | {
      /**
       * The layout the view drew for this model, for a later view of it: sent a second after
       * the view's last layout, when its JSON text is at most MAX_SAVED_LAYOUT_CHARS.
       */
      readonly type: 'layout';
      readonly uri: string;
      readonly model: string;
      readonly layout: SavedLayoutText;
    }
  | {
      /** A button of an `actions` message was clicked. */
      readonly type: 'action';
      readonly id: string;
    }
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
  /**
   * The last layout the view drew: a view shown again draws it if its first request has the key.
   */
  readonly layout?: SavedLayoutText;
}

/**
 * A layout the graph view drew, as JSON text (SavedLayout in webview/graph/layout.ts: positions
 * only), and the key of the layout request it answers (`requestKey` there).
 */
export interface SavedLayoutText {
  readonly key: string;
  readonly json: string;
}

/**
 * The longest saved layout (JSON text) the graph view keeps in its state or sends to the host:
 * VS Code writes the state again on every pan.
 */
export const MAX_SAVED_LAYOUT_CHARS = 2_000_000;

// ============================================================================ dashboard messages
// The training dashboard (webview/dashboard, host side src/extension/training.ts). The host turns
// the trainer's events (src/engine/protocol.ts) into these messages, batching per-step points so
// the webview gets at most a few messages per animation frame.

/** An optimizer as written in the `train` section: `Adam(lr=0.01, betas=(0.9, 0.999))`. */
export interface DashOptimizer {
  readonly name: string;
  /** Scalar arguments only (numbers, booleans, strings); `lr` among them when given. */
  readonly args: Readonly<Record<string, number | boolean | string>>;
}

/** A dataset the picker offers: a built-in one or a `data` declaration of the file. */
export interface DashDatasetOption {
  /** Stable id: `builtin:Spiral` or `decl:spiral`. */
  readonly id: string;
  readonly label: string;
  readonly kind: 'builtin' | 'declaration';
  /** Short description: `3 spirals, 2-D`, `Csv("houses.csv")`. */
  readonly detail?: string;
  /** Two input features: the boundary view applies. */
  readonly twoD?: boolean;
}

/** A model without a train section, trained with a starter section (src/language/starter.ts). */
export interface DashStarter {
  readonly model: string;
  /** The file's base name, for the message. */
  readonly file: string;
  /** The section "Add train section" writes (for the first dataset). */
  readonly section: string;
}

/** The `train` section as the dashboard shows it (prefills the overrides). */
export interface DashTrainConfig {
  readonly model: string;
  readonly epochs: number;
  readonly batch: number;
  /** Learning rate from the optimizer's `lr` (or its default). */
  readonly lr: number;
  readonly optimizer: DashOptimizer;
  /** Picker id of the section's dataset (`decl:…` or `builtin:…`). */
  readonly dataset?: string;
  readonly loss?: string;
  readonly validation: number;
  readonly metrics: readonly string[];
}

/** What the user changed before pressing start; absent fields keep the `train` section's value. */
export interface DashOverrides {
  readonly epochs?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly optimizer?: string;
  readonly dataset?: string;
}

export interface DashParam {
  /** Parameter tensor name as the trainer reports it: `dense1.weight`. */
  readonly name: string;
  /** When the trainer reports it. */
  readonly shape?: readonly number[];
}

export interface DashDatasetInfo {
  readonly name: string;
  readonly task: 'classification' | 'regression' | 'sequence';
  readonly train: number;
  readonly validation: number;
  readonly xShape: readonly number[];
  readonly classes?: number;
  readonly classNames?: readonly string[];
  /**
   * Numeric labels were renumbered to the class ids 0..k-1 (`{1..10}` → `0..9`): the labels of
   * class 0, 1, … and the message that tells the mapping.
   */
  readonly relabelled?: { readonly labels: readonly string[]; readonly message: string };
}

/** One optimizer step. `grads` is aligned with the run's `params` (per-tensor L2 norms). */
export interface DashStep {
  readonly step: number;
  /** Epochs done as a fraction (`step / stepsPerEpoch`): the x axis of every chart. */
  readonly epoch: number;
  readonly loss: number;
  readonly lr?: number;
  /** Global gradient norm. */
  readonly gradNorm?: number;
  readonly grads?: readonly number[];
  /** Other per-step metrics (`accuracy`, `update_ratio`). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** End of an epoch: training and validation means. */
export interface DashEpoch {
  /** Epochs done, counting from 1 (the trainer's 0-based epoch + 1): same axis as DashStep. */
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly valLoss?: number;
  /** `accuracy`, `val_accuracy`, `mae`, … */
  readonly metrics: Readonly<Record<string, number>>;
  /** This epoch is the best by validation loss so far. */
  readonly best?: boolean;
  readonly seconds?: number;
}

/** Per-tensor weight histogram (equal-width bins over [min, max]). */
export interface DashHistogram {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly counts: readonly number[];
}

/**
 * Dead ReLU units of one ReLU layer: units whose output is exactly 0 for every sample of the
 * probe batch (they get no gradient from those samples, so they have stopped learning).
 */
export interface DashDeadRelu {
  /** Qualified layer name (`relu0`), the prefix of the layer's parameter names. */
  readonly layer: string;
  /** `ReLU after Dense(16)` */
  readonly label: string;
  readonly units: number;
  readonly dead: number;
}

/** A hidden layer that per-neuron maps can show. */
export interface DashNeuronLayer {
  readonly name: string;
  readonly label: string;
  readonly units: number;
}

/** A grid over the 2-D input plane: `values[(iy * nx + ix) * channels + c]`, iy = 0 at y0. */
export interface DashGrid {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly nx: number;
  readonly ny: number;
  readonly channels: number;
  readonly values: readonly number[];
}

/** The data points drawn on the boundary: `x[i], y[i]` in input space, `label[i]` a class id. */
export interface DashPoints {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly label: readonly number[];
  /** Which points are validation points (drawn hollow). */
  readonly validation?: readonly boolean[];
}

/** Kinds of the message area's entries; `relabelled` is a warning about the run's data, not a failure. */
export type DashFailureKind =
  'data' | 'nan' | 'io' | 'crash' | 'config' | 'untrusted' | 'export' | 'relabelled';

export interface DashFailure {
  readonly kind: DashFailureKind;
  readonly message: string;
  /** NaN: the first parameter whose gradient went non-finite, and where. */
  readonly parameter?: string;
  readonly step?: number;
  readonly epoch?: number;
  /** What to try (`lower the learning rate to 0.001`, `clip = 1.0`). */
  readonly suggestion?: string;
  /** Crash: exit code / signal and the last lines of stderr. */
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly detail?: string;
}

export type DashRunStatus =
  'running' | 'paused' | 'completed' | 'stopped' | 'failed' | 'early-stopped';

/** A run from `.dlm/runs/` for the history list. */
export interface DashRunSummary {
  readonly runId: string;
  readonly model: string;
  /** ISO time. */
  readonly startedAt: string;
  readonly status: DashRunStatus | 'unknown';
  readonly config: {
    readonly epochs: number;
    readonly batch: number;
    readonly lr?: number;
    readonly optimizer: string;
    readonly dataset: string;
  };
  readonly epochsDone: number;
  readonly final?: Readonly<Record<string, number>>;
  readonly hasOnnx?: boolean;
  /** It ended before its last epoch (stopped, crashed) and has a checkpoint to resume from. */
  readonly resumable?: boolean;
}

/** Host → training dashboard. */
export type HostToDashboard =
  | {
      /** Sent after `ready`: what the panel trains and what the pickers offer. */
      readonly type: 'init';
      readonly uri: string;
      /** The model the panel shows: each model's state (status, charts, banners) is its own. */
      readonly model?: string;
      readonly models: readonly string[];
      readonly train?: DashTrainConfig;
      readonly datasets: readonly DashDatasetOption[];
      readonly optimizers: readonly string[];
      /** Training is refused (untrusted workspace, no train section): the reason. */
      readonly disabled?: string;
      /** Why, as a field (the panel does not match the prose): trust, or nothing to train. */
      readonly disabledReason?: 'untrusted' | 'nothing-to-train';
      /**
       * The model has no train section: it trains with this starter section on the picked
       * dataset (`datasets` are those that fit it), and "Add train section" writes it.
       */
      readonly starter?: DashStarter;
    }
  | {
      /** Clear the current run's charts (before a replay or a new run). */
      readonly type: 'reset';
    }
  | {
      readonly type: 'run-started';
      readonly runId: string;
      readonly model: string;
      readonly config: DashTrainConfig;
      readonly dataset: DashDatasetInfo;
      readonly stepsPerEpoch: number;
      readonly params: readonly DashParam[];
      /** Replays of finished runs (restored from metrics.jsonl) are not live. */
      readonly live: boolean;
      /** Layers `request-neurons` may ask for (2-feature inputs, compiled models). */
      readonly neuronLayers?: readonly DashNeuronLayer[];
    }
  | {
      readonly type: 'steps';
      readonly runId: string;
      readonly steps: readonly DashStep[];
      /** The parameter tensors, when the list grew (names first seen in these steps). */
      readonly params?: readonly DashParam[];
    }
  | { readonly type: 'epoch'; readonly runId: string; readonly epoch: DashEpoch }
  | {
      readonly type: 'histograms';
      readonly runId: string;
      readonly step: number;
      readonly weights: readonly DashHistogram[];
      /** Dead units of every ReLU layer on the probe batch, in model order. */
      readonly deadRelu?: readonly DashDeadRelu[];
      /** The probe batch's size (validation samples, or a sample of the training set). */
      readonly probeSamples?: number;
    }
  | {
      readonly type: 'boundary';
      readonly runId: string;
      readonly step: number;
      readonly epoch: number;
      /** Class probabilities (channels = classes; 1 channel = P(class 1) or a regression value). */
      readonly grid: DashGrid;
      /** Sent with the first boundary of a run; later ones reuse them. */
      readonly points?: DashPoints;
    }
  | {
      /** Reply to `request-neurons`: each unit's activation over the same grid. */
      readonly type: 'neurons';
      readonly runId: string;
      readonly layer: string;
      readonly layers: readonly string[];
      readonly step: number;
      /** One channel per unit shown: the layer's first `grid.channels` units (at most 64). */
      readonly grid: DashGrid;
      /** The layer's number of units (more than `grid.channels` when capped). */
      readonly units?: number;
      readonly label?: string;
    }
  | {
      readonly type: 'confusion';
      readonly runId: string;
      readonly epoch: number;
      readonly classes: readonly string[];
      /** `matrix[actual][predicted]` counts on the validation set. */
      readonly matrix: readonly (readonly number[])[];
    }
  | {
      readonly type: 'checkpoint';
      readonly runId: string;
      readonly epoch: number;
      readonly step: number;
      readonly best: boolean;
    }
  | { readonly type: 'status'; readonly runId: string; readonly status: DashRunStatus }
  | {
      readonly type: 'run-ended';
      readonly runId: string;
      readonly status: 'completed' | 'stopped' | 'failed' | 'early-stopped';
      readonly bestEpoch?: number;
      readonly message?: string;
    }
  | { readonly type: 'failure'; readonly runId?: string; readonly failure: DashFailure }
  | { readonly type: 'history'; readonly runs: readonly DashRunSummary[] }
  | {
      /** Reply to `request-curves`: epoch curves of a previous run, for the overlay. */
      readonly type: 'run-curves';
      readonly runId: string;
      readonly epochs: readonly DashEpoch[];
    }
  | {
      readonly type: 'notice';
      readonly level: 'info' | 'error';
      readonly message: string;
      /** What the notice is about: `neurons` shows it under the neuron-map controls too. */
      readonly topic?: 'neurons';
    };

/** Training dashboard → host. */
export type DashboardToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'start'; readonly model?: string; readonly overrides: DashOverrides }
  | { readonly type: 'pause'; readonly runId: string }
  | { readonly type: 'resume'; readonly runId: string }
  | { readonly type: 'stop'; readonly runId: string }
  | { readonly type: 'request-neurons'; readonly runId: string; readonly layer?: string }
  | { readonly type: 'request-curves'; readonly runIds: readonly string[] }
  | { readonly type: 'open-config'; readonly runId: string }
  | { readonly type: 'export-onnx'; readonly runId: string }
  /** Continue a stopped or crashed run of the History from its last checkpoint. */
  | { readonly type: 'resume-run'; readonly runId: string }
  /** Write the starter train section (init's `starter`) for the picked dataset into the file. */
  | { readonly type: 'add-train-section'; readonly model: string; readonly dataset?: string }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'error';
      readonly message: string;
    };

export type DashboardTab = 'metrics' | 'gradients' | 'boundary' | 'confusion' | 'history';

/** What the dashboard persists with `setState`. */
export interface DashboardViewState {
  /** The document and model the panel trains (the serializer reopens them after a reload). */
  readonly uri?: string;
  readonly model?: string;
  readonly tab: DashboardTab;
  readonly overrides: DashOverrides;
  readonly overlay: readonly string[];
  readonly logScale: boolean;
  readonly neuronLayer?: string;
}

// ============================================================================ compare messages
// The compare view (webview/compare, host side src/extension/comparePanel.ts): two versions of a
// model side by side, built by the language server's `dlm/diff` (src/views/compareData.ts).

/** How a layer differs between the two versions. */
export type CompareStatus = 'added' | 'removed' | 'changed';

export interface CompareSide {
  /** Where this side was read from: `examples/lenet5.dlm`, `HEAD~1:examples/lenet5.dlm`. */
  readonly title: string;
  readonly graph: GraphData;
  /** Graph node id → status, for the nodes that differ (the others are unchanged). */
  readonly status: Readonly<Record<string, CompareStatus>>;
  /** Whether `reveal` may open this side's sources (false for a git revision). */
  readonly revealable: boolean;
}

/** One line of the change list. */
export interface CompareChange {
  readonly status: CompareStatus;
  /** Qualified parameter name, e.g. `basicblock1.conv2d0`. */
  readonly path: string;
  /** `Conv2d(16, 5) → Conv2d(32, 5); out [B, 16, 10, 10] → [B, 32, 10, 10]; …` */
  readonly text: string;
  /** The graph node ids on each side. */
  readonly a?: string;
  readonly b?: string;
}

export interface CompareData {
  readonly model: string;
  readonly a: CompareSide;
  readonly b: CompareSide;
  readonly changes: readonly CompareChange[];
  /** Totals rows: what, a, b, delta (formatted, e.g. `+2,096 (+3.4%)`). */
  readonly totals: readonly (readonly [string, string, string, string])[];
  /** `0 added, 0 removed, 3 changed, 9 unchanged`. */
  readonly counts: string;
}

/** Host → compare view. */
export type HostToCompare =
  | { readonly type: 'compare'; readonly data: CompareData }
  | { readonly type: 'error'; readonly message: string };

/** Compare view → host. */
export type CompareToHost =
  | { readonly type: 'ready' }
  | {
      /** Both graphs are drawn: how many nodes each side shows, and how many are highlighted. */
      readonly type: 'rendered';
      readonly nodes: { readonly a: number; readonly b: number };
      readonly highlighted: { readonly a: number; readonly b: number };
    }
  | {
      /** Open a node's source (only on a revealable side). */
      readonly type: 'reveal';
      readonly side: 'a' | 'b';
      readonly source: SourceRef;
    }
  | { readonly type: 'log'; readonly level: 'info' | 'error'; readonly message: string };
