import { Dim, normAxis, type Shape, prod } from '../core';
import { ops } from '../primitives/ops';
import { intList } from './attrs';
import {
  KEEPS_INPUT,
  ShapeError,
  ZERO,
  dimProduct,
  formatShapeInline,
  type LayerDef,
  type LayerResult,
} from './types';

const NO_COST = '**Parameters:** 0. **MACs:** 0 (data movement only).';

export const Flatten: LayerDef = {
  name: 'Flatten',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Merge axes start..end into one (default: everything but the batch)',
  doc: [
    'Flatten axes `start` through `end` (inclusive; negative counts from the end) into one axis, as PyTorch `nn.Flatten`. The default keeps the batch axis: `[N, C, H, W]` → `[N, C·H·W]`.',
    '',
    NO_COST,
  ].join('\n'),
  attrs: [
    {
      name: 'start',
      type: { kind: 'int' },
      default: 1,
      doc: 'First axis to flatten (default 1, after the batch).',
    },
    {
      name: 'end',
      type: { kind: 'int' },
      default: -1,
      doc: 'Last axis to flatten, inclusive (default −1, the last).',
    },
  ],
  positional: [],
  arity: { min: 1, max: 1 },
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const [s0, e0] = [attrs.int('start'), attrs.int('end')];
    const s = normAxis(s0, x.length);
    const e = normAxis(e0, x.length);
    for (const [name, raw, v] of [
      ['start', s0, s],
      ['end', e0, e],
    ] as const)
      if (v === undefined)
        throw new ShapeError(
          'DLM108',
          `Flatten(${name}=${raw}) is out of range for ${formatShapeInline(x)} (rank ${x.length})`,
          { attr: name },
        );
    if (s! > e!)
      throw new ShapeError(
        'DLM108',
        `Flatten: start (axis ${s}) must not come after end (axis ${e}) for ${formatShapeInline(x)}`,
        { attr: 'start' },
      );
    return {
      outputs: [[...x.slice(0, s), dimProduct(x, s, e! + 1), ...x.slice(e! + 1)]],
      params: [],
      macs: ZERO,
    };
  },
  lower(ctx) {
    const x = ctx.inputs[0]!;
    const r = x.shape.length;
    const s = normAxis(ctx.attrs.int('start'), r)!;
    const e = normAxis(ctx.attrs.int('end'), r)!;
    const mid = x.shape.slice(s, e + 1).reduce((a, d) => a * d, 1);
    return [ops(ctx.b).reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)])];
  },
};

export const Reshape: LayerDef = {
  name: 'Reshape',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Reshape the non-batch axes: [N, ...] → [N, *shape]',
  doc: [
    'Reshape every sample, keeping the batch axis: `[N, ...]` → `[N, *shape]`. One entry may be `-1`, inferred from the element count. The element count per sample must not change (row-major order, as PyTorch `reshape`).',
    'Example: `Reshape((1, 28, 28))` turns `[B, 784]` into `[B, 1, 28, 28]`.',
    '',
    NO_COST,
  ].join('\n'),
  attrs: [
    {
      name: 'shape',
      type: { kind: 'intList' },
      required: true,
      doc: 'The new non-batch shape, a tuple of positive ints with at most one `-1`.',
    },
  ],
  positional: ['shape'],
  arity: { min: 1, max: 1 },
  display: ['shape'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const shape = intList(attrs, 'shape');
    const call = `Reshape((${shape.join(', ')}))`;
    if (x.length < 1)
      throw new ShapeError(
        'DLM101',
        `${call} needs a batched input [N, ...], but received a scalar`,
      );
    if (shape.some((v) => v === 0 || v < -1) || shape.filter((v) => v === -1).length > 1)
      throw new ShapeError(
        'DLM108',
        `${call}: entries must be positive, with at most one -1 to infer`,
        { attr: 'shape' },
      );
    const total = dimProduct(x, 1);
    const known = prod(shape.filter((v) => v !== -1));
    const hole = shape.indexOf(-1);
    if (hole >= 0) {
      if (!total.divisibleBy(known))
        throw new ShapeError(
          'DLM105',
          total.isConst()
            ? `${call}: ${formatShapeInline(x)} has ${total.toString()} elements per sample, which is not divisible by ${known}`
            : `${call}: ${formatShapeInline(x)} has ${total.toString()} elements per sample, which is not known to be divisible by ${known}`,
          { attr: 'shape' },
        );
      const inferred = total.floorDiv(known);
      return {
        outputs: [[x[0]!, ...shape.map((v) => (v === -1 ? inferred : Dim.const(v)))]],
        params: [],
        macs: ZERO,
      };
    }
    if (total.value !== known)
      throw new ShapeError(
        'DLM100',
        `${call} needs ${known} elements per sample, but ${formatShapeInline(x)} has ${total.toString()}${total.isConst() ? '' : ' (not known to be equal)'}`,
        { attr: 'shape' },
      );
    return { outputs: [[x[0]!, ...shape.map((v) => Dim.const(v))]], params: [], macs: ZERO };
  },
  lower(ctx) {
    const x = ctx.inputs[0]!;
    return [ops(ctx.b).reshape(x, [x.shape[0]!, ...intList(ctx.attrs, 'shape')])];
  },
};

