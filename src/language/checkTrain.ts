/** Validates `data` declarations and `train` sections against training.ts and the checked models. */
import { formatShape, quoteText, type Fix, type Span } from '../core';
import type { Code } from '../core/codes';
import { didYouMean } from '../core/suggest';
import type { AttrValue } from '../layers/types';
import { resolveCallArgs } from './args';
import type { CallExpr, DataItem, Expr, TrainItem } from './ast';
import type { CheckedModel, CheckedTrain, ResolvedCall } from './checked';
import { EvalError, describeValue, evalExpr } from './eval';
import { isInside, resolveRelative } from './paths';
import type { FileProblem } from './program';
import {
  DATASETS,
  EARLY_STOPPING,
  LOSSES,
  METRICS,
  OPTIMIZERS,
  SCHEDULES,
  SETTINGS,
  findSpec,
  type CallableSpec,
  type DatasetSpec,
} from './training';

export type TrainReporter = (
  code: Code,
  span: Span,
  message: string,
  opts?: { fixes?: Fix[]; severity?: 'warning' },
) => void;

const noConsts = { lookup: () => undefined };

function unknownName(kind: string, name: string, list: readonly { name: string }[]): string {
  const sug = didYouMean(
    name,
    list.map((s) => s.name),
  );
  return `unknown ${kind} '${name}'${sug ? `; did you mean '${sug}'?` : ''} (known: ${list.map((s) => s.name).join(', ')})`;
}

/** Resolve a call such as `Adam(lr=1e-3)` or a bare name `Adam` against a spec list. */
function resolveSpecCall<T extends CallableSpec>(
  expr: Expr,
  list: readonly T[],
  kind: string,
  report: TrainReporter,
): { spec: T; call: ResolvedCall } | undefined {
  let callee: { name: string; span: Span };
  let args: CallExpr['args'] = [];
  if (expr.kind === 'Call') {
    callee = { name: expr.callee.name, span: expr.callee.span };
    args = expr.args;
  } else if (expr.kind === 'Name') callee = { name: expr.name, span: expr.span };
  else {
    if (expr.kind !== 'Missing')
      report('DLM201', expr.span, `expected a ${kind}, e.g. ${list[0]!.name}(…)`);
    return undefined;
  }
  const spec = findSpec(list, callee.name);
  if (!spec) {
    const sug = didYouMean(
      callee.name,
      list.map((s) => s.name),
    );
    report('DLM200', callee.span, unknownName(kind, callee.name, list), {
      fixes: sug
        ? [
            {
              title: `Change to '${sug}'`,
              edits: [{ span: callee.span, newText: sug }],
              preferred: true,
            },
          ]
        : undefined,
    });
    return undefined;
  }
  const r = resolveCallArgs(spec, args, noConsts, callee.span, (code, span, message, fixes) =>
    report(code, span, message, { fixes }),
  );
  if (!r) return undefined;
  return { spec, call: { name: spec.name, args: r.values, span: expr.span } };
}

/**
 * A `schedule` value. Warmup's `after` (keyword, or its second positional argument) is itself a
 * schedule, the one that follows the warm-up: Step, Exponential or Cosine.
 */
function resolveSchedule(expr: Expr, report: TrainReporter): ResolvedCall | undefined {
  const i =
    expr.kind === 'Call' && expr.callee.name === 'Warmup'
      ? expr.args.findIndex((a, k) => a.name?.name === 'after' || (!a.name && k === 1))
      : -1;
  if (expr.kind !== 'Call' || i < 0)
    return resolveSpecCall(expr, SCHEDULES, 'schedule', report)?.call;
  const afterExpr = expr.args[i]!.value;
  const warm = resolveSpecCall(
    { ...expr, args: expr.args.filter((_, k) => k !== i) },
    SCHEDULES,
    'schedule',
    report,
  )?.call;
  const afterName =
    afterExpr.kind === 'Call'
      ? afterExpr.callee.name
      : afterExpr.kind === 'Name'
        ? afterExpr.name
        : undefined;
  if (afterName === 'Warmup') {
    report(
      'DLM201',
      afterExpr.span,
      "Warmup's 'after' is the schedule that follows the warm-up: Step, Exponential or Cosine",
    );
    return undefined;
  }
  const after = resolveSpecCall(afterExpr, SCHEDULES, 'schedule', report)?.call;
  return warm && after ? { ...warm, after } : undefined;
}

