import { Dim } from '../core';
import {
  ShapeError,
  formatShapeInline,
  concrete,
  param,
  type AttrSpec,
  type LayerDef,
  type LayerResult,
  type ParamSpec,
} from './types';

type Kind = 'rnn' | 'lstm' | 'gru';

interface KindInfo {
  readonly name: string;
  readonly gates: number;
  readonly torch: string;
  readonly equations: readonly string[];
}

const KINDS: Record<Kind, KindInfo> = {
  rnn: {
    name: 'SimpleRNN',
    gates: 1,
    torch: 'nn.RNN',
    equations: ['`h_t = φ(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh)`, φ = tanh (or ReLU).'],
  },
  lstm: {
    name: 'LSTM',
    gates: 4,
    torch: 'nn.LSTM',
    equations: [
      'Gates (PyTorch row order i, f, g, o): `i = σ(W_ii·x_t + b_ii + W_hi·h_{t−1} + b_hi)`, likewise f and o; `g = tanh(W_ig·x_t + b_ig + W_hg·h_{t−1} + b_hg)`;',
      '`c_t = f⊙c_{t−1} + i⊙g`, `h_t = o⊙tanh(c_t)`.',
    ],
  },
  gru: {
    name: 'GRU',
    gates: 3,
    torch: 'nn.GRU',
    equations: [
      'Gates (PyTorch row order r, z, n): `r = σ(W_ir·x_t + b_ir + W_hr·h_{t−1} + b_hr)`, likewise z;',
      '`n = tanh(W_in·x_t + b_in + r⊙(W_hn·h_{t−1} + b_hn))`, `h_t = (1 − z)⊙n + z⊙h_{t−1}` (z = 1 keeps the old state).',
    ],
  },
};

function recurrentAttrs(kind: Kind): AttrSpec[] {
  return [
    { name: 'hidden', type: { kind: 'int', min: 1 }, required: true, doc: 'Hidden state size H.' },
    {
      name: 'layers',
      type: { kind: 'int', min: 1 },
      default: 1,
      doc: 'Number of stacked layers; layer l > 0 takes the H·dirs outputs of layer l − 1.',
    },
    {
      name: 'bidirectional',
      type: { kind: 'bool' },
      default: false,
      doc: 'Also run right-to-left and concatenate: output features 2H, parameters × 2 (`_reverse` names).',
    },
    {
      name: 'return_sequences',
      type: { kind: 'bool' },
      default: true,
      doc: 'true: every step `[N, T, H·dirs]`; false: the last state of the top layer `[N, H·dirs]` (for bidirectional, the forward state after step T concatenated with the backward state after step 1).',
    },
    {
      name: 'bias',
      type: { kind: 'bool' },
      default: true,
      doc: 'Use the two bias vectors b_ih and b_hh (PyTorch/ONNX).',
    },
    {
      name: 'dropout',
      type: { kind: 'float', min: 0, max: 1, maxExclusive: true },
      default: 0,
      doc: 'Dropout on the outputs of every layer except the last (no effect with layers=1).',
    },
    ...(kind === 'rnn'
      ? [
          {
            name: 'nonlinearity',
            type: { kind: 'string', values: ['tanh', 'relu'] },
            default: 'tanh',
            doc: 'φ in the update: `"tanh"` or `"relu"`.',
          } satisfies AttrSpec,
        ]
      : []),
  ];
}

