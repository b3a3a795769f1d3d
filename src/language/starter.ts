/**
 * Training a model that has no train section yet: the datasets that fit it (the synthetic and
 * bundled ones, and the file's own `data` declarations), a matching loss, default optimizer
 * settings, and the text of a train section that uses them. The dashboard trains any checked
 * model with these (as TensorFlow Playground does), and the "Add train section" code action
 * writes the same text.
 *
 * Whether a dataset fits is decided by the checker itself: the candidate section is appended to
 * the file and checked, so the rules (input shapes, classes against the output, loss against the
 * task) live in one place, src/language/checkTrain.ts.
 */
import { describeValue, type AttrValue } from '../layers/types';
import type { CheckResult, CheckedModel, CheckedTrain } from './checked';
import { checkText, type Host } from './program';
import { DATASETS, type DatasetSpec } from './training';

export interface DataChoice {
  /** The dataset as the section writes it: `Digits`, `Gaussians(classes=10)`, or a declaration. */
  readonly text: string;
  /** The dataset (catalog) name: `Digits`, `Gaussians`, `Csv` for a declared Csv. */
  readonly dataset: string;
  /** Its arguments, as the trainer's dataset override takes them. */
  readonly args: Readonly<Record<string, AttrValue>>;
  /** Set for a `data name = …` declaration of the file. */
  readonly declared?: string;
  readonly summary: string;
  /** The loss that goes with it: CrossEntropy for class labels, MSE for real-valued targets. */
  readonly loss: string;
  readonly task: DatasetSpec['task'];
  /** Two input features (a model input of `[B, 2]`): the dashboard's decision boundary applies. */
  readonly twoD?: boolean;
  /** The starter section (trainSectionText) as the checker checked it; set by dataChoices. */
  readonly train?: CheckedTrain;
}

/** The optimizer, epochs and batch a starter section uses (PyTorch's Adam default rate). */
export const STARTER_SETTINGS = { optimizer: 'Adam(lr=1e-3)', epochs: 10, batch: 32 } as const;

/** `Name` or `Name(k=v, …)`. */
export function callText(name: string, args: Readonly<Record<string, AttrValue>> = {}): string {
  const parts = Object.entries(args).map(([k, v]) => `${k}=${describeValue(v)}`);
  return parts.length ? `${name}(${parts.join(', ')})` : name;
}

/** The loss a starter section uses for a dataset's task. */
export const lossFor = (task: DatasetSpec['task']): string =>
  task === 'regression' ? 'MSE' : 'CrossEntropy';