export interface DataCheck {
  readonly spec: DatasetSpec;
  readonly call: ResolvedCall;
}

/** The data file paths a resolved dataset call names, as written (relative to its .dlm file). */
export function datasetFiles(call: ResolvedCall): string[] {
  const out: string[] = [];
  for (const attr of findSpec(DATASETS, call.name)?.pathAttrs ?? []) {
    const v = call.args[attr];
    if (typeof v === 'string') out.push(v);
  }
  return out;
}

/** Check a dataset call; file paths must resolve inside the workspace (and exist, when known). */
export function checkDataset(
  expr: Expr,
  file: string,
  root: string,
  report: TrainReporter,
  exists?: (path: string) => boolean | FileProblem,
): DataCheck | undefined {
  const r = resolveSpecCall(expr, DATASETS, 'dataset', report);
  if (!r) return undefined;
  const argOf = (attr: string) =>
    expr.kind === 'Call'
      ? expr.args.find(
          (a, i) => a.name?.name === attr || (!a.name && r.spec.positional[i] === attr),
        )
      : undefined;
  const problems = r.spec.validate?.(r.call.args) ?? [];
  for (const p of problems) report('DLM210', argOf(p.attr)?.value.span ?? expr.span, p.message);
  if (problems.length) return undefined;
  for (const attr of r.spec.pathAttrs ?? []) {
    const v = r.call.args[attr];
    if (typeof v !== 'string') continue;
    const abs = resolveRelative(file, v);
    const arg = argOf(attr);
    if (!isInside(root, abs) || /^[a-zA-Z]+:/.test(v)) {
      report(
        'DLM203',
        arg?.span ?? expr.span,
        `data file ${quoteText(v)} resolves outside the workspace; paths must be relative and stay inside the workspace folder`,
      );
      continue;
    }
    if (!exists) continue;
    const status = exists(abs);
    if (typeof status === 'object')
      report(status.code, arg?.span ?? expr.span, `data file '${v}': ${status.message}`);
    else if (!status) {
      report(
        'DLM206',
        arg?.span ?? expr.span,
        `data file ${quoteText(v)} does not exist (looked for ${quoteText(abs)}); training will fail until it is there`,
      );
    }
  }
  return r;
}

export function checkDataItem(
  item: DataItem,
  file: string,
  root: string,
  report: TrainReporter,
  exists?: (path: string) => boolean | FileProblem,
): DataCheck | undefined {
  return checkDataset(item.value, file, root, report, exists);
}

