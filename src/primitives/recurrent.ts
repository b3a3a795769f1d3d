/**
 * `lstm_recurrence`: the sequential part of one LSTM layer and direction, with a hand-written
 * backward pass (as PyTorch's and cuDNN's LSTMs have one).
 *
 * Inputs: `xp` [T·N, 4H], the input projections of all steps (step t is rows t·N … t·N + N − 1,
 * biases included), gate rows in the order i, f, o, g; `r` [4H, H], the recurrent weight in the
 * same row order; optionally `h0`, `c0` [N, H] (both or neither; zeros otherwise). Attributes
 * `steps` (T) and `reverse` (1: walk t = T−1 … 0). Per step, zₜ = xpₜ + hₚ·rᵀ,
 * i, f, o = σ(zₜ[:3H]), g = tanh(zₜ[3H:]), cₜ = f⊙cₚ + i⊙g, hₜ = o⊙tanh(cₜ).
 *
 * Outputs, all [T·N, H] with each step at its own time position: `hs`, `cs`, and what the
 * backward pass reads, the gates i, f, o and tanh g (these take no cotangent).
 *
 * Why one primitive: composed from element-wise primitives, the generic autodiff gives each step
 * about 21 backward nodes on [N, H] tensors, and a training step of a T = 64 LSTM is then
 * dominated by per-kernel overhead. Here every factor that does not depend on the recurrence
 * (σ′, tanh′, the products with the saved gates) is computed once over [T·N, ·], and a step of
 * the backward pass is six nodes: dh = dzₚ·r + dyₜ (one Gemm), dc = dh⊙A + dcₚ⊙fₚ, and
 * dzₜ = [dc, dc, dh, dc]⊙Pₜ. W_hh's gradient is one [4H, T·N]·[T·N, H] product.
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import type { Value } from './types';
import { attr, expectFloat, fmt, node, numAttr, sameDType } from './util';

registerPrimitive({
  name: 'lstm_recurrence',
  doc: 'the recurrence of one LSTM layer and direction over projected inputs [T·N, 4H] (gates i, f, o, g) → hs, cs and the saved gates i, f, o, tanh g, each [T·N, H]',
  attrs: {
    steps: { doc: 'the sequence length T' },
    reverse: { default: 0, doc: '1: the steps run from t = T − 1 down to 0' },
  },
  infer(inputs, attrs) {
    const [xp, r, h0, c0] = inputs;
    if (!xp || !r || (inputs.length !== 2 && inputs.length !== 4))
      throw new Error('lstm_recurrence: inputs are xp, r and optionally h0 and c0');
    const dtype = sameDType(inputs, 'lstm_recurrence');
    expectFloat(xp, 'lstm_recurrence');
    const t = numAttr(attrs, 'steps');
    if (xp.shape.length !== 2 || r.shape.length !== 2)
      throw new Error('lstm_recurrence: xp and r must be rank 2');
    const [rows, g4] = xp.shape as [number, number];
    const h = r.shape[1]!;
    if (r.shape[0] !== 4 * h || g4 !== 4 * h || t < 1 || rows % t !== 0)
      throw new Error(
        `lstm_recurrence: xp ${fmt(xp.shape)}, r ${fmt(r.shape)} and ${t} steps do not fit [T·N, 4H], [4H, H]`,
      );
    const n = rows / t;
    for (const s of [h0, c0])
      if (s && (s.shape.length !== 2 || s.shape[0] !== n || s.shape[1] !== h))
        throw new Error(
          `lstm_recurrence: initial states must be [${n}, ${h}], got ${fmt(s.shape)}`,
        );
    return Array.from({ length: 6 }, () => ({ shape: [rows, h], dtype }));
  },
  vjp(a) {
    const o = ops(a.b);
    const [xp, r, h0, c0] = a.inputs as [Value, Value, Value?, Value?];
    const [hs, cs, ig, fg, og, tg] = a.outputs as [Value, Value, Value, Value, Value, Value];
    const [dhs, dcs] = a.cts;
    if (a.cts.slice(2).some((c) => c))
      throw new Error('lstm_recurrence: the saved gates take no cotangent');
    const t = numAttr(a.attrs, 'steps');
    const reverse = numAttr(a.attrs, 'reverse', 0) !== 0;
    const h = r.shape[1]!;
    const n = xp.shape[0]! / t;
    const dtype = xp.dtype;
    const blocks = (v: Value): Value[] =>
      t === 1 ? [v] : a.b.opMulti('split', [v], { axis: 0, sizes: Array<number>(t).fill(n) });
    const one = o.scalar(1, dtype);
    // Steps in the order the forward pass ran them (time positions).
    const order = [...Array(t).keys()];
    if (reverse) order.reverse();

    // The state before each step, at the step's position: forward, [s₀; s₀ … s_{T−2}];
    // reverse, [s₁ … s_{T−1}; s₀] (s₀ the initial state, zeros when absent).
    const shifted = (v: Value, init: Value | undefined): Value => {
      const s0 = init ?? o.zeros([n, h], dtype);
      if (t === 1) return s0;
      const sizes = reverse ? [n, (t - 1) * n] : [(t - 1) * n, n];
      const [p0, p1] = a.b.opMulti('split', [v], { axis: 0, sizes }) as [Value, Value];
      return reverse ? o.concat([p1, s0], 0) : o.concat([s0, p0], 0);
    };

    // Factors over all steps at once.
    const tc = o.tanh(cs);
    const cPrev = shifted(cs, c0);
    const dSig = (s: Value) => o.mul(s, o.sub(one, s)); // σ′ from σ
    // dc = dh⊙A + …; dz = [dc, dc, dh, dc]⊙P with P = [g·σ′(i), cₚ·σ′(f), tanh c·σ′(o), i·tanh′(g)].
    const aFac = blocks(o.mul(og, o.sub(one, o.mul(tc, tc))));
    const pFac = blocks(
      o.concat(
        [
          o.mul(tg, dSig(ig)),
          o.mul(cPrev, dSig(fg)),
          o.mul(tc, dSig(og)),
          o.mul(ig, o.sub(one, o.mul(tg, tg))),
        ],
        1,
      ),
    );
    const fBlocks = blocks(fg);
    const dyBlocks = dhs ? blocks(dhs) : undefined;
    const dcsBlocks = dcs ? blocks(dcs) : undefined;

    // The recurrence, last step first.
    const dz = new Array<Value>(t);
    let dzNext: Value | undefined;
    let dcNext: Value | undefined; // dc of the later step, times its f
    for (let k = t - 1; k >= 0; k--) {
      const step = order[k]!;
      const dy = dyBlocks?.[step];
      const dh = dzNext ? o.gemm(dzNext, r, dy) : (dy ?? o.zeros([n, h], dtype));
      let dc = o.mul(dh, aFac[step]!);
      if (dcNext) dc = o.add(dc, dcNext);
      if (dcsBlocks) dc = o.add(dc, dcsBlocks[step]!);
      dz[step] = o.mul(o.concat([dc, dc, dh, dc], 1), pFac[step]!);
      dzNext = dz[step];
      dcNext = k > 0 || (c0 && a.needs[3]) ? o.mul(dc, fBlocks[step]!) : undefined;
    }
    const dZ = t === 1 ? dz[0]! : o.concat(dz, 0);
    const first = order[0]!;

    // Σₜ dzₜᵀ·hₚ as one product (a zero initial state contributes zero rows).
    const dr = a.needs[1] ? o.gemm(dZ, shifted(hs, h0), undefined, { transA: true }) : undefined;
    const dh0 = h0 && a.needs[2] ? o.gemm(dz[first]!, r) : undefined;
    const dc0 = c0 && a.needs[3] ? dcNext : undefined;
    return [a.needs[0] ? dZ : undefined, dr, dh0, dc0];
  },
  emit: (ctx, nd) => {
    const t = numAttr(nd.attrs, 'steps');
    const reverse = numAttr(nd.attrs, 'reverse', 0) !== 0;
    const [xpT, rT] = nd.inTypes as [(typeof nd.inTypes)[0], (typeof nd.inTypes)[0]];
    const h = rT.shape[1]!;
    const n = xpT.shape[0]! / t;
    const [xp, r, h0, c0] = nd.inputs;
    const out: ReturnType<typeof node>[] = [];
    const fresh = (hint: string) => ctx.fresh(`lstm_${hint}`);
    const names = (hint: string) => Array.from({ length: t }, () => fresh(hint));
    const xs = t === 1 ? [xp!] : names('xp');
    if (t > 1)
      out.push(node('Split', [xp!, ctx.int64(Array<number>(t).fill(n))], xs, [attr.i('axis', 0)]));
    const hs = names('h');
    const cs = names('c');
    const [is, fs, os, tg] = ['i', 'f', 'o', 'tg'].map(names) as [
      string[],
      string[],
      string[],
      string[],
    ];
    let hPrev = h0;
    let cPrev = c0;
    for (let k = 0; k < t; k++) {
      const step = reverse ? t - 1 - k : k;
      let z = xs[step]!;
      if (hPrev) {
        z = fresh('z');
        out.push(node('Gemm', [hPrev, r!, xs[step]!], [z], [attr.i('transB', 1)]));
      }
      const [s, gz, sg, ig] = ['s', 'gz', 'sig', 'ig'].map(fresh) as [
        string,
        string,
        string,
        string,
      ];
      const [i, f, og] = [is[step]!, fs[step]!, os[step]!];
      out.push(
        node('Split', [z, ctx.int64([3 * h, h])], [s, gz], [attr.i('axis', 1)]),
        node('Sigmoid', [s], [sg]),
        node('Tanh', [gz], [tg[step]!]),
        node('Split', [sg, ctx.int64([h, h, h])], [i, f, og], [attr.i('axis', 1)]),
      );
      if (cPrev) {
        const fc = fresh('fc');
        out.push(
          node('Mul', [i, tg[step]!], [ig]),
          node('Mul', [f, cPrev], [fc]),
          node('Add', [fc, ig], [cs[step]!]),
        );
      } else out.push(node('Mul', [i, tg[step]!], [cs[step]!]));
      const tc = fresh('tc');
      out.push(node('Tanh', [cs[step]!], [tc]), node('Mul', [og, tc], [hs[step]!]));
      hPrev = hs[step];
      cPrev = cs[step];
    }
    const gather = (parts: string[], output: string) =>
      t === 1
        ? node('Identity', [parts[0]!], [output])
        : node('Concat', parts, [output], [attr.i('axis', 0)]);
    [hs, cs, is, fs, os, tg].forEach((parts, k) => out.push(gather(parts, nd.outputs[k]!)));
    return out;
  },
});
