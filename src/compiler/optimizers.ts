/**
 * Optimizer updates, penalties and gradient clipping (docs/conventions.md §6), built into the
 * training-step graph with PyTorch 1.13 semantics and defaults (`torch.optim`, single-tensor
 * path). The optimizer state is ordinary graph inputs and outputs: the trainer feeds the state it
 * got from the previous step.
 *
 * One step, in PyTorch's order (the assembler of the step graph follows it):
 * 1. `objective = loss + penalties(params, {l1, l2})`
 * 2. `grads = ∇objective`
 * 3. `clipByGlobalNorm(grads, clip)` when `clip` is set
 * 4. `buildOptimizerUpdate(params, grads, state, {lr})` (weight decay is applied here, after
 *    clipping, as in `optimizer.step()`).
 *
 * Equations (g is the gradient, t the 1-based step):
 * - SGD: `g ← g + wd·θ`; with momentum μ > 0: `v ← μ·v + g` (v₀ = 0, so the first step sets
 *   v = g: PyTorch's clone, no dampening); Nesterov `θ ← θ − lr·(g + μ·v)`, else `θ ← θ − lr·v`;
 *   without momentum `θ ← θ − lr·g`.
 * - AdaGrad (eps 1e-10, lr_decay 0, initial accumulator 0): `g ← g + wd·θ`, `s ← s + g²`,
 *   `θ ← θ − lr·g/(√s + ε)`.
 * - RMSProp (α 0.99, eps 1e-8, not centered): `g ← g + wd·θ`, `s ← α·s + (1−α)·g²`,
 *   `a = √s + ε` (ε outside the root); momentum μ > 0: `b ← μ·b + g/a`, `θ ← θ − lr·b`; else
 *   `θ ← θ − lr·g/a`.
 * - Adam (β1 0.9, β2 0.999, eps 1e-8): `g ← g + wd·θ` (L2, coupled), `m ← β1·m + (1−β1)·g`,
 *   `v ← β2·v + (1−β2)·g²`, `θ ← θ − (lr/(1−β1ᵗ))·m/(√v/√(1−β2ᵗ) + ε)`, which is
 *   `θ − lr·m̂/(√v̂ + ε)` evaluated in PyTorch's order.
 * - AdamW (wd 0.01): `θ ← θ·(1 − lr·wd)` (decoupled), then the Adam step without L2.
 *
 * The bias corrections `1 − βᵗ` are computed in float64 inside the graph (PyTorch computes them
 * in Python doubles): in float32, `1 − 0.999¹` would lose about 1e-4 of its relative precision.
 */
import type { ResolvedCall } from '../language/checked';
import { OPTIMIZERS } from '../language/training';
import { ops, type Builder, type Ops, type Value } from '../primitives';
import { callArgs } from './losses';

export interface StateTensorSpec {
  /** Input/output name stem, e.g. `p0_exp_avg` or `step`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: 'zeros';
  /** The parameter this tensor belongs to (absent for the step counter). */
  readonly param?: number;
  /** PyTorch's state key: momentum_buffer, sum, square_avg, exp_avg, exp_avg_sq, step. */
  readonly key: string;
}

/** PyTorch state keys per parameter tensor, in the order they appear in the state list. */
function stateKeys(spec: ResolvedCall): string[] {
  const a = callArgs(OPTIMIZERS, spec);
  switch (spec.name) {
    case 'SGD':
      return a.num('momentum') > 0 ? ['momentum_buffer'] : [];
    case 'AdaGrad':
      return ['sum'];
    case 'RMSProp':
      return a.num('momentum') > 0 ? ['square_avg', 'momentum_buffer'] : ['square_avg'];
    case 'Adam':
    case 'AdamW':
      return ['exp_avg', 'exp_avg_sq'];
    default:
      throw new Error(`optimizer '${spec.name}' is not implemented`);
  }
}

/**
 * The optimizer state: for each parameter in order, its state tensors (same shape as the
 * parameter, all zeros initially), then one scalar float32 `step` counter (the number of updates
 * applied so far; starts at 0).
 */
export function optimizerStateSpec(
  spec: ResolvedCall,
  paramShapes: readonly (readonly number[])[],
): StateTensorSpec[] {
  const keys = stateKeys(spec);
  const out: StateTensorSpec[] = [];
  paramShapes.forEach((shape, i) => {
    for (const key of keys)
      out.push({ name: `p${i}_${key}`, shape: [...shape], init: 'zeros', param: i, key });
  });
  out.push({ name: 'step', shape: [], init: 'zeros', key: 'step' });
  return out;
}

