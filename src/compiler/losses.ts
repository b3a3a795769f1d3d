/**
 * Losses and metrics (docs/conventions.md §5), built from primitives so that autodiff derives their
 * gradients; PyTorch semantics and defaults.
 *
 * Conventions:
 * - The class axis is the **last** axis (Dense acts on the last axis), so logits `[N, K]` or, for
 *   sequence models, `[N, T, K]`; class targets are int64 with the logits' shape minus the class
 *   axis (`[N]` or `[N, T]`). PyTorch puts the class axis at 1 (`[N, K, T]`); the values agree.
 * - Regression targets are float with the output's shape.
 * - `reduction="mean"` (default) averages over every element (regression losses, BCE) or every
 *   predicted position (class losses), as PyTorch does; `"sum"` adds them. Switching from sum to
 *   mean scales the effective SGD learning rate by 1/batch.
 * - `perSample` is the loss of each sample, `[N]`: with `mean`, `loss = mean(perSample)`; with
 *   `sum`, `loss = sum(perSample)`.
 */
import type { ResolvedCall } from '../language/checked';
import { LOSSES, type CallableSpec } from '../language/training';
import type { AttrValue } from '../layers/types';
import { ops, type Builder, type Ops, type Value } from '../primitives';

// ── call arguments ──────────────────────────────────────────────────────────────────────────

/** Typed access to a resolved call's arguments, with the spec's defaults filled in. */
export interface CallArgs {
  num(name: string): number;
  str(name: string): string;
  bool(name: string): boolean;
}

/**
 * Look `call` up in `list` and check its arguments: unknown names and unknown attributes throw,
 * omitted attributes take the spec's default, and a required attribute must be present.
 */
export function callArgs(
  list: readonly CallableSpec[],
  call: Pick<ResolvedCall, 'name' | 'args'>,
): CallArgs {
  const spec = list.find((s) => s.name === call.name);
  if (!spec)
    throw new Error(`unknown '${call.name}' (expected ${list.map((s) => s.name).join(', ')})`);
  for (const k of Object.keys(call.args))
    if (call.args[k] !== undefined && !spec.attrs.some((a) => a.name === k))
      throw new Error(`${call.name}: unknown attribute '${k}'`);
  const get = (name: string): AttrValue => {
    const a = spec.attrs.find((x) => x.name === name);
    if (!a) throw new Error(`${call.name}: no attribute '${name}'`);
    const v = call.args[name] ?? a.default;
    if (v === undefined) throw new Error(`${call.name}: missing required attribute '${name}'`);
    return v;
  };
  return {
    num(name) {
      const v = get(name);
      if (typeof v !== 'number') throw new Error(`${call.name}: ${name} must be a number`);
      return v;
    },
    str(name) {
      const v = get(name);
      if (typeof v !== 'string') throw new Error(`${call.name}: ${name} must be a string`);
      return v;
    },
    bool(name) {
      const v = get(name);
      if (typeof v !== 'boolean') throw new Error(`${call.name}: ${name} must be true or false`);
      return v;
    },
  };
}

// ── losses ──────────────────────────────────────────────────────────────────────────────────

export interface LossResult {
  /** The scalar loss. */
  readonly loss: Value;
  /** Per-sample loss `[N]` (see the module doc for how it relates to `loss`). */
  readonly perSample?: Value;
}

export interface LossOptions {
  /** Number of classes in the data (at most the logits' last axis K, when given). */
  readonly classes?: number;
}

const CLASS_LOSSES = new Set(['CrossEntropy', 'NLL', 'Hinge']);