export function checkTrainItem(
  item: TrainItem,
  file: string,
  root: string,
  models: ReadonlyMap<string, CheckedModel>,
  dataDecls: ReadonlyMap<string, { check?: DataCheck; span: Span }>,
  report: TrainReporter,
  exists?: (path: string) => boolean | FileProblem,
): CheckedTrain | undefined {
  const model = models.get(item.model.name);
  if (!model) {
    const sug = didYouMean(item.model.name, [...models.keys()]);
    report(
      'DLM202',
      item.model.span,
      `train section names unknown model '${item.model.name}'${sug ? `; did you mean '${sug}'?` : ''}`,
      {
        fixes: sug
          ? [
              {
                title: `Change to '${sug}'`,
                edits: [{ span: item.model.span, newText: sug }],
                preferred: true,
              },
            ]
          : undefined,
      },
    );
  }
  const seen = new Map<string, Span>();
  const settings = new Map<string, Expr>();
  for (const st of item.body.stmts) {
    if (st.kind !== 'Setting') {
      report('DLM201', st.span, 'a train section holds settings of the form key = value');
      continue;
    }
    const key = st.key.name;
    if (!SETTINGS.some((s) => s.name === key)) {
      const sug = didYouMean(
        key,
        SETTINGS.map((s) => s.name),
      );
      report(
        'DLM201',
        st.key.span,
        `unknown training setting '${key}'${sug ? `; did you mean '${sug}'?` : ''}`,
        {
          fixes: sug
            ? [
                {
                  title: `Change to '${sug}'`,
                  edits: [{ span: st.key.span, newText: sug }],
                  preferred: true,
                },
              ]
            : undefined,
        },
      );
      continue;
    }
    if (seen.has(key)) {
      report('DLM205', st.key.span, `setting '${key}' is given twice`);
      continue;
    }
    seen.set(key, st.key.span);
    settings.set(key, st.value);
  }

  const num = (
    key: string,
    def: number,
    opts: { int?: boolean; min?: number; max?: number; maxExclusive?: boolean },
  ): number => {
    const e = settings.get(key);
    if (!e) return def;
    let v: AttrValue;
    try {
      v = evalExpr(e, noConsts);
    } catch (err) {
      if (err instanceof EvalError) report('DLM201', err.span, err.message);
      return def;
    }
    const bad =
      typeof v !== 'number' ||
      (opts.int && !Number.isInteger(v)) ||
      (opts.min !== undefined && v < opts.min) ||
      (opts.max !== undefined && (opts.maxExclusive ? v >= opts.max : v > opts.max));
    if (bad) {
      const range = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` and ${opts.maxExclusive ? '<' : '≤'} ${opts.max}` : ''}`;
      report('DLM201', e.span, `${key} must be ${range}, got ${describeValue(v)}`);
      return def;
    }
    return v as number;
  };
  const bool = (key: string, def: boolean): boolean => {
    const e = settings.get(key);
    if (!e) return def;
    if (e.kind !== 'Bool') {
      report('DLM201', e.span, `${key} must be true or false`);
      return def;
    }
    return e.value;
  };

  // data
  let data: CheckedTrain['data'];
  const dataExpr = settings.get('data');
  let dataCheck: DataCheck | undefined;
  if (!dataExpr)
    report(
      'DLM205',
      item.model.span,
      `train section for '${item.model.name}' needs a data setting, e.g. data = Spiral(points=600)`,
    );
  else if (dataExpr.kind === 'Name' && !findSpec(DATASETS, dataExpr.name)) {
    const decl = dataDecls.get(dataExpr.name);
    if (!decl) {
      const sug = didYouMean(dataExpr.name, [...dataDecls.keys(), ...DATASETS.map((d) => d.name)]);
      report(
        'DLM016',
        dataExpr.span,
        `'${dataExpr.name}' is not a data declaration or dataset${sug ? `; did you mean '${sug}'?` : ''}`,
        {
          fixes: sug
            ? [
                {
                  title: `Change to '${sug}'`,
                  edits: [{ span: dataExpr.span, newText: sug }],
                  preferred: true,
                },
              ]
            : undefined,
        },
      );
    } else if (decl.check) {
      dataCheck = decl.check;
      data = { ...decl.check.call, declName: dataExpr.name };
    }
  } else {
    dataCheck = checkDataset(dataExpr, file, root, report, exists);
    if (dataCheck) data = dataCheck.call;
  }

  if (model && dataCheck && dataExpr) checkInputBinding(model, dataCheck, dataExpr.span, report);

  // loss
  const lossExpr = settings.get('loss');
  let loss: ResolvedCall | undefined;
  if (!lossExpr)
    report(
      'DLM205',
      item.model.span,
      `train section for '${item.model.name}' needs a loss setting, e.g. loss = CrossEntropy`,
    );
  else {
    const r = resolveSpecCall(lossExpr, LOSSES, 'loss', report);
    if (r) {
      loss = r.call;
      const reconstruct = (() => {
        const t = settings.get('target');
        return t?.kind === 'Name' && t.name === 'input';
      })();
      if (model && !reconstruct)
        checkLossFit(r.spec.name, r.spec.expects, model, dataCheck, lossExpr.span, report);
    }
  }

  // optimizer
  const optExpr = settings.get('optimizer');
  let optimizer: ResolvedCall = {
    name: 'Adam',
    args: { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
    span: item.span,
  };
  if (optExpr) {
    const r = resolveSpecCall(optExpr, OPTIMIZERS, 'optimizer', report);
    if (r) {
      optimizer = r.call;
      const lr = r.call.args.lr as number;
      const [lo, hi] = r.spec.lrRange;
      if (lr > 0 && (lr < lo || lr > hi))
        report(
          'DLM307',
          r.call.span,
          `lr=${lr} is far outside ${r.spec.name}'s usual range [${lo}, ${hi}]; ${lr > hi ? 'training will likely diverge' : 'training will barely move'}`,
        );
      if (lr === 0)
        report('DLM307', r.call.span, `lr=0: ${r.spec.name} will not change any weight`);
    }
  }

  // schedule
  let schedule: ResolvedCall | undefined;
  const schedExpr = settings.get('schedule');
  if (schedExpr) schedule = resolveSchedule(schedExpr, report);

  // early stopping
  let earlyStopping: CheckedTrain['earlyStopping'];
  const esExpr = settings.get('early_stopping');
  if (esExpr) {
    if (esExpr.kind === 'Number') {
      const p = num('early_stopping', 0, { int: true, min: 1 });
      if (p > 0) earlyStopping = { patience: p, minDelta: 0 };
    } else {
      const r = resolveSpecCall(esExpr, [EARLY_STOPPING], 'early stopping rule', report);
      if (r)
        earlyStopping = {
          patience: r.call.args.patience as number,
          minDelta: r.call.args.min_delta as number,
        };
    }
  }

  // metrics
  const metrics: string[] = [];
  const mExpr = settings.get('metrics');
  if (mExpr) {
    const items = mExpr.kind === 'List' || mExpr.kind === 'Tuple' ? mExpr.items : [mExpr];
    for (const m of items) {
      const name = m.kind === 'Name' ? m.name : m.kind === 'String' ? m.value : undefined;
      if (!name) {
        report('DLM201', m.span, 'metrics are names such as accuracy');
        continue;
      }
      if (!METRICS.some((x) => x.name === name)) {
        report('DLM200', m.span, unknownName('metric', name, METRICS));
        continue;
      }
      metrics.push(name);
    }
  }

  // target
  let target: 'labels' | 'input' = 'labels';
  const tExpr = settings.get('target');
  if (tExpr) {
    const name = tExpr.kind === 'Name' ? tExpr.name : tExpr.kind === 'String' ? tExpr.value : '';
    if (name === 'input' || name === 'labels') target = name;
    else
      report(
        'DLM201',
        tExpr.span,
        "target must be labels (the dataset's targets) or input (reconstruct the input)",
      );
  }
  if (target === 'input' && model && lossExpr) {
    const lossName =
      lossExpr.kind === 'Call'
        ? lossExpr.callee.name
        : lossExpr.kind === 'Name'
          ? lossExpr.name
          : '';
    if (!['MSE', 'MAE', 'Huber', 'BCEWithLogits'].includes(lossName))
      report(
        'DLM204',
        lossExpr.span,
        `target = input reconstructs the input; use MSE, MAE, Huber or BCEWithLogits, not ${lossName}`,
      );
    const inS = model.values[model.inputs[0]?.value ?? 0]?.shape;
    const outS =
      model.outputs.length === 1 ? model.values[model.outputs[0]!.value]?.shape : undefined;
    if (inS && outS && formatShape(inS) !== formatShape(outS))
      report(
        'DLM204',
        tExpr!.span,
        `target = input needs the output to have the input's shape, but ${model.name} maps ${formatShape(inS)} to ${formatShape(outS)}`,
      );
  }

  const clipExpr = settings.get('clip');
  return {
    model: item.model.name,
    file,
    span: item.span,
    data,
    loss,
    optimizer,
    epochs: num('epochs', 10, { int: true, min: 1 }),
    batch: num('batch', 32, { int: true, min: 1 }),
    validation: num('validation', 0.2, { min: 0, max: 1, maxExclusive: true }),
    seed: num('seed', 0, { int: true }),
    earlyStopping,
    schedule,
    clip: clipExpr ? num('clip', 0, { min: 0 }) || undefined : undefined,
    l1: num('l1', 0, { min: 0 }),
    l2: num('l2', 0, { min: 0 }),
    metrics,
    shuffle: bool('shuffle', true),
    dropLast: bool('drop_last', false),
    target,
  };
}