/** SimpleRNN, LSTM and GRU. */
function recurrentLayer(kind: Kind): LayerDef {
  const { name, gates, torch, equations } = KINDS[kind];
  const g = gates === 1 ? '' : `${gates}·`;
  return {
    name,
    category: 'recurrent',
    summary: `${name} over batch-first sequences [N, T, F] → [N, T, H·dirs] or [N, H·dirs]`,
    doc: [
      `${name} (PyTorch \`${torch}\`, batch first): \`[N, T, F]\` → \`[N, T, H·dirs]\` (return_sequences) or \`[N, H·dirs]\` (last state).`,
      ...equations,
      '',
      `**Parameters** per layer and direction: \`${g}(H·F + H·H + 2H)\`, with F = H·dirs for layers after the first. ` +
        'Named `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (+ `_reverse`).',
      `**Bias convention:** PyTorch/ONNX, **two** bias vectors (b_ih and b_hh). Keras has one, i.e. \`${g}(H·F + H·H + H)\`${kind === 'gru' ? ' for `reset_after=False`; Keras’s default GRU (`reset_after=True`) also has two and matches PyTorch' : ''}.`,
      `**MACs:** \`N·T·${g}(F·H + H·H)\` per layer and direction.`,
      '**Init:** PyTorch, every weight and bias `U(−1/√H, 1/√H)`.',
    ].join('\n'),
    attrs: recurrentAttrs(kind),
    positional: ['hidden'],
    arity: { min: 1, max: 1 },
    display: ['hidden', 'layers', 'bidirectional'],
    nonlinear: true,
    paramFormula: `dirs·Σ_layers ${g}(H·F_l + H·H + 2H), F_0 = F, F_l = H·dirs`,
    macsFormula: `N·T·dirs·Σ_layers ${g}(F_l·H + H·H)`,
    infer({ inputs, attrs }): LayerResult {
      const x = inputs[0]!;
      if (x.length !== 3)
        throw new ShapeError(
          'DLM101',
          `${name} expects a batch-first sequence [N, T, F] (rank 3), but received ${formatShapeInline(x)} (rank ${x.length})${x.length === 2 ? '; add a time axis, or use Dense for non-sequential data' : ''}`,
        );
      const h = attrs.int('hidden');
      const layers = attrs.int('layers');
      const dirs = attrs.bool('bidirectional') ? 2 : 1;
      const bias = attrs.bool('bias');
      const f = concrete(name, x[2]!, 'input feature size F (last axis)');
      const init = { kind: 'uniform', bound: 1 / Math.sqrt(h) } as const;
      const params: ParamSpec[] = [];
      let perStepMacs = 0;
      let oneBias = 0;
      for (let l = 0; l < layers; l++) {
        const inF = l === 0 ? f : h * dirs;
        for (let dir = 0; dir < dirs; dir++) {
          const sfx = `_l${l}${dir === 1 ? '_reverse' : ''}`;
          params.push(param(`weight_ih${sfx}`, [gates * h, inF], init));
          params.push(param(`weight_hh${sfx}`, [gates * h, h], init));
          if (bias) {
            params.push(param(`bias_ih${sfx}`, [gates * h], init));
            params.push(param(`bias_hh${sfx}`, [gates * h], init));
            oneBias += gates * h;
          }
          perStepMacs += gates * (inF * h + h * h);
        }
      }
      const total = params.reduce((a, p) => a + p.shape.reduce((m, n) => m * n, 1), 0);
      const notes = [
        `PyTorch/ONNX convention: two bias vectors (bias_ih, bias_hh): ${total.toLocaleString('en-US')} parameters. ` +
          (kind === 'gru'
            ? `Keras GRU with reset_after=True (the default) also has two and counts the same; with one bias (reset_after=False) it would count ${(total - oneBias).toLocaleString('en-US')}.`
            : `Keras (one bias) would count ${(total - oneBias).toLocaleString('en-US')}.`),
      ];
      if (attrs.float('dropout') > 0 && layers === 1)
        notes.push('dropout only acts between stacked layers, so it has no effect with layers=1.');
      const out = Dim.const(h * dirs);
      return {
        outputs: [attrs.bool('return_sequences') ? [x[0]!, x[1]!, out] : [x[0]!, out]],
        params,
        macs: x[0]!.mul(x[1]!).mul(perStepMacs),
        notes,
      };
    },
  };
}

export const SimpleRNN = recurrentLayer('rnn');
export const LSTM = recurrentLayer('lstm');
export const GRU = recurrentLayer('gru');