export interface Hyper {
  /** The learning rate of this step (a scalar graph input, so schedules need no new graph). */
  readonly lr: Value;
  /**
   * Optional: the 1-based index t of this update. When omitted (the usual case), t is the
   * state's step counter + 1. Either way the returned counter is t.
   */
  readonly step?: Value;
}

export interface OptimizerUpdate {
  readonly newParams: Value[];
  /** Same order as {@link optimizerStateSpec}: per-parameter tensors, then the step counter. */
  readonly newState: Value[];
}

/**
 * The update of every parameter. `state` is in the order of {@link optimizerStateSpec}; `grads`
 * are the (already clipped) gradients of the objective. Scalars (lr, step) may be float32 for
 * float64 parameters; they are cast.
 */
export function buildOptimizerUpdate(
  b: Builder,
  spec: ResolvedCall,
  params: readonly Value[],
  grads: readonly Value[],
  state: readonly Value[],
  hyper: Hyper,
): OptimizerUpdate {
  const o = ops(b);
  const a = callArgs(OPTIMIZERS, spec);
  const keys = stateKeys(spec);
  if (grads.length !== params.length)
    throw new Error(`${spec.name}: ${params.length} parameters but ${grads.length} gradients`);
  const want = params.length * keys.length + 1;
  if (state.length !== want)
    throw new Error(`${spec.name}: expected ${want} state tensors, got ${state.length}`);
  const counter = state[state.length - 1]!;
  const t = hyper.step ?? o.add(counter, o.scalar(1, counter));
  const tOut = t.dtype === counter.dtype ? t : o.cast(t, counter.dtype);
  const newParams: Value[] = [];
  const newState: Value[] = [];
  const wd = a.num('weight_decay');

  params.forEach((p, i) => {
    const s = state.slice(i * keys.length, (i + 1) * keys.length);
    const lr = like(o, hyper.lr, p);
    let g = grads[i]!;
    const decoupled = spec.name === 'AdamW';
    if (wd !== 0 && !decoupled) g = o.add(g, o.scale(p, wd));
    switch (spec.name) {
      case 'SGD': {
        const mu = a.num('momentum');
        let d = g;
        if (mu > 0) {
          const v = o.add(o.scale(s[0]!, mu), g);
          newState.push(v);
          d = a.bool('nesterov') ? o.add(g, o.scale(v, mu)) : v;
        }
        newParams.push(o.sub(p, o.mul(lr, d)));
        break;
      }
      case 'AdaGrad': {
        const sum = o.add(s[0]!, o.mul(g, g));
        newState.push(sum);
        const std = o.add(o.sqrt(sum), o.scalar(a.num('eps'), p));
        newParams.push(o.sub(p, o.mul(lr, o.div(g, std))));
        break;
      }
      case 'RMSProp': {
        const alpha = a.num('alpha');
        const mu = a.num('momentum');
        const sq = o.add(o.scale(s[0]!, alpha), o.scale(o.mul(g, g), 1 - alpha));
        newState.push(sq);
        const avg = o.add(o.sqrt(sq), o.scalar(a.num('eps'), p));
        if (mu > 0) {
          const buf = o.add(o.scale(s[1]!, mu), o.div(g, avg));
          newState.push(buf);
          newParams.push(o.sub(p, o.mul(lr, buf)));
        } else newParams.push(o.sub(p, o.mul(lr, o.div(g, avg))));
        break;
      }
      case 'Adam':
      case 'AdamW': {
        const b1 = a.num('beta1');
        const b2 = a.num('beta2');
        const theta = decoupled && wd !== 0 ? o.mul(p, o.sub(o.scalar(1, p), o.scale(lr, wd))) : p;
        const m = o.add(o.scale(s[0]!, b1), o.scale(g, 1 - b1));
        const v = o.add(o.scale(s[1]!, b2), o.scale(o.mul(g, g), 1 - b2));
        newState.push(m, v);
        const { stepSize, bc2Sqrt } = adamScalars(o, hyper.lr, t, b1, b2, p);
        const denom = o.add(o.div(o.sqrt(v), bc2Sqrt), o.scalar(a.num('eps'), p));
        newParams.push(o.sub(theta, o.mul(stepSize, o.div(m, denom))));
        break;
      }
    }
  });
  newState.push(tOut);
  return { newParams, newState };
}

