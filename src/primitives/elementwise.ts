/**
 * Elementwise primitives: binary arithmetic with numpy broadcasting, comparisons and `where`,
 * and the unary math and activation functions (docs/conventions.md §4).
 *
 * Binary VJPs sum the cotangent back to each operand's shape (`unbroadcast`).
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import type {
  PrimAttrs,
  PrimName,
  EmitContext,
  EmitNode,
  PrimitiveAttrs,
  PrimitiveDef,
  TensorType,
  Value,
  VjpArgs,
} from './types';
import {
  attr,
  broadcastShapes,
  expectArity,
  expectFloat,
  node,
  numAttr,
  sameDType,
  strAttr,
} from './util';
import type { onnx } from 'onnx-proto';

type Emit = (ctx: EmitContext, n: EmitNode) => onnx.INodeProto[];

const simple =
  (opType: string, attrs: (n: EmitNode) => onnx.IAttributeProto[] = () => []): Emit =>
  (_ctx, n) => [node(opType, n.inputs, n.outputs, attrs(n))];

// ── binary ──────────────────────────────────────────────────────────────────────────────────

function binary(
  name: PrimName,
  opType: string,
  doc: string,
  vjp?: (a: VjpArgs, ct: Value) => (Value | undefined)[],
  outDType?: 'bool',
): PrimitiveDef {
  return {
    name,
    doc,
    infer(inputs) {
      expectArity(inputs, 2, name);
      const dtype = sameDType(inputs, name);
      return [
        { shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape), dtype: outDType ?? dtype },
      ];
    },
    vjp: vjp ? (a) => vjp(a, a.cts[0]!) : undefined,
    emit: simple(opType),
  };
}

const unb = (a: VjpArgs, i: number, ct: Value | undefined) =>
  a.needs[i] && ct ? ops(a.b).unbroadcast(ct, a.inputs[i]!.shape) : undefined;

registerPrimitive(
  binary('add', 'Add', 'x + y (broadcasting)', (a, ct) => [unb(a, 0, ct), unb(a, 1, ct)]),
  binary('sub', 'Sub', 'x − y (broadcasting)', (a, ct) => [
    unb(a, 0, ct),
    a.needs[1] ? unb(a, 1, ops(a.b).neg(ct)) : undefined,
  ]),
  binary('mul', 'Mul', 'x ⊙ y (broadcasting)', (a, ct) => {
    const o = ops(a.b);
    const [x, y] = a.inputs as [Value, Value];
    return [
      a.needs[0] ? unb(a, 0, o.mul(ct, y)) : undefined,
      a.needs[1] ? unb(a, 1, o.mul(ct, x)) : undefined,
    ];
  }),
  binary('div', 'Div', 'x / y (broadcasting)', (a, ct) => {
    const o = ops(a.b);
    const y = a.inputs[1]!;
    const gy = a.needs[0] || a.needs[1] ? o.div(ct, y) : undefined;
    // d(x/y)/dy = −x/y² = −(x/y)/y, so the y-cotangent is −(ct/y)·out.
    return [unb(a, 0, gy), a.needs[1] ? unb(a, 1, o.neg(o.mul(gy!, a.outputs[0]!))) : undefined];
  }),
  binary('maximum', 'Max', 'elementwise max(x, y); ties send the gradient to x', (a, ct) => {
    const o = ops(a.b);
    const [x, y] = a.inputs as [Value, Value];
    // y's share is ct·[y > x] (a mask multiply is cheaper than Where in onnxruntime) and x gets
    // the rest: ct − gy is exactly ct or 0 for finite ct.
    const gy = o.mul(ct, o.cast(o.greater(y, x), ct.dtype));
    return [
      a.needs[0] ? unb(a, 0, o.sub(ct, gy)) : undefined,
      a.needs[1] ? unb(a, 1, gy) : undefined,
    ];
  }),
  binary('minimum', 'Min', 'elementwise min(x, y); ties send the gradient to x', (a, ct) => {
    const o = ops(a.b);
    const [x, y] = a.inputs as [Value, Value];
    const yWins = o.greater(x, y);
    const z = o.scalar(0, ct);
    return [
      a.needs[0] ? unb(a, 0, o.where(yWins, z, ct)) : undefined,
      a.needs[1] ? unb(a, 1, o.where(yWins, ct, z)) : undefined,
    ];
  }),
  binary('greater', 'Greater', 'x > y → bool (not differentiable)', undefined, 'bool'),
  binary('equal', 'Equal', 'x == y → bool (not differentiable)', undefined, 'bool'),
  {
    name: 'where',
    doc: 'cond ? x : y (broadcasting); cond is bool',
    infer(inputs) {
      expectArity(inputs, 3, 'where');
      if (inputs[0]!.dtype !== 'bool') throw new Error('where: the condition must be bool');
      const dtype = sameDType(inputs.slice(1), 'where');
      return [{ shape: broadcastShapes(...inputs.map((t) => t.shape)), dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const c = a.inputs[0]!;
      const z = o.scalar(0, ct);
      return [
        undefined,
        a.needs[1] ? unb(a, 1, o.where(c, ct, z)) : undefined,
        a.needs[2] ? unb(a, 2, o.where(c, z, ct)) : undefined,
      ];
    },
    emit: simple('Where'),
  },
);

// ── unary ───────────────────────────────────────────────────────────────────────────────────

/** `dydx(o, x, y)` gives the local derivative; the VJP multiplies it by the cotangent. */
function unary(
  name: PrimName,
  opType: string | Emit,
  doc: string,
  dydx?: (o: ReturnType<typeof ops>, x: Value, y: Value, a: VjpArgs) => Value,
  floatOnly = true,
): PrimitiveDef {
  return {
    name,
    doc,
    infer(inputs) {
      expectArity(inputs, 1, name);
      if (floatOnly) expectFloat(inputs[0]!, name);
      return [{ ...inputs[0]! }];
    },
    vjp: dydx
      ? (a) => {
          const o = ops(a.b);
          return [o.mul(a.cts[0]!, dydx(o, a.inputs[0]!, a.outputs[0]!, a))];
        }
      : undefined,
    emit: typeof opType === 'string' ? simple(opType) : opType,
  };
}

