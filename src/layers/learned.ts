/**
 * Learned tensors and the op that brings them to the batch.
 *
 * `Parameter` is the layer behind a `param` statement (`param cls = Parameter([1, 1, 192])`): it
 * takes no input and outputs its own trainable tensor, so a learned tensor is counted, drawn,
 * trained and exported by the same machinery as any layer's weight. Its one parameter has the
 * empty ParamSpec name, so its qualified name is the binding itself (`cls`, `vit0.pos`), which
 * is also the `state_dict` key of the `nn.Parameter` the PyTorch export writes.
 */
import { Dim, normAxis } from '../core';
import { ops } from '../primitives/ops';
import { need } from './lowering';
import {
  ShapeError,
  ZERO,
  formatShapeInline,
  type InitSpec,
  type LayerDef,
  type LayerResult,
} from './types';

/** Initializers of a learned tensor: the `init` attribute of Parameter. */
export const PARAMETER_INITS = ['normal', 'uniform', 'zeros', 'ones'] as const;

export const Parameter: LayerDef = {
  name: 'Parameter',
  category: 'tensor',
  summary:
    'A learned tensor of a fixed shape (class token, position embeddings), declared with `param`',
  doc: [
    'A learned tensor (PyTorch `nn.Parameter`), declared in a model or block body with `param name = Parameter(shape, …)` and then used by name like any tensor: `(x, pos) |> Add` broadcasts it, `(cls, x) |> Expand(axes=0)` repeats it over the batch.',
    'The shape may use block parameters and dims the block knows (`[1, 1, D]`); every size must come out as a number.',
    '',
    '**Parameters:** the product of `shape` (trainable). Its name in the summary, checkpoints and the PyTorch `state_dict` is the binding, e.g. `cls`.',
    '**Init:** `normal` (default, `N(0, std²)` with `std=0.02` as ViT and GPT-2 use), `uniform` (`U(−bound, bound)`), `zeros`, `ones`.',
    '**MACs:** 0.',
  ].join('\n'),
  attrs: [
    {
      name: 'shape',
      type: { kind: 'intList' },
      required: true,
      doc: 'The tensor shape, e.g. `[1, 1, 192]`. Size-1 axes broadcast in Add and Multiply.',
    },
    {
      name: 'init',
      type: { kind: 'string', values: PARAMETER_INITS },
      default: 'normal',
      doc: 'Initializer: `normal` (`N(0, std²)`), `uniform` (`U(−bound, bound)`), `zeros` or `ones`.',
    },
    {
      name: 'std',
      type: { kind: 'float', min: 0 },
      default: 0.02,
      doc: 'Standard deviation of `init="normal"`.',
    },
    {
      name: 'bound',
      type: { kind: 'float', min: 0 },
      default: 0.02,
      doc: 'Half-width of `init="uniform"`.',
    },
  ],
  positional: ['shape'],
  arity: { min: 0, max: 0 },
  display: ['shape'],
  paramFormula: 'Πshape',
  macsFormula: '0',
  infer({ attrs }): LayerResult {
    const raw = attrs.get('shape');
    const shape = (Array.isArray(raw) ? raw : [raw]) as number[];
    const bad = shape.findIndex((d) => d < 1);
    if (bad >= 0)
      throw new ShapeError(
        'DLM109',
        `Parameter shape [${shape.join(', ')}] has size ${shape[bad]} on axis ${bad}; every size must be at least 1`,
        { attr: 'shape' },
      );
    return {
      outputs: [shape.map((d) => dimOf(d))],
      params: [
        {
          name: '',
          shape,
          trainable: true,
          init: parameterInit(attrs.str('init'), attrs.float('std'), attrs.float('bound')),
          formula: shape.join('·'),
        },
      ],
      macs: ZERO,
    };
  },
  lower(ctx) {
    return [need(ctx, 'Parameter', '')];
  },
};

function dimOf(n: number): Dim {
  return Dim.const(n);
}

export function parameterInit(init: string, std: number, bound: number): InitSpec {
  switch (init) {
    case 'zeros':
      return { kind: 'zeros' };
    case 'ones':
      return { kind: 'ones' };
    case 'uniform':
      return { kind: 'uniform', bound };
    default:
      return { kind: 'normal', std };
  }
}

export const Expand: LayerDef = {
  name: 'Expand',
  category: 'shape',
  summary: 'Repeat a size-1 tensor along axes to the size of a second tensor: (cls, x) |> Expand',
  doc: [
    'Expands the first input along `axes` to the sizes the second input has there (PyTorch `a.expand(b.shape[0], -1, -1)` for `axes=0`); the second input only lends its shape. The first input must have size 1 on those axes and the same rank.',
    'Broadcasting in Add and Multiply needs no Expand; Concat does: `(cls, patches) |> Expand(axes=0)` turns a `[1, 1, D]` class token into `[B, 1, D]`, whatever the batch size B.',
    '',
    '**Parameters:** 0. **MACs:** 0. The gradient sums over the expanded axes.',
  ].join('\n'),
  attrs: [
    {
      name: 'axes',
      type: { kind: 'intList' },
      default: 0,
      doc: 'The axes to expand (negative counts from the end); default the batch axis 0.',
    },
  ],
  positional: ['axes'],
  arity: { min: 2, max: 2 },
  display: ['axes'],
  dtype: 'preserve',
  paramFormula: '0',
  macsFormula: '0',
  infer({ inputs, attrs }): LayerResult {
    const [a, b] = [inputs[0]!, inputs[1]!];
    if (a.length !== b.length)
      throw new ShapeError(
        'DLM104',
        `Expand needs two inputs of equal rank, but received ${formatShapeInline(a)} and ${formatShapeInline(b)}`,
        { input: 1 },
      );
    const axes = expandAxes(attrs.get('axes'), a.length);
    const out = a.map((d, i) => {
      if (!axes.includes(i)) return d;
      if (d.value !== 1)
        throw new ShapeError(
          'DLM104',
          `Expand(axes=${axes.join(', ')}) needs size 1 on axis ${i} of its first input, but ${formatShapeInline(a)} has ${d.toString()}`,
          { attr: 'axes' },
        );
      return b[i]!;
    });
    return { outputs: [out], params: [], macs: ZERO };
  },
  lower(ctx) {
    const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const axes = expandAxes(ctx.attrs.get('axes'), a.shape.length);
    return [
      ops(ctx.b).expand(
        a,
        a.shape.map((d, i) => (axes.includes(i) ? b.shape[i]! : d)),
      ),
    ];
  },
};

/** The `axes` attribute of Expand as non-negative axes; DLM108 when one is out of range. */
export function expandAxes(raw: unknown, rank: number): number[] {
  const list = (Array.isArray(raw) ? raw : [raw]) as number[];
  return list.map((ax) => {
    const n = normAxis(ax, rank);
    if (n === undefined)
      throw new ShapeError('DLM108', `Expand axis ${ax} is out of range for rank ${rank}`, {
        attr: 'axes',
      });
    return n;
  });
}
