import { INIT_ATTR, weightAndBias } from './init';
import { Dim } from '../core';
import { ops } from '../primitives/ops';
import { linear, need } from './lowering';
import {
  KEEPS_INPUT,
  ShapeError,
  concrete,
  formatShapeInline,
  requireRank,
  type LayerDef,
} from './types';

export const Dense: LayerDef = {
  name: 'Dense',
  category: 'dense',
  summary: 'Fully connected layer on the last axis: y = x·Wᵀ + b',
  doc: [
    'Fully connected (linear) layer acting on the **last axis**: `y = x·Wᵀ + b`.',
    'Input `[..., in]` → output `[..., out]`. Weight shape `[out, in]` (PyTorch `nn.Linear`).',
    '',
    '**Parameters:** `in·out + out` (no `+ out` with `bias=false`).',
    '**MACs:** `N·in·out`, where N is the product of the leading axes.',
    '**Init:** PyTorch default, `U(−1/√in, 1/√in)` for weight and bias.',
    '**Tied output layer:** `h |> Dense(V, bias=false, tie=embed)` reuses the weight of `layer embed = Embedding(V, D)` (transposed in the math, the same `[V, D]` array in memory, as in PyTorch `lm_head.weight = embed.weight`).',
  ].join('\n'),
  attrs: [
    {
      name: 'out',
      type: { kind: 'int', min: 1 },
      required: true,
      doc: 'Number of output features.',
    },
    {
      name: 'in',
      type: { kind: 'int', min: 1 },
      doc: 'Number of input features. Inferred from the input when omitted; checked when given.',
    },
    { name: 'bias', type: { kind: 'bool' }, default: true, doc: 'Add a learned bias vector.' },
    INIT_ATTR,
    {
      name: 'tie',
      type: { kind: 'string' },
      doc: 'Weight tying (Press & Wolf, 2017; GPT-2’s output layer): the name of a shared layer declared with `layer`, e.g. `tie=embed` for `layer embed = Embedding(V, D)`, whose `[V, D]` weight this layer uses as its `[out, in]` weight, so `x·Wᵀ` scores every token. The weight is counted once and its gradients from both uses add up; the bias (if any) stays this layer’s own. The shared layer must be used before the tie, and the shapes must agree (DLM041).',
    },
  ],
  positional: ['out'],
  arity: { min: 1, max: 1 },
  display: ['out'],
  paramFormula: 'in·out + out',
  macsFormula: 'N·in·out',
  savedFormula: 'input',
  infer({ inputs, attrs }) {
    const x = inputs[0]!;
    const out = attrs.int('out');
    if (x.length < 2) requireRank('Dense', x, [2], 'of shape [N, features]');
    const lastDim = x[x.length - 1]!;
    if (x.length >= 4) {
      // Dense on a conv feature map acts on the last axis only; that is almost always a missing Flatten.
      const flat = x.slice(1).reduce((a, d) => a.mul(d), Dim.const(1));
      throw new ShapeError(
        'DLM101',
        `Dense expects [N, features] (or [N, T, features]), but received the rank-${x.length} feature map ${formatShapeInline(x)}; flatten it first (${flat.toString()} features)`,
        {
          fixes: [{ kind: 'insertBefore', text: 'Flatten', title: 'Insert Flatten before Dense' }],
        },
      );
    }
    const inGiven = attrs.has('in') ? attrs.int('in') : undefined;
    const inActual = lastDim.value;
    if (inGiven !== undefined && inActual !== undefined && inGiven !== inActual) {
      throw new ShapeError(
        'DLM100',
        `Dense(in=${inGiven}) received ${formatShapeInline(x)}: its last axis has ${inActual} features, not ${inGiven}`,
        {
          attr: 'in',
          fixes: [
            { kind: 'setAttr', attr: 'in', value: String(inActual), title: `Set in=${inActual}` },
          ],
        },
      );
    }
    const inF = inGiven ?? concrete('Dense', lastDim, 'input feature size (last axis)');
    const bias = attrs.bool('bias');
    const lead = x.slice(0, -1).reduce((a, d) => a.mul(d), Dim.const(1));
    return {
      outputs: [[...x.slice(0, -1), Dim.const(out)]],
      params: weightAndBias({
        weightShape: [out, inF],
        init: attrs.str('init'),
        fanIn: inF,
        fanOut: out,
        bias,
        biasSize: out,
        formula: `${inF}·${out}`,
      }),
      macs: lead.mul(inF * out),
      saved: KEEPS_INPUT,
    };
  },
  lower(ctx) {
    const o = ops(ctx.b);
    return [linear(o, ctx.inputs[0]!, need(ctx, 'Dense', 'weight'), ctx.params.bias)];
  },
};