/** leaky_relu's attributes; the LeakyReLU layer's `alpha` default is this one. */
export const LEAKY_RELU_ATTRS = {
  alpha: { default: 0.01, doc: 'Slope for negative inputs (PyTorch negative_slope).' },
} as const satisfies PrimitiveAttrs;

const leakyAlpha = (attrs: PrimAttrs): number =>
  numAttr(attrs, 'alpha', LEAKY_RELU_ATTRS.alpha.default);

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

registerPrimitive(
  {
    name: 'neg',
    doc: '−x',
    infer: (inputs) => [{ ...inputs[0]! }],
    vjp: (a) => [ops(a.b).neg(a.cts[0]!)],
    emit: simple('Neg'),
  },
  {
    name: 'identity',
    doc: 'x',
    infer: (inputs) => [{ ...inputs[0]! }],
    vjp: (a) => [a.cts[0]!],
    emit: simple('Identity'),
  },
  unary('exp', 'Exp', 'eˣ', (_o, _x, y) => y),
  unary('log', 'Log', 'ln x', (o, x) => o.div(o.scalar(1, x), x)),
  unary('sqrt', 'Sqrt', '√x', (o, _x, y) => o.div(o.scalar(0.5, y), y)),
  unary('abs', 'Abs', '|x|', (o, x) => o.sign(x)),
  unary('sign', 'Sign', 'sign(x) (gradient zero, so not differentiable)'),
  unary('tanh', 'Tanh', 'tanh x', (o, _x, y) => o.sub(o.scalar(1, y), o.mul(y, y))),
  unary('sigmoid', 'Sigmoid', 'σ(x) = 1/(1+e⁻ˣ)', (o, _x, y) => o.mul(y, o.sub(o.scalar(1, y), y))),
  unary('erf', 'Erf', 'erf x', (o, x) =>
    o.scale(o.exp(o.neg(o.mul(x, x))), 2 / Math.sqrt(Math.PI)),
  ),
  unary('softplus', 'Softplus', 'log(1 + eˣ)', (o, x) => o.sigmoid(x)),
  {
    ...unary('relu', 'Relu', 'max(x, 0)'),
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const z = o.scalar(0, ct);
      return [o.where(o.greater(a.inputs[0]!, z), ct, z)];
    },
  },
  {
    ...unary(
      'leaky_relu',
      simple('LeakyRelu', (n) => [attr.f('alpha', leakyAlpha(n.attrs))]),
      `x > 0 ? x : αx (attr alpha, default ${LEAKY_RELU_ATTRS.alpha.default})`,
    ),
    attrs: LEAKY_RELU_ATTRS,
    vjp(a) {
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const alpha = leakyAlpha(a.attrs);
      return [o.where(o.greater(a.inputs[0]!, o.scalar(0, ct)), ct, o.scale(ct, alpha))];
    },
  },
  {
    ...unary(
      'elu',
      simple('Elu', (n) => [attr.f('alpha', numAttr(n.attrs, 'alpha', 1))]),
      'x > 0 ? x : α(eˣ − 1) (attr alpha, default 1)',
    ),
    vjp(a) {
      // For x ≤ 0, dy/dx = αeˣ = y + α.
      const o = ops(a.b);
      const ct = a.cts[0]!;
      const alpha = numAttr(a.attrs, 'alpha', 1);
      const neg = o.mul(ct, o.add(a.outputs[0]!, o.scalar(alpha, ct)));
      return [o.where(o.greater(a.inputs[0]!, o.scalar(0, ct)), ct, neg)];
    },
  },
  unary(
    'gelu',
    (ctx, n) => {
      // Exact GELU (opset 17 has no Gelu): x · ½ · (1 + erf(x/√2)).
      const t = n.inTypes[0]!.dtype;
      const [x] = n.inputs as [string];
      const s = ctx.fresh('gelu_s');
      const e = ctx.fresh('gelu_e');
      const e1 = ctx.fresh('gelu_e1');
      const m = ctx.fresh('gelu_m');
      return [
        node('Mul', [x, ctx.float([SQRT1_2], [], t)], [s]),
        node('Erf', [s], [e]),
        node('Add', [e, ctx.float([1], [], t)], [e1]),
        node('Mul', [x, e1], [m]),
        node('Mul', [m, ctx.float([0.5], [], t)], n.outputs),
      ];
    },
    'x·Φ(x), exact (erf) form',
    (o, x) => {
      // d/dx xΦ(x) = Φ(x) + x·φ(x)
      const cdf = o.scale(o.add(o.scalar(1, x), o.erf(o.scale(x, SQRT1_2))), 0.5);
      const pdf = o.scale(o.exp(o.scale(o.mul(x, x), -0.5)), INV_SQRT_2PI);
      return o.add(cdf, o.mul(x, pdf));
    },
  ),
  {
    ...unary('pow_const', 'Pow', 'xᵖ for a constant exponent p (attr exponent)'),
    vjp(a) {
      const o = ops(a.b);
      const p = numAttr(a.attrs, 'exponent');
      const x = a.inputs[0]!;
      const d = p === 2 ? o.scale(x, 2) : o.scale(o.powConst(x, p - 1), p);
      return [o.mul(a.cts[0]!, d)];
    },
    emit: (ctx, n) => [
      node(
        'Pow',
        [n.inputs[0]!, ctx.float([numAttr(n.attrs, 'exponent')], [], n.inTypes[0]!.dtype)],
        n.outputs,
      ),
    ],
  },
  {
    name: 'cast',
    doc: 'convert the element type (attr to: float32 | float64 | int64 | bool)',
    infer: (inputs, attrs) => [
      { shape: inputs[0]!.shape, dtype: strAttr(attrs, 'to') as TensorType['dtype'] },
    ],
    vjp(a) {
      const from = a.inputs[0]!.dtype;
      if (from !== 'float32' && from !== 'float64') return [undefined];
      return [ops(a.b).cast(a.cts[0]!, from)];
    },
    emit: (_ctx, n) => {
      const to = n.outTypes[0]!.dtype;
      const code = { float32: 1, float64: 11, int64: 7, bool: 9 }[to];
      return [node('Cast', n.inputs, n.outputs, [attr.i('to', code)])];
    },
  },
);
