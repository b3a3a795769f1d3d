import { normAxis } from '../core';
import { LEAKY_RELU_ATTRS } from '../primitives/elementwise';
import { ops, type Ops } from '../primitives/ops';
import type { Value } from '../primitives/types';
import { channelVec, gelu, need } from './lowering';
import {
  ShapeError,
  ZERO,
  formatShapeInline,
  type AttrSpec,
  type LayerCtx,
  type Attrs,
  type LayerDef,
  type LayerResult,
  KEEPS_INPUT,
  KEEPS_OUTPUT,
} from './types';

type Fn = (o: Ops, x: Value, attrs: Attrs) => Value;

const ELEMENTWISE =
  'Shape unchanged. **Parameters:** 0. **MACs:** 0 (elementwise functions are not counted as multiply-accumulates).';

/**
 * Activations whose derivative PyTorch computes from the result (`threshold_backward` on ReLU's
 * output, σ(1 − σ), 1 − tanh², the softmax Jacobian), so autograd keeps the output; every other
 * activation keeps its input (measured: test/fixtures/torch/gen_memory.py).
 */
const KEEPS_RESULT = new Set(['ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax']);

/** An elementwise (or per-axis) nonlinearity with no parameters; `check` validates attributes. */
function activation(
  name: string,
  summary: string,
  formula: readonly string[],
  attrs: readonly AttrSpec[] = [],
  positional: readonly string[] = [],
  check: ((ctx: LayerCtx) => void) | undefined,
  fn: Fn,
): LayerDef {
  return {
    name,
    category: 'activation',
    summary,
    doc: [...formula, '', ELEMENTWISE].join('\n'),
    attrs,
    positional,
    arity: { min: 1, max: 1 },
    display: positional,
    nonlinear: true,
    paramFormula: '0',
    macsFormula: '0',
    savedFormula: KEEPS_RESULT.has(name) ? 'output' : 'input',
    infer(ctx): LayerResult {
      check?.(ctx);
      return {
        outputs: [ctx.inputs[0]!],
        params: [],
        macs: ZERO,
        saved: KEEPS_RESULT.has(name) ? KEEPS_OUTPUT : KEEPS_INPUT,
      };
    },
    lower: (ctx) => [fn(ops(ctx.b), ctx.inputs[0]!, ctx.attrs)],
  };
}

export const ReLU = activation(
  'ReLU',
  'max(0, x)',
  ['Rectified linear unit: `ReLU(x) = max(0, x)`.'],
  [],
  [],
  undefined,
  (o, x) => o.relu(x),
);

export const Sigmoid = activation(
  'Sigmoid',
  'σ(x) = 1/(1 + e⁻ˣ)',
  [
    'Logistic sigmoid: `σ(x) = 1/(1 + e^(−x))`, range (0, 1); `σ′ = σ(1 − σ)` ≤ 1/4, so deep sigmoid stacks shrink gradients.',
  ],
  [],
  [],
  undefined,
  (o, x) => o.sigmoid(x),
);

export const Tanh = activation(
  'Tanh',
  'tanh(x)',
  ['Hyperbolic tangent: `tanh(x) = (eˣ − e^(−x))/(eˣ + e^(−x)) = 2σ(2x) − 1`, range (−1, 1).'],
  [],
  [],
  undefined,
  (o, x) => o.tanh(x),
);

export const SiLU = activation(
  'SiLU',
  'x·σ(x) (Swish)',
  ['Sigmoid linear unit (Swish): `SiLU(x) = x·σ(x)`.'],
  [],
  [],
  undefined,
  (o, x) => o.mul(x, o.sigmoid(x)),
);

/** The leaky_relu primitive declares the slope's default; the layer exposes the same setting. */
const LEAKY_ALPHA = LEAKY_RELU_ATTRS.alpha.default;

export const LeakyReLU = activation(
  'LeakyReLU',
  `x for x > 0, α·x otherwise (α = ${LEAKY_ALPHA})`,
  [
    `Leaky ReLU: \`x\` for x > 0, \`α·x\` otherwise. Default α = ${LEAKY_ALPHA} (PyTorch \`negative_slope\`).`,
  ],
  [
    {
      name: 'alpha',
      type: { kind: 'float' },
      default: LEAKY_ALPHA,
      doc: `Slope for negative inputs (default ${LEAKY_ALPHA}).`,
    },
  ],
  ['alpha'],
  undefined,
  (o, x, a) => o.leakyRelu(x, a.float('alpha')),
);

export const ELU = activation(
  'ELU',
  'x for x > 0, α·(eˣ − 1) otherwise',
  ['Exponential linear unit: `x` for x > 0, `α·(eˣ − 1)` otherwise. Default α = 1.0.'],
  [
    {
      name: 'alpha',
      type: { kind: 'float', min: 0 },
      default: 1.0,
      doc: 'Saturation value −α for large negative inputs.',
    },
  ],
  ['alpha'],
  undefined,
  (o, x, a) => o.elu(x, a.float('alpha')),
);