/**
 * Build the loss of `outputs` (the model's outputs) against `target`.
 *
 * | loss | per element / position | notes |
 * |---|---|---|
 * | `MSE` | `(ŷ − y)²` | PyTorch `MSELoss` |
 * | `MAE` | `|ŷ − y|` (gradient `sign(ŷ − y)`, 0 at 0) | PyTorch `L1Loss` |
 * | `Huber(delta=1)` | `½e²` if `|e| ≤ δ`, else `δ·(|e| − ½δ)` | PyTorch `HuberLoss` (quadratic inside δ) |
 * | `CrossEntropy(label_smoothing=0, ignore_index)` | `−Σ_k q_k·log_softmax(x)_k`, `q = (1−ε)·onehot(y) + ε/K` | from logits; stable log-sum-exp; gradient `softmax − q`; positions labelled `ignore_index` count for nothing and the mean is over the others |
 * | `BCEWithLogits` | `softplus(x) − x·y` = `max(x,0) − x·y + log(1 + e^{−|x|})` | stable; gradient `σ(x) − y` |
 * | `NLL` | `−x_y` | input: log-probabilities (end the model with LogSoftmax) |
 * | `Hinge` | `Σ_{j≠y} max(0, 1 − x_y + x_j) / K` | PyTorch `MultiMarginLoss(p=1, margin=1)` |
 * | `VAELoss(recon="bce", beta=1)` | `recon_i + β·KL_i`, `KL_i = −½·Σ(1 + logvar − μ² − e^{logvar})` | outputs (recon logits, μ, logvar); both terms **summed** over each sample's elements, then **averaged** over the batch; no `reduction` attribute |
 *
 * All but VAELoss take `reduction` = `mean` (default: average over elements / positions) or `sum`.
 */
export function buildLoss(
  b: Builder,
  spec: ResolvedCall,
  outputs: readonly Value[],
  target: Value,
  opts: LossOptions = {},
): LossResult {
  const a = callArgs(LOSSES, spec);
  const o = ops(b);
  const x = outputs[0];
  if (!x) throw new Error(`${spec.name}: the model has no output`);
  if (spec.name === 'VAELoss') return vaeLoss(o, a, outputs, target);
  if (outputs.length !== 1)
    throw new Error(`${spec.name}: expects one model output, got ${outputs.length}`);
  const reduction = a.str('reduction') as 'mean' | 'sum';

  if (CLASS_LOSSES.has(spec.name)) {
    const { t: labels, K } = classTarget(o, spec.name, x, target, opts);
    const kept = keptPositions(o, spec, labels, x);
    // An ignored position's label may lie outside 0..K−1 (−100): look up class 0 there instead.
    const t = kept
      ? o.where(o.greater(kept, o.scalar(0, kept)), labels, o.scalar(0, labels))
      : labels;
    const onehot = oneHot(o, t, K, x);
    let e: Value; // per position: logits shape minus the class axis
    switch (spec.name) {
      case 'CrossEntropy': {
        const eps = a.num('label_smoothing');
        const q = eps === 0 ? onehot : o.add(o.scale(onehot, 1 - eps), o.scalar(eps / K, x));
        e = o.neg(o.reduceSum(o.mul(q, o.logSoftmax(x, -1)), [-1 + x.shape.length]));
        break;
      }
      case 'NLL':
        e = o.neg(o.reduceSum(o.mul(onehot, x), [x.shape.length - 1]));
        break;
      default: {
        // Hinge (MultiMarginLoss): the j = y term would be max(0, 1) = 1, so it is masked out.
        const last = x.shape.length - 1;
        const xy = o.reduceSum(o.mul(onehot, x), [last], true);
        const margins = o.relu(o.add(o.sub(o.scalar(1, x), xy), x));
        const mask = o.sub(o.scalar(1, x), onehot);
        e = o.scale(o.reduceSum(o.mul(margins, mask), [last]), 1 / K);
      }
    }
    return kept ? reduceKept(o, o.mul(e, kept), kept, reduction) : reduce(o, e, reduction);
  }

  const y = regressionTarget(o, spec.name, x, target);
  let e: Value;
  switch (spec.name) {
    case 'MSE': {
      const d = o.sub(x, y);
      e = o.mul(d, d);
      break;
    }
    case 'MAE':
      e = o.abs(o.sub(x, y));
      break;
    case 'Huber': {
      const delta = a.num('delta');
      const d = o.sub(x, y);
      const ad = o.abs(d);
      const quad = o.scale(o.mul(d, d), 0.5);
      const lin = o.scale(o.sub(ad, o.scalar(delta / 2, x)), delta);
      e = o.where(o.greater(ad, o.scalar(delta, x)), lin, quad);
      break;
    }
    case 'BCEWithLogits':
      e = bceWithLogits(o, x, y);
      break;
    default:
      throw new Error(`loss '${spec.name}' is not implemented`);
  }
  return reduce(o, e, reduction);
}

/**
 * `softplus(x) − x·y`, which equals the stable `max(x,0) − x·y + log(1 + e^{−|x|})`: ONNX
 * Softplus in onnxruntime is evaluated stably (softplus(100) = 100, softplus(−100) ≈ 0 in
 * float32), and its derivative σ(x) gives the exact gradient `σ(x) − y`, also at x = 0 (where the
 * `|x|` form's subgradients would give −y).
 */
