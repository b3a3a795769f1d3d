import { dropout } from './lowering';
import { ZERO, type LayerDef } from './types';

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
  infer({ inputs }) {
    return { outputs: [inputs[0]!], params: [], macs: ZERO };
  },
  lower: (ctx) => [dropout(ctx, ctx.inputs[0]!, ctx.attrs.float('p'))],
};