export const Permute: LayerDef = {
  name: 'Permute',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Reorder axes (a full permutation including the batch axis 0)',
  doc: [
    'Reorder axes, as PyTorch `x.permute(dims)`: output axis i is input axis `dims[i]`. `dims` is a full permutation **including the batch axis 0**, which must stay first. Example: `Permute((0, 2, 1))` turns `[N, C, L]` into `[N, L, C]`.',
    '',
    NO_COST,
  ].join('\n'),
  attrs: [
    {
      name: 'dims',
      type: { kind: 'intList' },
      required: true,
      doc: 'A permutation of 0..rank−1 starting with 0 (negative axes count from the end).',
    },
  ],
  positional: ['dims'],
  arity: { min: 1, max: 1 },
  display: ['dims'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const dims = intList(attrs, 'dims');
    const call = `Permute((${dims.join(', ')}))`;
    if (dims.length !== x.length)
      throw new ShapeError(
        'DLM101',
        `${call} lists ${dims.length} axes, but the input ${formatShapeInline(x)} has rank ${x.length}; list every axis, including the batch axis 0`,
        { attr: 'dims' },
      );
    const norm = dims.map((d) => normAxis(d, x.length));
    if (norm.some((d) => d === undefined) || new Set(norm).size !== norm.length)
      throw new ShapeError(
        'DLM108',
        `${call} is not a permutation of the axes 0..${x.length - 1}`,
        { attr: 'dims' },
      );
    if (norm[0] !== 0)
      throw new ShapeError('DLM108', `${call} moves the batch axis; the first entry must be 0`, {
        attr: 'dims',
      });
    return { outputs: [norm.map((d) => x[d!]!)], params: [], macs: ZERO };
  },
  lower(ctx) {
    const x = ctx.inputs[0]!;
    const perm = intList(ctx.attrs, 'dims').map((d) => normAxis(d, x.shape.length)!);
    return [ops(ctx.b).transpose(x, perm)];
  },
};

export const Identity: LayerDef = {
  name: 'Identity',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Pass the input through unchanged',
  doc: [
    'Returns its input unchanged (PyTorch `nn.Identity`); useful as a placeholder in blocks.',
    '',
    NO_COST,
  ].join('\n'),
  attrs: [],
  positional: [],
  arity: { min: 1, max: 1 },
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs }): LayerResult {
    return { outputs: [inputs[0]!], params: [], macs: ZERO };
  },
  lower: (ctx) => [ctx.inputs[0]!],
};

/** Normalizes an axis attribute that must not be the batch axis; DLM108 otherwise. */
function nonBatchAxis(layer: string, raw: number, x: Shape): number {
  const a = normAxis(raw, x.length);
  if (a === undefined || a === 0)
    throw new ShapeError(
      'DLM108',
      `${layer}(axis=${raw}) is out of range for ${formatShapeInline(x)}: use an axis from 1 to ${x.length - 1} (axis 0 is the batch)`,
      { attr: 'axis' },
    );
  return a;
}