export const GELU = activation(
  'GELU',
  'x·Φ(x) (Gaussian error linear unit)',
  [
    'Gaussian error linear unit: `GELU(x) = x·Φ(x)`, Φ the standard normal CDF.',
    'With `approximate="tanh"`: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.',
  ],
  [
    {
      name: 'approximate',
      type: { kind: 'string', values: ['none', 'tanh'] },
      default: 'none',
      doc: '`"none"` (exact erf form) or `"tanh"` (approximation).',
    },
  ],
  [],
  undefined,
  (o, x, a) => gelu(o, x, a.str('approximate')),
);

export const Softplus = activation(
  'Softplus',
  'log(1 + eˣ), a smooth ReLU',
  [
    'Softplus: `Softplus(x) = (1/β)·log(1 + e^(β·x))`; with β = 1 it is `log(1 + eˣ)`.',
    'For `β·x > threshold` it returns `x` (linear) for numerical stability.',
  ],
  [
    { name: 'beta', type: { kind: 'float', min: 0 }, default: 1, doc: 'Sharpness β.' },
    {
      name: 'threshold',
      type: { kind: 'float' },
      default: 20,
      doc: 'Above `β·x > threshold` the output is x.',
    },
  ],
  undefined,
  undefined,
  softplus,
);

/** `min(max(x, lo), hi)`: the one clamp behind Hardtanh, ReLU6, Hardsigmoid and Hardswish. */
function clamp(o: Ops, x: Value, lo: number, hi: number): Value {
  return o.minimum(o.maximum(x, o.scalar(lo, x)), o.scalar(hi, x));
}

/** PyTorch Hardsigmoid: `ReLU6(x + 3)/6`. */
function hardsigmoid(o: Ops, x: Value): Value {
  return o.scale(clamp(o, o.add(x, o.scalar(3, x)), 0, 6), 1 / 6);
}

export const Hardtanh = activation(
  'Hardtanh',
  'clamp(x, min, max) (default [−1, 1])',
  [
    'Hard tanh (PyTorch `nn.Hardtanh`): `min(max(x, min), max)`, default range [−1, 1]. The gradient is 1 inside the range and 0 outside.',
  ],
  [
    { name: 'min', type: { kind: 'float' }, default: -1, doc: 'Lower bound (PyTorch `min_val`).' },
    { name: 'max', type: { kind: 'float' }, default: 1, doc: 'Upper bound (PyTorch `max_val`).' },
  ],
  ['min', 'max'],
  ({ attrs }) => {
    if (!(attrs.float('min') < attrs.float('max')))
      throw new ShapeError(
        'DLM012',
        `Hardtanh needs min < max, but min=${attrs.float('min')} and max=${attrs.float('max')}`,
        { attr: 'max' },
      );
  },
  (o, x, a) => clamp(o, x, a.float('min'), a.float('max')),
);

export const ReLU6 = activation(
  'ReLU6',
  'min(max(0, x), 6)',
  [
    'ReLU capped at 6 (PyTorch `nn.ReLU6`, MobileNetV2): `min(max(0, x), 6)`, i.e. `Hardtanh(0, 6)`.',
  ],
  [],
  [],
  undefined,
  (o, x) => clamp(o, x, 0, 6),
);

export const Hardsigmoid = activation(
  'Hardsigmoid',
  'ReLU6(x + 3)/6, a piecewise-linear sigmoid',
  [
    'Hard sigmoid (PyTorch `nn.Hardsigmoid`, MobileNetV3): `ReLU6(x + 3)/6`: 0 for x ≤ −3, 1 for x ≥ 3, `x/6 + 1/2` between. (Keras uses a slope of 0.2 instead of 1/6.)',
  ],
  [],
  [],
  undefined,
  (o, x) => hardsigmoid(o, x),
);

export const Hardswish = activation(
  'Hardswish',
  'x·ReLU6(x + 3)/6 (MobileNetV3)',
  [
    'Hard swish (PyTorch `nn.Hardswish`, MobileNetV3): `x·ReLU6(x + 3)/6`: 0 for x ≤ −3, x for x ≥ 3, a piecewise-quadratic approximation of SiLU between.',
  ],
  [],
  [],
  undefined,
  (o, x) => o.mul(x, hardsigmoid(o, x)),
);

export const Mish = activation(
  'Mish',
  'x·tanh(softplus(x))',
  [
    'Mish (PyTorch `nn.Mish`, Misra 2019): `x·tanh(log(1 + eˣ))`, smooth and non-monotonic like SiLU.',
  ],
  [],
  [],
  undefined,
  (o, x) => o.mul(x, o.tanh(o.softplus(x))),
);