/**
 * Model inputs are bound to a dataset's named inputs by name (decision 0008): every model input
 * needs one (DLM130), every named input should feed one (DLM131), and their per-sample shapes
 * must agree where both are known (DLM132). A dataset without named inputs feeds a one-input model.
 */
function checkInputBinding(
  model: CheckedModel,
  data: DataCheck,
  span: Span,
  report: TrainReporter,
): void {
  const fields = data.spec.fields?.(data.call.args);
  const names = model.inputs.map((io) => io.name);
  if (!fields) {
    if (data.spec.fieldsFromFile?.(data.call.args)) return;
    if (model.inputs.length > 1)
      report(
        'DLM130',
        span,
        `${model.name} takes ${names.length} inputs (${names.join(', ')}), but ${data.spec.name} gives one input tensor; use a dataset with named inputs, such as Sequences(…), Csv(…, inputs=(…)) with a column group per input, or Npy(x="….npz"), whose inputs are bound to the model inputs of the same names`,
      );
    return;
  }
  const given = fields.map((f) => f.name).join(', ');
  for (const io of model.inputs) {
    const f = fields.find((x) => x.name === io.name);
    if (!f) {
      report(
        'DLM130',
        span,
        `model input '${io.name}' of ${model.name} gets no data: ${data.spec.name} gives the inputs ${given}, bound to model inputs by name; rename the input to one of them`,
      );
      continue;
    }
    const shape = model.values[io.value]?.shape;
    const width = f.shape;
    if (!shape || !width) continue;
    const sample = shape.slice(1);
    const same =
      sample.length === width.length &&
      sample.every((d, i) => d.value === undefined || d.value === width[i]);
    if (!same)
      report(
        'DLM132',
        span,
        `${data.spec.name} gives '${f.name}' as samples of shape [${width.join(', ')}], but ${model.name} takes ${io.name}: ${formatShape(shape)}`,
      );
  }
  for (const f of fields)
    if (!names.includes(f.name))
      report(
        'DLM131',
        span,
        `${data.spec.name} gives the input '${f.name}', but ${model.name} has no input of that name (inputs: ${names.join(', ')}), so it is not used`,
      );
}

