import { dropout } from './lowering';
import { ZERO, dimProduct, f32Bytes, type LayerDef } from './types';

export const Dropout: LayerDef = {
  name: 'Dropout',
  category: 'regularization',
  summary: 'Inverted dropout: zero each element with probability p at train time',
  doc: [
    'Dropout (PyTorch `nn.Dropout`), **inverted** form: at training time each element is zeroed with probability `p` and the survivors are scaled by `1/(1 − p)`, so the expected value is unchanged; at evaluation time it is the identity (no rescaling needed).',
    'Shape unchanged.',
    '',
    '**Parameters:** 0. **MACs:** 0 (the mask multiply is elementwise and not counted).',
  ].join('\n'),
  attrs: [
    {
      name: 'p',
      type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
      default: 0.5,
      doc: 'Probability of zeroing an element, in [0, 1). Default 0.5 (PyTorch).',
    },
  ],
  positional: ['p'],
  arity: { min: 1, max: 1 },
  display: ['p'],
  paramFormula: '0',
  macsFormula: '0',
  savedFormula: 'the mask (one float per element) when p > 0',
  infer({ inputs, attrs }) {
    const x = inputs[0]!;
    // PyTorch on the CPU keeps the scaled mask, a float per element, not the input.
    const kept = attrs.float('p') > 0 ? { extraBytes: f32Bytes(dimProduct(x)) } : undefined;
    return { outputs: [x], params: [], macs: ZERO, ...(kept ? { saved: kept } : {}) };
  },
  lower: (ctx) => [dropout(ctx, ctx.inputs[0]!, ctx.attrs.float('p'))],
};