/** Mean over one axis, e.g. average pooling over time for sequence classifiers. */
export const Mean: LayerDef = {
  name: 'Mean',
  category: 'shape',
  summary: 'Mean over one axis: [N, T, D] → [N, D] with axis=1',
  doc: [
    'The mean over `axis` (PyTorch `x.mean(dim=axis)`). With `axis=1` on a sequence `[N, T, D]` it averages over time: the usual pooling before a classifier head. `keepdims=true` keeps the axis with size 1.',
    '',
    '**Parameters:** 0. **MACs:** 0 (reductions are not counted as MACs).',
  ].join('\n'),
  attrs: [
    {
      name: 'axis',
      type: { kind: 'int' },
      default: 1,
      doc: 'Axis to average over (negative counts from the end).',
    },
    {
      name: 'keepdims',
      type: { kind: 'bool' },
      default: false,
      doc: 'Keep the reduced axis as size 1.',
    },
  ],
  positional: ['axis'],
  arity: { min: 1, max: 1 },
  display: ['axis'],
  paramFormula: '0',
  macsFormula: '0',
  savedFormula: 'input (PyTorch 1.13 keeps it for the mean’s backward)',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const a = nonBatchAxis('Mean', attrs.int('axis'), x);
    const out = attrs.bool('keepdims')
      ? x.map((d, i) => (i === a ? Dim.const(1) : d))
      : x.filter((_, i) => i !== a);
    return { outputs: [out], params: [], macs: ZERO, saved: KEEPS_INPUT };
  },
  lower(ctx) {
    const x = ctx.inputs[0]!;
    const a = normAxis(ctx.attrs.int('axis'), x.shape.length)!;
    return [ops(ctx.b).reduceMean(x, [a], ctx.attrs.bool('keepdims'))];
  },
};

/** One position along an axis, e.g. the first token (`[CLS]`) or the last time step. */
export const Select: LayerDef = {
  name: 'Select',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Take one index along an axis: [N, T, D] → [N, D] with axis=1, index=0',
  doc: [
    'Takes position `index` along `axis` and drops that axis (PyTorch `x.select(axis, index)`, i.e. `x[:, 0]` for `axis=1, index=0`). Use `index=0` for first-token pooling in a transformer, `index=-1` for the last step of a sequence.',
    '',
    '**Parameters:** 0. **MACs:** 0 (data movement only).',
  ].join('\n'),
  attrs: [
    {
      name: 'axis',
      type: { kind: 'int' },
      default: 1,
      doc: 'Axis to index (negative counts from the end).',
    },
    {
      name: 'index',
      type: { kind: 'int' },
      default: 0,
      doc: 'Position along the axis; −1 is the last.',
    },
  ],
  positional: ['axis', 'index'],
  arity: { min: 1, max: 1 },
  display: ['axis', 'index'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const a = nonBatchAxis('Select', attrs.int('axis'), x);
    const idx = attrs.int('index');
    const size = x[a]!.value;
    if (size !== undefined && (idx >= size || idx < -size))
      throw new ShapeError(
        'DLM108',
        `Select(index=${idx}) is out of range: axis ${a} of ${formatShapeInline(x)} has ${size} positions`,
        { attr: 'index' },
      );
    return { outputs: [x.filter((_, i) => i !== a)], params: [], macs: ZERO };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const a = normAxis(ctx.attrs.int('axis'), x.shape.length)!;
    const n = x.shape[a]!;
    const i = ((ctx.attrs.int('index') % n) + n) % n;
    return [
      o.reshape(
        o.slice(x, [i], [i + 1], [a]),
        x.shape.filter((_, k) => k !== a),
      ),
    ];
  },
};

export const RepeatVector: LayerDef = {
  name: 'RepeatVector',
  dtype: 'preserve',
  category: 'shape',
  summary: 'Repeat a vector over time: [N, F] → [N, n, F]',
  doc: [
    'Repeats each sample `n` times along a new time axis 1 (Keras `RepeatVector`; PyTorch `x.unsqueeze(1).repeat(1, n, 1)`): `[N, F]` → `[N, n, F]`, and in general `[N, …]` → `[N, n, …]`. The classic encoder–decoder without teacher forcing feeds the encoder’s summary vector to the decoder at every step: `h |> RepeatVector(T) |> GRU(64)`.',
    '',
    'Gradient: the sum of the `n` copies’ gradients.',
    '',
    NO_COST,
  ].join('\n'),
  attrs: [
    {
      name: 'n',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'How many times to repeat, i.e. the length of the new time axis.',
    },
  ],
  positional: ['n'],
  arity: { min: 1, max: 1 },
  display: ['n'],
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    if (x.length < 2)
      throw new ShapeError(
        'DLM101',
        `RepeatVector expects a batch of vectors [N, F] (rank 2 or more), but received ${formatShapeInline(x)} (rank ${x.length})`,
      );
    return {
      outputs: [[x[0]!, Dim.const(attrs.int('n')), ...x.slice(1)]],
      params: [],
      macs: ZERO,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const [n0, ...rest] = x.shape;
    // [N, 1, …] broadcast to [N, n, …]; the VJP of expand sums the copies.
    const one = o.reshape(x, [n0!, 1, ...rest]);
    return [o.expand(one, [n0!, ctx.attrs.int('n'), ...rest])];
  },
};