/** The loss must fit the model outputs and the dataset (classes, features) where both are known. */
function checkLossFit(
  lossName: string,
  expects: string,
  model: CheckedModel,
  data: DataCheck | undefined,
  span: Span,
  report: TrainReporter,
): void {
  const outShapes = model.outputs.map((o) => model.values[o.value]!.shape);
  if (expects === 'vae') {
    if (model.outputs.length !== 3)
      report(
        'DLM204',
        span,
        `${lossName} needs a model that returns (recon, mu, logvar); ${model.name} returns ${model.outputs.length} output${model.outputs.length === 1 ? '' : 's'}`,
      );
    return;
  }
  if (model.outputs.length !== 1) {
    report(
      'DLM204',
      span,
      model.outputs.length > 1
        ? `${lossName} needs a model with one output; ${model.name} returns ${model.outputs.length} (${model.outputs.map((o) => o.name).join(', ')}). To train on one of them, make the body a block and train a model that binds its outputs and returns that one: (${model.outputs.map((o, i) => (i === 0 ? o.name : `_${o.name}`)).join(', ')}) = x |> Body, then ${model.outputs[0]!.name}`
        : `${lossName} needs a model with one output; ${model.name} returns none`,
    );
    return;
  }
  const out = outShapes[0];
  if (!out) return;
  const inShape = model.values[model.inputs[0]?.value ?? 0]?.shape;
  if (data && inShape) {
    const accepted = data.spec.inputShapes(data.call.args);
    const sample = inShape.slice(1);
    if (accepted && sample.every((d) => d.value !== undefined)) {
      const dims = sample.map((d) => d.value!);
      if (!accepted.some((a) => a.length === dims.length && a.every((x, i) => x === dims[i]))) {
        report(
          'DLM204',
          span,
          `${data.spec.name} gives samples of shape ${accepted.map((a) => `[${a.join(', ')}]`).join(' or ')}, but ${model.name} takes ${formatShape(inShape)}`,
        );
      }
    }
  }
  if (
    data &&
    (expects === 'logits' || expects === 'log_probs') &&
    data.spec.task === 'classification'
  ) {
    const k = data.spec.targets(data.call.args);
    const last = out[out.length - 1]?.value;
    if (k !== undefined && last !== undefined && lossName !== 'BCEWithLogits' && last !== k)
      report(
        'DLM204',
        span,
        `${data.spec.name} has ${k} classes, but ${model.name} outputs ${formatShape(out)} (${last} scores per sample)`,
      );
  }
  if (data && data.spec.task === 'regression' && (expects === 'logits' || expects === 'log_probs'))
    report(
      'DLM204',
      span,
      `${lossName} is a classification loss, but ${data.spec.name} is a regression dataset; use MSE, MAE or Huber`,
    );
  if (
    data &&
    data.spec.task === 'classification' &&
    (lossName === 'MSE' || lossName === 'MAE' || lossName === 'Huber')
  )
    report(
      'DLM204',
      span,
      `${lossName} is a regression loss, but ${data.spec.name} has class labels; use CrossEntropy`,
      { severity: 'warning' },
    );
}