function bceWithLogits(o: Ops, x: Value, y: Value): Value {
  return o.sub(o.softplus(x), o.mul(x, y));
}

/** Reduce per-element losses `e` (`[N, ...]`) to the scalar loss and the per-sample loss. */
function reduce(o: Ops, e: Value, reduction: 'mean' | 'sum'): LossResult {
  const rest = e.shape.map((_, i) => i).slice(1);
  if (reduction === 'sum')
    return { loss: o.reduceSum(e), perSample: rest.length ? o.reduceSum(e, rest) : e };
  return { loss: o.reduceMean(e), perSample: rest.length ? o.reduceMean(e, rest) : e };
}

/**
 * `ignore_index` (CrossEntropy, NLL): 1 at the positions whose label is not the ignored id, 0 at
 * the others, in the logits' dtype and the labels' shape. Undefined when no id is ignored.
 */
function keptPositions(
  o: Ops,
  spec: Pick<ResolvedCall, 'args'>,
  labels: Value,
  like: Value,
): Value | undefined {
  const ignore = spec.args['ignore_index'];
  if (typeof ignore !== 'number') return undefined;
  const drop = o.equal(labels, o.scalar(ignore, labels));
  return o.where(drop, o.scalar(0, like), o.scalar(1, like));
}

/**
 * Reduce per-position losses that are already 0 at ignored positions: `mean` divides by the kept
 * positions (per batch, and per sample for `perSample`), as PyTorch does; a batch or sample with
 * none kept gives 0 (PyTorch: NaN).
 */
function reduceKept(o: Ops, e: Value, kept: Value, reduction: 'mean' | 'sum'): LossResult {
  const rest = e.shape.map((_, i) => i).slice(1);
  const perSum = rest.length ? o.reduceSum(e, rest) : e;
  if (reduction === 'sum') return { loss: o.reduceSum(e), perSample: perSum };
  const atLeastOne = (n: Value) => o.maximum(n, o.scalar(1, n));
  const perCount = rest.length ? o.reduceSum(kept, rest) : kept;
  return {
    loss: o.div(o.reduceSum(e), atLeastOne(o.reduceSum(kept))),
    perSample: o.div(perSum, atLeastOne(perCount)),
  };
}

function classTarget(
  o: Ops,
  name: string,
  x: Value,
  target: Value,
  opts: LossOptions,
): { t: Value; K: number } {
  if (x.shape.length < 2)
    throw new Error(`${name}: expects scores [N, K] (class axis last), got [${x.shape}]`);
  const K = x.shape[x.shape.length - 1]!;
  // More scores than the data's classes is fine (ids that never occur, as with padding).
  if (opts.classes !== undefined && opts.classes > K)
    throw new Error(
      `${name}: the model gives ${K} scores per sample but the data has ${opts.classes} classes`,
    );
  if (target.dtype !== 'int64')
    throw new Error(`${name}: class targets must be int64 class indices, got ${target.dtype}`);
  const want = x.shape.slice(0, -1);
  const t = sameShape(target.shape, want)
    ? target
    : size(target.shape) === size(want)
      ? o.reshape(target, want)
      : undefined;
  if (!t)
    throw new Error(
      `${name}: targets [${target.shape}] do not match scores [${x.shape}] (want [${want}])`,
    );
  return { t, K };
}

function regressionTarget(o: Ops, name: string, x: Value, target: Value): Value {
  let y = target;
  if (!sameShape(y.shape, x.shape)) {
    if (size(y.shape) !== size(x.shape))
      throw new Error(`${name}: targets [${y.shape}] do not match outputs [${x.shape}]`);
    y = o.reshape(y, x.shape);
  }
  return y.dtype === x.dtype ? y : o.cast(y, x.dtype);
}

/** One-hot `[..., K]` of int64 class indices in the dtype of `like` (built in float32 and cast). */
function oneHot(o: Ops, t: Value, K: number, like: Value): Value {
  const h = o.oneHot(t, K, 'float32');
  return like.dtype === 'float32' ? h : o.cast(h, like.dtype);
}

