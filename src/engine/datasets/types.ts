/**
 * The trainer's in-memory dataset: every sample's features in one flat Float32Array (C order,
 * per-sample shape `xShape`), targets in one flat array (per-sample shape `yShape`).
 */

export type Task = 'classification' | 'regression' | 'sequence';

export interface Dataset {
  /** How messages name it: `Spiral`, `Csv 'houses.csv'`. */
  readonly name: string;
  /** Number of samples. */
  readonly n: number;
  readonly x: Float32Array;
  /** Per-sample input shape (no batch axis). */
  readonly xShape: readonly number[];
  /**
   * Several named inputs (decision 0008): each sample's `x` row is their values one after the
   * other (C order), `xShape` is `[total]`, and each part feeds the model input of its name.
   */
  readonly parts?: readonly DataPart[];
  /** Class ids (classification, sequence) or float targets (regression). */
  readonly y: Float32Array | Int32Array;
  /** Per-sample target shape: `[]` for a class id, `[k]` for k regression targets, `[T]` for sequences. */
  readonly yShape: readonly number[];
  readonly task: Task;
  /** Number of classes (classification) or vocabulary size (sequence). */
  readonly classes?: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
  /** When true, the pipeline standardizes features with training-split statistics. */
  readonly standardize?: boolean;
  /** How the features are described in messages, e.g. `7 feature columns`. */
  readonly featureDescription?: string;
  /** Facts worth showing (coefficients of Plane, the stride of Text windows, ...). */
  readonly notes?: readonly string[];
  /** Numeric class labels that were renumbered to the class ids 0..k-1 (`{1..10}` → `0..9`). */
  readonly relabelled?: Relabelling;
  /**
   * Regression targets that are all whole numbers: what the data call needs to read them as class
   * labels (`categorical=true`), for the message when the loss is a classification loss.
   */
  readonly integerTargets?: { readonly column: string; readonly fix: string };
  /**
   * Negative target ids found in sequence targets (Npy `(N, T)`): positions the loss must ignore,
   * so the loss needs `ignore_index` set to them.
   */
  readonly negativeIds?: readonly number[];
}

/** One named input of a dataset with several: its per-sample shape, and whether it holds ids. */
export interface DataPart {
  readonly name: string;
  readonly shape: readonly number[];
  readonly ids: boolean;
}

/** Class ids given to numeric labels: class `i` is the label `labels[i]` of `column`. */
export interface Relabelling {
  readonly column: string;
  readonly labels: readonly string[];
}

/**
 * How a renumbering is told to the user (CLI, dashboard): every `label→id` pair when there are
 * at most 12 classes, else the first ten and the last.
 */
export function relabelMessage(r: Relabelling): string {
  const k = r.labels.length;
  const pairs = r.labels.map((s, i) => `${s}→${i}`);
  const shown = k > 12 ? [...pairs.slice(0, 10), '…', pairs[k - 1]!] : pairs;
  return `the labels in target column '${r.column}' are not the class ids 0..${k - 1}, so they were renumbered: ${shown.join(', ')}; the model predicts these class ids (config.json records the mapping under dataset.relabelled)`;
}

/** The part of a dataset that goes into config.json and the `started` event. */
export interface DatasetSummary {
  readonly name: string;
  readonly task: Task;
  readonly samples: number;
  readonly train: number;
  readonly validation: number;
  readonly xShape: readonly number[];
  readonly yShape: readonly number[];
  readonly parts?: readonly DataPart[];
  readonly classes?: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
  readonly standardization?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly notes?: readonly string[];
  readonly relabelled?: Relabelling;
}

/** A problem with the data that the user can fix; the trainer reports it as kind 'data'. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

export const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function formatShape(s: readonly (number | string | null | undefined)[]): string {
  return `[${s.map((d) => (d === null || d === undefined ? '?' : String(d))).join(', ')}]`;
}
