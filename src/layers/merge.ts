import { normAxis, type Dim, type Shape } from '../core';
import { ops } from '../primitives/ops';
import { fold, type Value } from './lowering';
import {
  ShapeError,
  ZERO,
  dimProduct,
  f32Bytes,
  formatShapeInline,
  type LayerDef,
  type LayerResult,
  type SavedSpec,
} from './types';

const MANY = { min: 2, max: Number.POSITIVE_INFINITY };

/**
 * NumPy/PyTorch broadcasting of several shapes: right-aligned, each axis equal or 1.
 * Symbolic dims must be equal (a symbol is not assumed to be 1).
 */
export function broadcastShapes(layer: string, shapes: readonly Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let acc: Dim | undefined;
    let from = 0;
    shapes.forEach((s, j) => {
      const d = s[s.length - rank + i];
      if (d === undefined || d.value === 1) return;
      if (acc === undefined) {
        acc = d;
        from = j;
      } else if (!acc.equals(d)) {
        throw new ShapeError(
          'DLM104',
          `${layer} needs equal shapes (size-1 axes broadcast), but input ${from + 1} ${formatShapeInline(shapes[from]!)} and input ${j + 1} ${formatShapeInline(s)} differ on axis ${i - rank + s.length} (${acc.toString()} vs ${d.toString()})`,
          { input: j },
        );
      }
    });
    out.push(acc ?? shapes.map((s) => s[s.length - rank + i]).find((d) => d !== undefined)!);
  }
  return out;
}

function elementwiseMerge(name: 'Add' | 'Multiply'): LayerDef {
  const op = name === 'Add' ? 'sum' : 'elementwise (Hadamard) product';
  const use =
    name === 'Add'
      ? 'Residual connections: `(h, x) |> Add` computes `h + x`.'
      : 'Gating, e.g. WaveNet’s `tanh(·)⊙σ(·)` unit: `(x |> Tanh, x |> Sigmoid) |> Multiply`.';
  return {
    name,
    category: 'merge',
    summary: `The ${op} of two or more tensors of equal shape`,
    doc: [
      `The ${op} of two or more inputs. Shapes must be equal, except that size-1 axes broadcast (NumPy/PyTorch rules, right-aligned).`,
      use,
      '',
      '**Parameters:** 0. **MACs:** 0 (elementwise operations are not counted).',
    ].join('\n'),
    attrs: [],
    positional: [],
    arity: MANY,
    paramFormula: '0',
    macsFormula: '0',
    savedFormula:
      name === 'Add' ? 'nothing' : 'every input (and the running products of 3 or more)',
    infer({ inputs }): LayerResult {
      const out = broadcastShapes(name, inputs);
      // A product's gradient with respect to each factor is the other factors: all are kept.
      const saved: SavedSpec | undefined =
        name === 'Multiply'
          ? {
              inputs: inputs.map((_, i) => i),
              extraBytes: f32Bytes(dimProduct(out).mul(Math.max(0, inputs.length - 2))),
            }
          : undefined;
      return { outputs: [out], params: [], macs: ZERO, ...(saved ? { saved } : {}) };
    },
    lower(ctx) {
      const o = ops(ctx.b);
      return [fold(ctx.inputs, name === 'Add' ? o.add : o.mul)];
    },
  };
}

export const Add = elementwiseMerge('Add');
export const Multiply = elementwiseMerge('Multiply');

export const Concat: LayerDef = {
  name: 'Concat',
  category: 'merge',
  summary: 'Concatenate along an axis (default the channel axis 1)',
  doc: [
    'Concatenate two or more inputs along `axis` (PyTorch `torch.cat`). All other axes must be equal; the output size on `axis` is the sum.',
    'Default axis 1 is the channel axis of channels-first data, as in U-Net and DenseNet skips: `(up, enc) |> Concat`.',
    '',
    '**Parameters:** 0. **MACs:** 0.',
  ].join('\n'),
  attrs: [
    {
      name: 'axis',
      type: { kind: 'int' },
      default: 1,
      doc: 'Axis to concatenate along (negative counts from the end).',
    },
  ],
  positional: [],
  arity: MANY,
  display: ['axis'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const first = inputs[0]!;
    const axisRaw = attrs.int('axis');
    const axis = normAxis(axisRaw, first.length);
    if (axis === undefined)
      throw new ShapeError(
        'DLM108',
        `Concat(axis=${axisRaw}) is out of range for ${formatShapeInline(first)} (rank ${first.length})`,
        { attr: 'axis' },
      );
    let sum = first[axis]!;
    inputs.slice(1).forEach((s, k) => {
      const j = k + 1;
      const bad =
        s.length !== first.length ? -1 : s.findIndex((d, i) => i !== axis && !d.equals(first[i]!));
      if (s.length !== first.length || bad >= 0)
        throw new ShapeError(
          'DLM104',
          s.length !== first.length
            ? `Concat needs inputs of equal rank, but input 1 is ${formatShapeInline(first)} and input ${j + 1} is ${formatShapeInline(s)}`
            : `Concat along axis ${axis} needs the other axes equal, but input 1 ${formatShapeInline(first)} and input ${j + 1} ${formatShapeInline(s)} differ on axis ${bad} (${first[bad]!.toString()} vs ${s[bad]!.toString()})`,
          { input: j },
        );
      sum = sum.add(s[axis]!);
    });
    return {
      outputs: [first.map((d, i) => (i === axis ? sum : d))],
      params: [],
      macs: ZERO,
    };
  },
  lower(ctx) {
    const r = ctx.inputs[0]!.shape.length;
    return [ops(ctx.b).concat(ctx.inputs, normAxis(ctx.attrs.int('axis'), r)!)];
  },
};

export const Reparameterize: LayerDef = {
  name: 'Reparameterize',
  category: 'merge',
  summary: 'VAE sampling z = μ + exp(½·logvar)·ε from (μ, logvar)',
  doc: [
    'The VAE reparameterization trick: from `(μ, logvar)` of equal shape, sample `z = μ + exp(½·logvar)·ε` with `ε ~ N(0, I)`.',
    'The randomness is moved into ε, so gradients flow to μ and logvar.',
    '',
    '**Parameters:** 0. **MACs:** 0 (elementwise).',
  ].join('\n'),
  attrs: [],
  positional: [],
  arity: { min: 2, max: 2 },
  paramFormula: '0',
  macsFormula: '0',
  savedFormula: '2 per element (exp(½·logvar) and ε)',
  infer({ inputs }): LayerResult {
    const [mu, logvar] = [inputs[0]!, inputs[1]!];
    if (mu.length !== logvar.length || mu.some((d, i) => !d.equals(logvar[i]!)))
      throw new ShapeError(
        'DLM104',
        `Reparameterize needs μ and logvar of the same shape, but received ${formatShapeInline(mu)} and ${formatShapeInline(logvar)}`,
        { input: 1 },
      );
    return {
      outputs: [mu],
      params: [],
      macs: ZERO,
      saved: { extraBytes: f32Bytes(dimProduct(mu).mul(2)) },
    };
  },
  lower(ctx) {
    // Training: z = μ + exp(½·logvar)·ε, ε ~ N(0, I) from the engine's seeded RNG (a graph
    // input). Eval and export: z = μ, the mean of q(z|x), so evaluation is deterministic.
    const [mu, logvar] = ctx.inputs as [Value, Value];
    if (!ctx.training) return [mu];
    const o = ops(ctx.b);
    const eps = ctx.randomNormal(mu.shape, 'eps');
    return [o.add(mu, o.mul(o.exp(o.scale(logvar, 0.5)), eps))];
  },
};
