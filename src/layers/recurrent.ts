import { Dim, type Shape } from '../core';
import { ops, type Ops } from '../primitives/ops';
import { dropout, linear, need, type Value } from './lowering';
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
 * Unrolled over the static sequence length T, time-major inside ([T, N, ·], so that step t is
 * the contiguous block t of one split and no per-step reshapes are needed): the input
 * projections of all steps are one matrix product; each step computes `h·W_hhᵀ` with the
 * step's projection as the Gemm's C (GRU: `+ b_hh`, kept apart for `r⊙(W_hn·h + b_hn)`) and
 * applies the cell. An LSTM's recurrence is one primitive with its own backward pass
 * (`lstm_recurrence`, src/primitives/recurrent.ts); its rows are reordered once per step graph
 * from PyTorch's i, f, g, o to i, f, o, g, so that each step has one sigmoid over the three σ
 * gates and one tanh. The backward pass sums the T products of W_hh's gradient as one product
 * (src/compiler/autodiff.ts; the LSTM primitive builds that product itself).
 * The reverse direction walks t = T−1 … 0 and writes its states back at their own positions.
 */
function lowerRecurrent(ctx: LowerCtx, kind: Kind): Value[] {
  const o = ops(ctx.b);
  const name = KINDS[kind].name;
  const x = ctx.inputs[0]!;
  const [n, t] = x.shape as [number, number, number];
  const h = ctx.attrs.int('hidden');
  const layers = ctx.attrs.int('layers');
  const dirs = ctx.attrs.bool('bidirectional') ? 2 : 1;
  const p = ctx.attrs.float('dropout');
  const act = kind === 'rnn' && ctx.attrs.str('nonlinearity') === 'relu' ? o.relu : o.tanh;
  // `split` (VJP: one concat) rather than slices (VJP: a full-size pad each): O(T) backward.
  const split = (v: Value, ax: number, sizes: number[]): Value[] =>
    sizes.length === 1 ? [v] : ctx.b.opMulti('split', [v], { axis: ax, sizes });
  const even = (v: Value, ax: number, k: number) =>
    split(v, ax, Array<number>(k).fill(v.shape[ax]! / k));
  // PyTorch's LSTM rows i, f, g, o → i, f, o, g (weights and biases, axis 0).
  const rows = (v: Value | undefined) => {
    if (!v || kind !== 'lstm') return v;
    const [i, f, gg, og] = even(v, 0, 4) as [Value, Value, Value, Value];
    return o.concat([i, f, og, gg], 0);
  };
  // Initial states [layers·dirs, N, H] → one [N, H] per layer and direction (zeros when absent).
  const initial = (k: number): Value[] | undefined => {
    const v = ctx.inputs[k];
    return v && even(v, 0, layers * dirs).map((s) => o.reshape(s, [n, h]));
  };
  const h0 = initial(1);
  const c0 = kind === 'lstm' ? initial(2) : undefined;
  const hN: Value[] = [];
  const cN: Value[] = [];
  const batchFirst = (v: Value) => o.transpose(v, [1, 0, 2]);
  let seq = batchFirst(x); // [T, N, in]
  let finals: Value[] = [];
  for (let l = 0; l < layers; l++) {
    const perDir: Value[] = [];
    finals = [];
    for (let dir = 0; dir < dirs; dir++) {
      const sfx = `_l${l}${dir === 1 ? '_reverse' : ''}`;
      const wih = rows(need(ctx, name, `weight_ih${sfx}`))!;
      const whh = rows(need(ctx, name, `weight_hh${sfx}`))!;
      const bih = ctx.params[`bias_ih${sfx}`];
      const bhh = ctx.params[`bias_hh${sfx}`];
      // GRU keeps b_hn inside r⊙(W_hn·h + b_hn); the other cells can fold b_hh in up front.
      const inBias = rows(bih && bhh && kind !== 'gru' ? o.add(bih, bhh) : bih);
      const stepBias = kind === 'gru' ? bhh : undefined;
      const xp = linear(o, o.reshape(seq, [t * n, seq.shape[2]!]), wih, inBias); // [T·N, G·H]
      let hPrev: Value | undefined = h0?.[l * dirs + dir];
      const cPrev: Value | undefined = c0?.[l * dirs + dir];
      if (kind === 'lstm') {
        // One primitive with its own backward pass (src/primitives/recurrent.ts).
        const states = hPrev && cPrev ? [hPrev, cPrev] : [];
        const [hsAll, csAll] = ctx.b.opMulti('lstm_recurrence', [xp, whh, ...states], {
          steps: t,
          reverse: dir,
        }) as [Value, Value];
        const last = dir === 0 ? t - 1 : 0;
        const final = (v: Value) => (t === 1 ? v : even(v, 0, t)[last]!);
        finals.push(final(hsAll));
        hN.push(final(hsAll));
        cN.push(final(csAll));
        perDir.push(o.reshape(hsAll, [t, n, h]));
        continue;
      }
      const steps = even(xp, 0, t); // [N, G·H] each
      const hs = new Array<Value>(t);
      for (let step = 0; step < t; step++) {
        const ti = dir === 0 ? step : t - 1 - step;
        const xt = steps[ti]!;
        let r: { h: Value };
        if (kind === 'gru') {
          // h·W_hhᵀ + b_hh; at step 0 the state is zero.
          const hp = hPrev ? o.gemm(hPrev, whh, stepBias, { transB: true }) : stepBias;
          r = gruCell(o, xt, hp, hPrev, (v) => even(v, v.shape.length - 1, 3));
        } else {
          r = { h: act(hPrev ? o.gemm(hPrev, whh, xt, { transB: true }) : xt) };
        }
        hPrev = r.h;
        hs[ti] = r.h;
      }
      finals.push(hPrev!);
      hN.push(hPrev!);
      perDir.push(o.reshape(o.concat(hs, 0), [t, n, h]));
    }
    seq = dirs === 1 ? perDir[0]! : o.concat(perDir, 2);
    if (l + 1 < layers && ctx.training && p > 0)
      seq = batchFirst(dropout(ctx, batchFirst(seq), p, `dropout_l${l}`));
  }
  const y = ctx.attrs.bool('return_sequences')
    ? batchFirst(seq)
    : dirs === 1
      ? finals[0]!
      : o.concat(finals, 1);
  if (!ctx.attrs.bool('return_state')) return [y];
  const stack = (vs: Value[]) => {
    const rows = vs.map((v) => o.reshape(v, [1, n, h]));
    return rows.length === 1 ? rows[0]! : o.concat(rows, 0);
  };
  return kind === 'lstm' ? [y, stack(hN), stack(cN)] : [y, stack(hN)];
}