/** The text of a train section for `model` on `choice` (an indented block, no leading newline). */
export function trainSectionText(model: string, choice: Pick<DataChoice, 'text' | 'loss'>): string {
  const lines = [
    `train ${model} {`,
    `  data = ${choice.text}`,
    `  loss = ${choice.loss}`,
    `  optimizer = ${STARTER_SETTINGS.optimizer}`,
    `  epochs = ${STARTER_SETTINGS.epochs}`,
    `  batch = ${STARTER_SETTINGS.batch}`,
  ];
  if (choice.loss === 'CrossEntropy') lines.push('  metrics = [accuracy]');
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Candidates before the checker's verdict: catalog datasets that need no file, then declarations. */
function candidates(result: CheckResult, file: string, model: CheckedModel): DataChoice[] {
  const out: DataChoice[] = [];
  const out0 = model.outputs[0] && model.values[model.outputs[0].value]?.shape;
  const classes = out0?.[out0.length - 1]?.value;
  const inShape = model.inputs[0] && model.values[model.inputs[0].value]?.shape;
  const sample = inShape?.slice(1).map((d) => d.value);
  for (const spec of DATASETS) {
    if (spec.kind === 'file') continue;
    // A dataset with a class count follows the model's output (`Gaussians(classes=10)`); an image
    // dataset follows the input's channels and square size. Defaults are left unwritten.
    const wanted: Record<string, number | undefined> = {
      classes: classes !== undefined && classes >= 2 ? classes : undefined,
      channels: sample?.length === 3 && sample[1] === sample[2] ? sample[0] : undefined,
      size: sample?.length === 3 && sample[1] === sample[2] ? sample[1] : undefined,
    };
    const args: Record<string, AttrValue> = {};
    for (const a of spec.attrs) {
      const v = wanted[a.name];
      if (v !== undefined && v !== a.default) args[a.name] = v;
    }
    const targets = spec.targets(args);
    if (
      spec.task === 'regression' &&
      targets !== undefined &&
      classes !== undefined &&
      targets !== classes
    )
      continue;
    // Cheap filter: the per-sample shapes the dataset gives must include the model's.
    const shapes = spec.inputShapes(args);
    if (
      shapes &&
      sample &&
      sample.every((d) => d !== undefined) &&
      !shapes.some((s) => s.length === sample.length && s.every((d, i) => d === sample[i]))
    )
      continue;
    out.push({
      text: callText(spec.name, args),
      dataset: spec.name,
      args,
      summary: spec.summary,
      loss: lossFor(spec.task),
      task: spec.task,
    });
  }
  const src = result.files.get(file);
  for (const item of src?.items ?? []) {
    if (item.kind !== 'Data') continue;
    const callee =
      item.value.kind === 'Call'
        ? item.value.callee.name
        : item.value.kind === 'Name'
          ? item.value.name
          : undefined;
    const spec = DATASETS.find((d) => d.name === callee);
    if (!spec) continue;
    out.push({
      text: item.name.name,
      dataset: spec.name,
      args: {},
      declared: item.name.name,
      summary: `${item.name.name} = ${src!.text.slice(item.value.span.start, item.value.span.end)}`,
      loss: lossFor(spec.task),
      task: spec.task,
    });
  }
  return out;
}

/** Check the file with `section` appended: the section's train, or the first error in it. */
export function checkWithSection(
  result: CheckResult,
  file: string,
  section: string,
  host: Host,
  base: string = result.files.get(file)?.text ?? '',
): { train?: CheckedTrain; error?: string; result: CheckResult } {
  const text = base;
  const sep = text.endsWith('\n') ? '\n' : '\n\n';
  const start = text.length + sep.length;
  const r = checkText(file, text + sep + section, host);
  const error = r.diagnostics.find(
    (d) => d.severity === 'error' && d.file === file && d.span.start >= start,
  );
  const train = r.trains.find((t) => t.file === file && t.span.start >= start);
  return { ...(train ? { train } : {}), ...(error ? { error: error.message } : {}), result: r };
}

/**
 * The datasets `model` can train on without a train section, each with its loss: those whose
 * section the checker accepts: the file's declarations, then bundled data, then synthetic data.
 */
export function dataChoices(
  result: CheckResult,
  file: string,
  modelName: string,
  host: Host,
): DataChoice[] {
  return fitting(result, file, modelName, host);
}

/**
 * The datasets the dashboard can switch a model's own train section to (the trainer's dataset
 * override keeps the section's loss and settings): the same fit decision as dataChoices, with
 * each candidate checked under the section's loss and the section itself taken out of the file.
 */
export function sectionDataChoices(
  result: CheckResult,
  file: string,
  train: CheckedTrain,
  host: Host,
): DataChoice[] {
  const text = result.files.get(file)?.text ?? '';
  if (train.file !== file || !train.loss) return [];
  const base =
    text.slice(0, train.span.start) +
    ' '.repeat(train.span.end - train.span.start) +
    text.slice(train.span.end);
  const args = Object.fromEntries(
    Object.entries(train.loss.args).filter(([, v]) => v !== undefined),
  ) as Record<string, AttrValue>;
  const loss = callText(train.loss.name, args);
  return fitting(result, file, train.model, host, { base, loss });
}

function fitting(
  result: CheckResult,
  file: string,
  modelName: string,
  host: Host,
  opts: { base?: string; loss?: string } = {},
): DataChoice[] {
  const model = result.models.find((m) => m.name === modelName);
  if (!model?.ok || model.inputs.length !== 1) return [];
  const inShape = model.values[model.inputs[0]!.value]?.shape;
  const twoD = inShape?.length === 2 && inShape[1]?.value === 2;
  // The file's own declarations first, then bundled real data, then synthetic data.
  const rank = (c: DataChoice): number =>
    c.declared ? 0 : DATASETS.find((d) => d.name === c.dataset)?.kind === 'bundled' ? 1 : 2;
  const out: DataChoice[] = [];
  for (const c0 of candidates(result, file, model)) {
    const c = opts.loss ? { ...c0, loss: opts.loss } : c0;
    const checked = checkWithSection(result, file, trainSectionText(modelName, c), host, opts.base);
    if (checked.error || !checked.train?.data) continue;
    // the resolved arguments: a declaration's call (`Npy(x="x.npy", y="y.npy")`) for the trainer
    const args = Object.fromEntries(
      Object.entries(checked.train.data.args).filter(([, v]) => v !== undefined),
    ) as Record<string, AttrValue>;
    out.push({
      ...c,
      ...(c.declared ? { args } : {}),
      ...(twoD ? { twoD: true } : {}),
      train: checked.train,
    });
  }
  return out.sort((a, b) => rank(a) - rank(b));
}
