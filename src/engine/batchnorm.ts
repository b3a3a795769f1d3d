/**
 * BatchNorm on a batch of one (PyTorch raises "Expected more than 1 value per channel when
 * training"): in training mode BatchNorm normalizes each channel over the batch and the spatial
 * positions, `N·∏spatial` values. With one value the variance is 0, every output is β, and the
 * running variance becomes NaN in PyTorch (unbiased estimate over one value). The trainer
 * refuses such a run before its first step, with the fix, rather than training on it.
 */
import type { CheckedModel } from '../language/checked';

export interface BatchOfOne {
  /** The BatchNorm layer's label, e.g. `BatchNorm1d(64)`. */
  readonly layer: string;
  /** The size of the offending batch (1 unless spatial positions are counted too). */
  readonly batch: number;
  /** Whether it is the last, incomplete batch of an epoch (else every batch). */
  readonly last: boolean;
}

/**
 * The first BatchNorm layer that would see a single value per channel in a training batch of
 * `n` samples cut into batches of `batch` (the last one dropped when `dropLast`), if any.
 */
export function batchNormOnOne(
  model: CheckedModel,
  n: number,
  batch: number,
  dropLast: boolean,
): BatchOfOne | undefined {
  const sizes = new Set<number>();
  if (n >= batch) sizes.add(batch);
  const rest = n % batch;
  if (rest > 0 && !(dropLast && n >= batch)) sizes.add(rest);
  for (const node of model.nodes) {
    // A frozen BatchNorm runs in eval mode (running statistics): any batch size works.
    if (!node.def.name.startsWith('BatchNorm') || node.frozen) continue;
    const shape = model.values[node.inputs[0]!]?.shape;
    if (!shape) continue;
    // Values per channel per sample: the spatial positions (axes after the channel axis).
    let perSample = 1;
    for (const d of shape.slice(2)) {
      if (d.value === undefined) {
        perSample = Infinity; // a symbolic length (T): more than one position in practice
        break;
      }
      perSample *= d.value;
    }
    for (const b of [...sizes].sort((a, c) => a - c))
      if (b * perSample === 1) return { layer: node.label, batch: b, last: b !== batch };
  }
  return undefined;
}
