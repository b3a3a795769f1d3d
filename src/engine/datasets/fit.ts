/**
 * checkDataFits: does the dataset fit the model? Runs before training, with messages that name
 * both sides: "Csv 'houses.csv' has 7 feature columns, but model House takes [B, 8]".
 */
import { adaptSampleShape } from './pipeline';
import { formatShape, product, type DataPart, type Dataset, type Task } from './types';

export type ModelShape = readonly (number | string | null)[];

export interface FitResult {
  readonly ok: boolean;
  readonly errors: readonly string[];
  /** The per-sample input shape to feed (after a reshape such as [64] → [1, 8, 8]). */
  readonly sampleShape?: readonly number[];
  readonly notes: readonly string[];
}

/**
 * `modelInput`/`modelOutput` include the batch axis (`['B', 8]`). `task` is what the loss
 * expects ('classification' for CrossEntropy, 'regression' for MSE, ...); 'sequence' data is
 * trained with a classification loss per step.
 */
export function checkDataFits(
  ds: Dataset,
  modelInput: ModelShape,
  modelOutput: ModelShape,
  task: Task | 'vae' | 'unknown',
  modelName = 'the model',
  target: 'labels' | 'input' = 'labels',
  ignoreIndex?: number,
): FitResult {
  const errors: string[] = [];
  const notes: string[] = [];
  const model = modelName === 'the model' ? modelName : `model ${modelName}`;
  const sampleIn = modelInput.slice(1);
  const sampleShape = adaptSampleShape(ds.xShape, sampleIn);
  const what = ds.featureDescription ?? `samples of shape ${formatShape(ds.xShape)}`;
  if (!sampleShape) {
    errors.push(`${ds.name} has ${what}, but ${model} takes ${formatShape(modelInput)}`);
  } else if (sampleShape.join() !== ds.xShape.join()) {
    notes.push(
      `${ds.name} samples ${formatShape(ds.xShape)} are reshaped to ${formatShape(sampleShape)}`,
    );
  }
  const last = modelOutput[modelOutput.length - 1];
  const outDesc = formatShape(modelOutput);
  // VAELoss reconstructs the input: the dataset's labels are not used.
  if (target === 'input' || task === 'vae') {
    const outSample = modelOutput.slice(1);
    if (sampleShape && !adaptSampleShape(sampleShape, outSample))
      errors.push(
        `target = input needs an output shaped like the input ${formatShape(['B', ...sampleShape])}, but ${model} outputs ${outDesc}`,
      );
    return { ok: errors.length === 0, errors, sampleShape, notes };
  }
  const lossTask = task === 'unknown' ? undefined : task;
  if (ds.task === 'classification') {
    if (lossTask === 'regression')
      errors.push(
        `${ds.name} is a classification dataset (${ds.classes} classes), but the loss is a regression loss; use CrossEntropy`,
      );
    else if (typeof last === 'number' && ds.classes !== undefined) {
      const binary = ds.classes === 2 && last === 1;
      if (last !== ds.classes && !binary)
        errors.push(`${ds.name} has ${ds.classes} classes but ${model} outputs ${outDesc}`);
      if (modelOutput.length !== 2)
        errors.push(
          `${ds.name} has one class label per sample, but ${model} outputs ${outDesc}; expected [B, ${ds.classes}]`,
        );
    }
  } else if (ds.task === 'regression') {
    const k = product(ds.yShape);
    if (lossTask === 'classification')
      errors.push(
        ds.integerTargets
          ? `${ds.name} target column '${ds.integerTargets.column}' holds whole numbers, read as real values (regression) because ${ds.integerTargets.fix} is not set, but the loss is a classification loss; add ${ds.integerTargets.fix} to read them as class labels (or use MSE, MAE or Huber for regression)`
          : `${ds.name} has real-valued targets (regression), but the loss is a classification loss; use MSE, MAE or Huber`,
      );
    else {
      const outSample = modelOutput.slice(1);
      if (outSample.every((d): d is number => typeof d === 'number') && product(outSample) !== k)
        errors.push(
          `${ds.name} has ${k} target${k === 1 ? '' : 's'} per sample, but ${model} outputs ${outDesc}`,
        );
    }
  } else if (ds.task === 'sequence') {
    const t = ds.yShape[0];
    if (lossTask === 'regression')
      errors.push(
        `${ds.name} has one class id per step (classification per step), but the loss is a regression loss`,
      );
    // The model may have more classes than the ids that occur (padding, unused symbols).
    if (typeof last === 'number' && ds.classes !== undefined && last < ds.classes)
      errors.push(
        `${ds.name} has class ids up to ${ds.classes - 1} but ${model} outputs ${outDesc}; expected [B, ${t}, ${ds.classes}] or more classes`,
      );
    else if (
      typeof last === 'number' &&
      ds.classes !== undefined &&
      last > ds.classes &&
      !ds.negativeIds
    )
      notes.push(
        `${ds.name} uses class ids 0..${ds.classes - 1} of the ${last} that ${model} scores`,
      );
    const steps = modelOutput[1];
    if (modelOutput.length === 3 && typeof steps === 'number' && steps !== t)
      errors.push(`${ds.name} has ${t} steps per sample but ${model} outputs ${outDesc}`);
    const stray = (ds.negativeIds ?? []).filter((v) => v !== ignoreIndex);
    if (stray.length)
      errors.push(
        ignoreIndex === undefined
          ? `${ds.name} has targets ${stray.join(', ')} (padding), which are not class ids; set the loss's ignore_index to leave them out, e.g. loss = CrossEntropy(ignore_index=${stray[0]})`
          : `${ds.name} has targets ${stray.join(', ')}, which are not class ids and not the ignore_index ${ignoreIndex}`,
      );
  }
  return { ok: errors.length === 0, errors, sampleShape, notes };
}

/**
 * A dataset with several named inputs against the model inputs (decision 0008): bound by name,
 * each part's per-sample shape equal to the input's (symbolic dims take any size). `inputs`
 * include the batch axis. Returns the errors; none means every input is fed and every part used.
 */
export function checkPartsFit(
  ds: Dataset & { readonly parts: readonly DataPart[] },
  inputs: readonly { readonly name: string; readonly shape: ModelShape }[],
  modelName: string,
): string[] {
  const errors: string[] = [];
  const given = ds.parts.map((p) => p.name).join(', ');
  for (const io of inputs) {
    const p = ds.parts.find((q) => q.name === io.name);
    if (!p) {
      errors.push(
        `model input '${io.name}' of ${modelName} gets no data: ${ds.name} gives the inputs ${given}, bound to model inputs by name`,
      );
      continue;
    }
    const sample = io.shape.slice(1);
    const ok =
      sample.length === p.shape.length &&
      sample.every((d, i) => typeof d !== 'number' || d === p.shape[i]);
    if (!ok)
      errors.push(
        `${ds.name} gives '${p.name}' as samples of shape ${formatShape(p.shape)}, but ${modelName} takes ${io.name}: ${formatShape(io.shape)}`,
      );
  }
  for (const p of ds.parts)
    if (!inputs.some((io) => io.name === p.name))
      errors.push(
        `${ds.name} gives the input '${p.name}', but ${modelName} has no input of that name (inputs: ${inputs.map((i) => i.name).join(', ')})`,
      );
  return errors;
}