function vaeLoss(o: Ops, a: CallArgs, outputs: readonly Value[], target: Value): LossResult {
  if (outputs.length !== 3)
    throw new Error(
      `VAELoss: expects the model to return (recon, mu, logvar), got ${outputs.length} outputs`,
    );
  const [recon, mu, logvar] = outputs as [Value, Value, Value];
  if (!sameShape(mu.shape, logvar.shape))
    throw new Error(`VAELoss: mu [${mu.shape}] and logvar [${logvar.shape}] differ`);
  const y = regressionTarget(o, 'VAELoss', recon, target);
  const d = o.sub(recon, y);
  const e = a.str('recon') === 'mse' ? o.mul(d, d) : bceWithLogits(o, recon, y);
  const perSampleSum = (v: Value) => {
    const rest = v.shape.map((_, i) => i).slice(1);
    return rest.length ? o.reduceSum(v, rest) : v;
  };
  const rec = perSampleSum(e);
  const one = o.scalar(1, mu);
  const klTerms = o.sub(o.sub(o.add(one, logvar), o.mul(mu, mu)), o.exp(logvar));
  const kl = o.scale(perSampleSum(klTerms), -0.5);
  const beta = a.num('beta');
  const per = beta === 0 ? rec : o.add(rec, beta === 1 ? kl : o.scale(kl, beta));
  return { loss: o.reduceMean(per), perSample: per };
}

// ── metrics ─────────────────────────────────────────────────────────────────────────────────

export interface Metrics {
  /** Fraction of correct predictions (classification losses). */
  readonly accuracy?: Value;
  /** Mean absolute error over all elements (regression losses). */
  readonly mae?: Value;
  /** Mean squared error over all elements (regression losses). */
  readonly mse?: Value;
}

/**
 * Metrics that fit the loss, as float32 scalars (not differentiated):
 * - CrossEntropy, NLL, Hinge: `accuracy` = mean over positions of `argmax(x) == y`, where argmax
 *   takes the **first** maximal index, as `torch.argmax` does (so all-equal logits count as class 0,
 *   not as correct for every class).
 * - BCEWithLogits: `accuracy` = mean over elements of `(x > 0) == (y > 0.5)`.
 * - MSE, MAE, Huber: `mae` and `mse` over all elements.
 * - VAELoss: none.
 */
export function buildMetrics(
  b: Builder,
  spec: ResolvedCall,
  outputs: readonly Value[],
  target: Value,
): Metrics {
  const o = ops(b);
  const x = outputs[0];
  if (!x || spec.name === 'VAELoss') return {};
  if (CLASS_LOSSES.has(spec.name)) {
    const { t } = classTarget(o, spec.name, x, target, {});
    const xf = x.dtype === 'float32' ? x : o.cast(x, 'float32');
    const pred = argmaxLast(o, xf);
    const hit = o.cast(o.equal(pred, o.cast(t, 'float32')), 'float32');
    const kept = keptPositions(o, spec, t, xf);
    if (!kept) return { accuracy: o.reduceMean(hit) };
    // Over the kept positions only.
    const n = o.maximum(o.reduceSum(kept), o.scalar(1, kept));
    return { accuracy: o.div(o.reduceSum(o.mul(hit, kept)), n) };
  }
  const y = regressionTarget(o, spec.name, x, target);
  if (spec.name === 'BCEWithLogits') {
    const p = o.greater(x, o.scalar(0, x));
    const l = o.greater(y, o.scalar(0.5, y));
    const hit = o.cast(o.equal(o.cast(p, 'float32'), o.cast(l, 'float32')), 'float32');
    return { accuracy: o.reduceMean(hit) };
  }
  const d = o.sub(x, y);
  const f32 = (v: Value) => (v.dtype === 'float32' ? v : o.cast(v, 'float32'));
  return { mae: f32(o.reduceMean(o.abs(d))), mse: f32(o.reduceMean(o.mul(d, d))) };
}

/**
 * First index of the maximum along the last axis, as float32 `[...]`: with `m = max(x)`, the score
 * `K − j` where `x_j = m` (else 0) is largest at the first maximal j.
 */
function argmaxLast(o: Ops, x: Value): Value {
  const last = x.shape.length - 1;
  const K = x.shape[last]!;
  const m = o.reduceMax(x, [last], true);
  const isMax = o.cast(o.equal(x, m), 'float32');
  const rev = o.constant(
    Array.from({ length: K }, (_, j) => K - j),
    [K],
  );
  return o.sub(o.scalar(K), o.reduceMax(o.mul(isMax, rev), [last]));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function size(s: readonly number[]): number {
  return s.reduce((p, d) => p * d, 1);
}