/** `lr/(1 − β1ᵗ)` and `√(1 − β2ᵗ)`, computed in float64 (βᵗ = exp(t·ln β)) and cast to p's dtype. */
function adamScalars(o: Ops, lr: Value, t: Value, b1: number, b2: number, p: Value) {
  const t64 = o.cast(t, 'float64');
  const one = o.scalar(1, 'float64');
  const bc = (beta: number) => (beta === 0 ? one : o.sub(one, o.exp(o.scale(t64, Math.log(beta)))));
  const stepSize = o.div(o.cast(lr, 'float64'), bc(b1));
  const bc2Sqrt = o.sqrt(bc(b2));
  return { stepSize: o.cast(stepSize, p.dtype), bc2Sqrt: o.cast(bc2Sqrt, p.dtype) };
}

function like(o: Ops, v: Value, p: Value): Value {
  return v.dtype === p.dtype ? v : o.cast(v, p.dtype);
}

// ── clipping, penalties, diagnostics ────────────────────────────────────────────────────────

/** The L2 norm of each tensor, `√Σg²`, and the global norm `√Σ‖g_i‖²` (PyTorch's order). */
export function globalNorm(b: Builder, grads: readonly Value[]): { norm: Value; norms: Value[] } {
  const o = ops(b);
  if (grads.length === 0) throw new Error('globalNorm: no tensors');
  // Σ‖g_i‖² from the sums of squares directly (not by squaring the square roots again).
  const squares = grads.map((g) => o.reduceSumSquare(g));
  const total = squares.reduce((acc, x) => o.add(acc, x));
  return { norm: o.sqrt(total), norms: squares.map((q) => o.sqrt(q)) };
}

/**
 * Clip by global norm as `torch.nn.utils.clip_grad_norm_`: `norm = √Σ‖g_i‖²`,
 * `coef = min(1, max_norm/(norm + 1e-6))`, `g_i ← coef·g_i`. Returns the clipped gradients, the
 * global norm **before** clipping (what PyTorch returns) and the per-tensor norms before clipping.
 */
export function clipByGlobalNorm(
  b: Builder,
  grads: readonly Value[],
  maxNorm: number,
): { grads: Value[]; norm: Value; norms: Value[] } {
  const o = ops(b);
  const { norm, norms } = globalNorm(b, grads);
  const coef = o.minimum(
    o.div(o.scalar(maxNorm, norm), o.add(norm, o.scalar(1e-6, norm))),
    o.scalar(1, norm),
  );
  return { grads: grads.map((g) => o.mul(g, coef)), norm, norms };
}

/**
 * The penalty added to the loss before differentiation:
 * `l1·Σ|θ| + ½·l2·Σθ²` over **all** parameters passed (weights and biases alike, as PyTorch's
 * default parameter group applies weight_decay to every parameter). Note the ½: the L2 term's
 * gradient is `l2·θ`, so `l2` here equals SGD's `weight_decay`. Keras' `l2(λ)` is `λ·Σθ²`
 * (no ½), so Keras `λ` corresponds to `l2 = 2λ`. The L1 gradient is `l1·sign(θ)` (0 at θ = 0).
 * Returns a scalar (zero when both weights are 0).
 */
export function penalties(
  b: Builder,
  params: readonly Value[],
  w: { readonly l1: number; readonly l2: number },
): Value {
  const o = ops(b);
  const dtype = params[0]?.dtype ?? 'float32';
  const terms: Value[] = [];
  for (const p of params) {
    if (w.l1 !== 0) terms.push(o.scale(o.reduceSum(o.abs(p)), w.l1));
    if (w.l2 !== 0) terms.push(o.scale(o.reduceSumSquare(p), 0.5 * w.l2));
  }
  return terms.length ? terms.reduce((acc, x) => o.add(acc, x)) : o.scalar(0, dtype);
}

/**
 * The update/weight ratio `‖θ_new − θ‖ / ‖θ‖` over all tensors (a dashboard metric: around 1e-3
 * is healthy; much larger means the learning rate is too high). 0 when all weights are 0.
 */
export function updateRatio(
  b: Builder,
  params: readonly Value[],
  newParams: readonly Value[],
): Value {
  const o = ops(b);
  const { norm: dn } = globalNorm(
    b,
    params.map((p, i) => o.sub(newParams[i]!, p)),
  );
  const { norm: wn } = globalNorm(b, params);
  return o.div(dn, o.maximum(wn, o.scalar(1e-12, wn)));
}
