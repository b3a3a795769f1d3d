import { Dim, type Shape } from '../core';
import { ops, type Ops } from '../primitives/ops';
import { dropout, linear, need, type TensorValue } from './lowering';
import {
  ShapeError,
  f32Bytes,
  formatShapeInline,
  concrete,
  param,
  type AttrSpec,
  type LayerDef,
  type LayerResult,
  type LowerCtx,
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
      name: 'return_state',
      type: { kind: 'bool' },
      default: false,
      doc: `true: also return the final state of every layer and direction, PyTorch's layout \`[layers·dirs, N, H]\`: \`(out, h_n)\`${kind === 'lstm' ? ', for LSTM `(out, (h_n, c_n))`' : ''}. Bind them with \`(out, h) = x |> ${KINDS[kind].name}(H, return_state=true)\`.`,
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
      '',
      `**State** (PyTorch's layout \`[layers·dirs, N, H]\`, forward then reverse per layer): start from given states with ${kind === 'lstm' ? '`(x, (h0, c0)) |> LSTM(H)`' : `\`(x, h0) |> ${name}(H)\``} (zeros otherwise); \`return_state=true\` also returns the final states, ${kind === 'lstm' ? '`(out, (h_n, c_n)) = x |> LSTM(H, return_state=true)`' : `\`(out, h_n) = x |> ${name}(H, return_state=true)\``}. Gradients flow through both.`,
      '**Init:** PyTorch, every weight and bias `U(−1/√H, 1/√H)`.',
    ].join('\n'),
    attrs: recurrentAttrs(kind),
    positional: ['hidden'],
    // (x), (x, h0), and for LSTM (x, (h0, c0)): tuples flatten, so h0 and c0 are inputs 1 and 2.
    arity: { min: 1, max: kind === 'lstm' ? 3 : 2 },
    display: ['hidden', 'layers', 'bidirectional'],
    nonlinear: true,
    paramFormula: `dirs·Σ_layers ${g}(H·F_l + H·H + 2H), F_0 = F, F_l = H·dirs`,
    macsFormula: `N·T·dirs·Σ_layers ${g}(F_l·H + H·H)`,
    savedFormula:
      kind === 'rnn'
        ? 'per layer and direction (T + 1)·N·H states, plus a copy of each layer’s input'
        : 'per layer and direction 7·N·H per time step (gates, cell and hidden states), plus a copy of each layer’s input',
    infer({ inputs, attrs, call }): LayerResult {
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
      const state: Shape = [Dim.const(layers * dirs), x[0]!, Dim.const(h)];
      checkStates(kind, call, inputs, state);
      const y: Shape = attrs.bool('return_sequences') ? [x[0]!, x[1]!, out] : [x[0]!, out];
      const states = attrs.bool('return_state') ? (kind === 'lstm' ? [state, state] : [state]) : [];
      return {
        outputs: [y, ...states],
        params,
        macs: x[0]!.mul(x[1]!).mul(perStepMacs),
        saved: {
          extraBytes: f32Bytes(recurrentSaved(kind, x, h, layers, dirs, f, y.length === 2)),
        },
        notes,
      };
    },
    lower: (ctx) => lowerRecurrent(ctx, kind),
  };
}

/**
 * Elements PyTorch's CPU recurrent layers keep for the backward pass (measured with
 * saved_tensors_hooks, test/fixtures/torch/gen_memory.py): each layer copies its input to
 * time-major order (the first layer once per direction), and every time step keeps 7·N·H for
 * LSTM and GRU (gate activations, cell and hidden states) or one N·H state for SimpleRNN (plus
 * the initial one). With `return_sequences=false` the last step is a view of the whole output
 * sequence, which stays alive.
 */
function recurrentSaved(
  kind: Kind,
  x: Shape,
  h: number,
  layers: number,
  dirs: number,
  f: number,
  lastOnly: boolean,
): Dim {
  const [n, t] = [x[0]!, x[1]!];
  const nt = n.mul(t);
  const states = kind === 'rnn' ? t.add(Dim.const(1)).mul(n).mul(h) : nt.mul(7 * h);
  let total = states.mul(layers * dirs).add(nt.mul(dirs * f));
  if (layers > 1) total = total.add(nt.mul((layers - 1) * h * dirs));
  if (lastOnly && dirs === 1) total = total.add(nt.mul(h));
  return total;
}

/**
 * Initial states (inputs 1 and 2) must be `[layers·dirs, N, H]` (DLM050, at the state's tuple
 * item); an LSTM needs both h0 and c0 (DLM051).
 */
function checkStates(kind: Kind, call: string, inputs: readonly Shape[], want: Shape): void {
  if (kind === 'lstm' && inputs.length === 2)
    throw new ShapeError(
      'DLM051',
      `${call} received an initial hidden state but no cell state: an LSTM starts from both, written (x, (h0, c0)) |> LSTM(…), each ${formatShapeInline(want)}`,
      { input: 1 },
    );
  const names = ['h0', 'c0'];
  for (let k = 1; k < inputs.length; k++) {
    const s = inputs[k]!;
    if (s.length === want.length && s.every((d, i) => d.equals(want[i]!))) continue;
    throw new ShapeError(
      'DLM050',
      `${call} needs its initial ${k === 1 ? 'hidden' : 'cell'} state ${names[k - 1]} as ${formatShapeInline(want)} (layers·directions, N, H), but receives ${formatShapeInline(s)}`,
      { input: k },
    );
  }
}

/**
 * Unrolled over the static sequence length T: the input projections of all steps are one
 * matrix product; each step adds `h·W_hhᵀ + b_hh` and applies the cell (PyTorch gate order).
 * The reverse direction walks t = T−1 … 0 and writes its states back at their own positions.
 */
function lowerRecurrent(ctx: LowerCtx, kind: Kind): TensorValue[] {
  const o = ops(ctx.b);
  const name = KINDS[kind].name;
  const x = ctx.inputs[0]!;
  const [n, t] = x.shape as [number, number, number];
  const h = ctx.attrs.int('hidden');
  const layers = ctx.attrs.int('layers');
  const dirs = ctx.attrs.bool('bidirectional') ? 2 : 1;
  const p = ctx.attrs.float('dropout');
  const act = kind === 'rnn' && ctx.attrs.str('nonlinearity') === 'relu' ? o.relu : o.tanh;
  const g = KINDS[kind].gates;
  // `split` (VJP: one concat) rather than slices (VJP: a full-size pad each): O(T) backward.
  const split = (v: TensorValue, ax: number, n: number): TensorValue[] =>
    n === 1
      ? [v]
      : ctx.b.opMulti('split', [v], { axis: ax, sizes: Array<number>(n).fill(v.shape[ax]! / n) });
  const gateCache = new Map<number, TensorValue[]>();
  const gate = (v: TensorValue, k: number) => {
    let parts = gateCache.get(v.id);
    if (!parts) gateCache.set(v.id, (parts = split(v, v.shape.length - 1, g)));
    return parts[k]!;
  };
  // Initial states [layers·dirs, N, H] → one [N, H] per layer and direction (zeros when absent).
  const initial = (k: number): TensorValue[] | undefined => {
    const v = ctx.inputs[k];
    return v && split(v, 0, layers * dirs).map((s) => o.reshape(s, [n, h]));
  };
  const h0 = initial(1);
  const c0 = kind === 'lstm' ? initial(2) : undefined;
  const hN: TensorValue[] = [];
  const cN: TensorValue[] = [];
  let seq = x;
  let finals: TensorValue[] = [];
  for (let l = 0; l < layers; l++) {
    const perDir: TensorValue[] = [];
    finals = [];
    for (let dir = 0; dir < dirs; dir++) {
      const sfx = `_l${l}${dir === 1 ? '_reverse' : ''}`;
      const wih = need(ctx, name, `weight_ih${sfx}`);
      const whh = need(ctx, name, `weight_hh${sfx}`);
      const bih = ctx.params[`bias_ih${sfx}`];
      const bhh = ctx.params[`bias_hh${sfx}`];
      // GRU keeps b_hn inside r⊙(W_hn·h + b_hn); the other cells can fold b_hh in up front.
      const inBias = bih && bhh && kind !== 'gru' ? o.add(bih, bhh) : bih;
      const stepBias = kind === 'gru' ? bhh : undefined;
      const xp = linear(o, seq, wih, inBias); // [N, T, G·H]
      const steps = split(xp, 1, t).map((v) => o.reshape(v, [n, xp.shape[2]!]));
      const hs = new Array<TensorValue>(t);
      let hPrev: TensorValue | undefined = h0?.[l * dirs + dir];
      let cPrev: TensorValue | undefined = c0?.[l * dirs + dir];
      for (let step = 0; step < t; step++) {
        const ti = dir === 0 ? step : t - 1 - step;
        const xt = steps[ti]!;
        // h·W_hhᵀ (+ b_hn for GRU); at step 0 the state is zero.
        const hp = hPrev ? o.gemm(hPrev, whh, stepBias, { transB: true }) : stepBias;
        const r = cell(o, kind, xt, hp, hPrev, cPrev, gate, act);
        hPrev = r.h;
        cPrev = r.c;
        hs[ti] = r.h;
      }
      finals.push(hPrev!);
      hN.push(hPrev!);
      if (cPrev) cN.push(cPrev);
      perDir.push(
        o.concat(
          hs.map((v) => o.reshape(v, [n, 1, h])),
          1,
        ),
      );
    }
    seq = dirs === 1 ? perDir[0]! : o.concat(perDir, 2);
    if (l + 1 < layers) seq = dropout(ctx, seq, p, `dropout_l${l}`);
  }
  const y = ctx.attrs.bool('return_sequences')
    ? seq
    : dirs === 1
      ? finals[0]!
      : o.concat(finals, 1);
  if (!ctx.attrs.bool('return_state')) return [y];
  const stack = (vs: TensorValue[]) => {
    const rows = vs.map((v) => o.reshape(v, [1, n, h]));
    return rows.length === 1 ? rows[0]! : o.concat(rows, 0);
  };
  return kind === 'lstm' ? [y, stack(hN), stack(cN)] : [y, stack(hN)];
}

/** One step of a cell from the input part `xt` and the hidden part `hp` (undefined: zero). */
function cell(
  o: Ops,
  kind: Kind,
  xt: TensorValue,
  hp: TensorValue | undefined,
  hPrev: TensorValue | undefined,
  cPrev: TensorValue | undefined,
  gate: (v: TensorValue, k: number) => TensorValue,
  act: (v: TensorValue) => TensorValue,
): { h: TensorValue; c?: TensorValue } {
  const plus = (a: TensorValue, b: TensorValue | undefined) => (b ? o.add(a, b) : a);
  if (kind === 'rnn') return { h: act(plus(xt, hp)) };
  if (kind === 'lstm') {
    const z = plus(xt, hp);
    const i = o.sigmoid(gate(z, 0));
    const f = o.sigmoid(gate(z, 1));
    const g = o.tanh(gate(z, 2));
    const og = o.sigmoid(gate(z, 3));
    const ig = o.mul(i, g);
    const c = cPrev ? o.add(o.mul(f, cPrev), ig) : ig;
    return { h: o.mul(og, o.tanh(c)), c };
  }
  // GRU: r, z = σ(·); n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)); h = (1 − z)⊙n + z⊙h_prev.
  const r = o.sigmoid(plus(gate(xt, 0), hp && gate(hp, 0)));
  const z = o.sigmoid(plus(gate(xt, 1), hp && gate(hp, 1)));
  const nn = o.tanh(plus(gate(xt, 2), hp && o.mul(r, gate(hp, 2))));
  // (1 − z)⊙n + z⊙h = n + z⊙(h − n)
  return { h: hPrev ? o.add(nn, o.mul(z, o.sub(hPrev, nn))) : o.sub(nn, o.mul(z, nn)) };
}

export const SimpleRNN = recurrentLayer('rnn');
export const LSTM = recurrentLayer('lstm');
export const GRU = recurrentLayer('gru');