function axisCheck(name: string) {
  return ({ inputs, attrs }: LayerCtx): void => {
    const x = inputs[0]!;
    const axis = attrs.int('axis');
    if (normAxis(axis, x.length) === undefined)
      throw new ShapeError(
        'DLM108',
        `${name}(axis=${axis}) is out of range for ${formatShapeInline(x)} (rank ${x.length}); use an axis in [−${x.length}, ${x.length - 1}]`,
        { attr: 'axis' },
      );
  };
}

const axisAttr: AttrSpec = {
  name: 'axis',
  type: { kind: 'int' },
  default: -1,
  doc: 'Axis to normalize over (negative counts from the end; default the last).',
};

export const Softmax = activation(
  'Softmax',
  'exp(xᵢ)/Σⱼ exp(xⱼ) along an axis',
  [
    'Softmax along `axis`: `softmax(x)ᵢ = exp(xᵢ − max x)/Σⱼ exp(xⱼ − max x)` (the max is subtracted for stability).',
    'Do not put it before a cross-entropy loss that expects logits: softmax would be applied twice.',
  ],
  [axisAttr],
  [],
  axisCheck('Softmax'),
  (o, x, a) => o.softmax(x, a.int('axis')),
);

export const LogSoftmax = activation(
  'LogSoftmax',
  'x − logΣexp(x) along an axis',
  [
    'Log-softmax along `axis`: `xᵢ − log Σⱼ exp(xⱼ)`, computed with the stable log-sum-exp. Pair it with NLL loss.',
  ],
  [axisAttr],
  [],
  axisCheck('LogSoftmax'),
  (o, x, a) => o.logSoftmax(x, a.int('axis')),
);

export const PReLU: LayerDef = {
  name: 'PReLU',
  category: 'activation',
  summary: 'Leaky ReLU with a learned slope (one, or one per channel)',
  doc: [
    'Parametric ReLU (PyTorch `nn.PReLU`): `x` for x > 0, `a·x` otherwise, with a learned slope `a` initialized to 0.25.',
    '`num_parameters=1` shares one slope; `num_parameters=C` learns one per channel (axis 1).',
    '',
    '**Parameters:** `num_parameters` (`weight`). **MACs:** 0 (elementwise).',
  ].join('\n'),
  attrs: [
    {
      name: 'num_parameters',
      type: { kind: 'int', min: 1 },
      default: 1,
      doc: 'Number of slopes: 1 (shared) or the channel count C (axis 1).',
    },
  ],
  positional: ['num_parameters'],
  arity: { min: 1, max: 1 },
  display: ['num_parameters'],
  nonlinear: true,
  paramFormula: 'num_parameters',
  macsFormula: '0',
  savedFormula: 'input',
  infer({ inputs, attrs }): LayerResult {
    const x = inputs[0]!;
    const n = attrs.int('num_parameters');
    if (n !== 1) {
      const c = x.length >= 2 ? x[1]!.value : undefined;
      if (x.length < 2 || (c !== undefined && c !== n))
        throw new ShapeError(
          'DLM100',
          `PReLU(num_parameters=${n}) needs ${n} channels on axis 1, but received ${formatShapeInline(x)}`,
          {
            attr: 'num_parameters',
            fixes:
              c !== undefined
                ? [
                    {
                      kind: 'setAttr',
                      attr: 'num_parameters',
                      value: String(c),
                      title: `Set num_parameters=${c}`,
                    },
                  ]
                : [],
          },
        );
    }
    return {
      outputs: [x],
      params: [
        {
          name: 'weight',
          shape: [n],
          trainable: true,
          init: { kind: 'constant', value: 0.25 },
          formula: `${n}`,
        },
      ],
      macs: ZERO,
      saved: KEEPS_INPUT,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    const x = ctx.inputs[0]!;
    const w = need(ctx, 'PReLU', 'weight');
    // One slope broadcasts everywhere; C slopes go along the channel axis 1.
    const a = w.shape[0] === 1 ? o.reshape(w, []) : channelVec(o, w, x.shape.length);
    return [o.where(o.greater(x, o.scalar(0, x)), x, o.mul(a, x))];
  },
};

/** PyTorch Softplus: `log(1 + e^(βx))/β`, and x itself where `βx > threshold`. */
function softplus(o: Ops, x: Value, a: Attrs): Value {
  const beta = a.float('beta');
  const bx = beta === 1 ? x : o.scale(x, beta);
  const sp = beta === 1 ? o.softplus(bx) : o.scale(o.softplus(bx), 1 / beta);
  return o.where(o.greater(bx, o.scalar(a.float('threshold'), x)), x, sp);
}