/**
 * One GRU step from the input part `xt` and the hidden part `hp` (undefined: zero), both
 * [N, 3H] in PyTorch's row order r, z, n:
 * r, z = σ(·); n = tanh(W_in·x + b_in + r⊙(W_hn·h + b_hn)); h = (1 − z)⊙n + z⊙h_prev.
 */
function gruCell(
  o: Ops,
  xt: Value,
  hp: Value | undefined,
  hPrev: Value | undefined,
  gates: (v: Value) => Value[],
): { h: Value } {
  const xg = gates(xt);
  const hg = hp && gates(hp);
  const plus = (a: Value, b: Value | undefined) => (b ? o.add(a, b) : a);
  const r = o.sigmoid(plus(xg[0]!, hg?.[0]));
  const z = o.sigmoid(plus(xg[1]!, hg?.[1]));
  const nn = o.tanh(plus(xg[2]!, hg && o.mul(r, hg[2]!)));
  // (1 − z)⊙n + z⊙h = n + z⊙(h − n)
  return { h: hPrev ? o.add(nn, o.mul(z, o.sub(hPrev, nn))) : o.sub(nn, o.mul(z, nn)) };
}

export const SimpleRNN = recurrentLayer('rnn');
export const LSTM = recurrentLayer('lstm');
export const GRU = recurrentLayer('gru');
