/**
 * Matrix products: batched `matmul` (numpy semantics for rank ≥ 2, batch axes broadcast) and
 * `gemm` (rank 2, optional transposes, alpha/beta and a broadcast bias). The compiler's
 * optimizer rewrites matmul + bias and transposed operands into gemm after autodiff.
 */
import { ops } from './ops';
import { registerPrimitive } from './registry';
import { attr, broadcastShapes, expectFloat, fmt, node, numAttr, sameDType } from './util';

registerPrimitive(
  {
    name: 'matmul',
    doc: 'batched matrix product [..., M, K] @ [..., K, N] (both ranks ≥ 2, batch axes broadcast)',
    infer(inputs) {
      const [a, b] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      const dtype = sameDType([a, b], 'matmul');
      expectFloat(a, 'matmul');
      if (a.shape.length < 2 || b.shape.length < 2)
        throw new Error(
          `matmul: operands must have rank ≥ 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`,
        );
      const [m, k] = a.shape.slice(-2) as [number, number];
      const [k2, n] = b.shape.slice(-2) as [number, number];
      if (k !== k2) throw new Error(`matmul: inner dims differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
      const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
      return [{ shape: [...batch, m, n], dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const [x, w] = a.inputs as [(typeof a.inputs)[0], (typeof a.inputs)[0]];
      const ct = a.cts[0]!;
      const dx = a.needs[0] ? o.unbroadcast(o.matmul(ct, o.mT(w)), x.shape) : undefined;
      let dw;
      if (a.needs[1]) {
        if (w.shape.length === 2 && x.shape.length > 2) {
          // Shared weight: fold the batch axes into M instead of summing per-batch products.
          const k = x.shape.at(-1)!;
          const n = ct.shape.at(-1)!;
          dw = o.matmul(o.mT(o.reshape(x, [-1, k])), o.reshape(ct, [-1, n]));
        } else {
          dw = o.unbroadcast(o.matmul(o.mT(x), ct), w.shape);
        }
      }
      return [dx, dw];
    },
    emit: (_ctx, n) => [node('MatMul', n.inputs, n.outputs)],
  },
  {
    name: 'gemm',
    doc: 'alpha·op(A)·op(B) + beta·C for rank-2 A, B (attrs transA, transB, alpha, beta); C optional',
    infer(inputs, attrs) {
      const [a, b, c] = inputs;
      if (!a || !b || a.shape.length !== 2 || b.shape.length !== 2)
        throw new Error('gemm: A and B must be rank 2');
      const dtype = sameDType(inputs, 'gemm');
      const [m, k] = numAttr(attrs, 'transA', 0)
        ? [a.shape[1]!, a.shape[0]!]
        : [a.shape[0]!, a.shape[1]!];
      const [k2, n] = numAttr(attrs, 'transB', 0)
        ? [b.shape[1]!, b.shape[0]!]
        : [b.shape[0]!, b.shape[1]!];
      if (k !== k2) throw new Error(`gemm: inner dims differ (${k} vs ${k2})`);
      if (c) {
        const s = broadcastShapes(c.shape, [m, n]);
        if (s[0] !== m || s[1] !== n)
          throw new Error(`gemm: C ${fmt(c.shape)} does not broadcast to [${m}, ${n}]`);
      }
      return [{ shape: [m, n], dtype }];
    },
    vjp(a) {
      const o = ops(a.b);
      const [x, w, c] = a.inputs;
      const ct = a.cts[0]!;
      const tA = numAttr(a.attrs, 'transA', 0) !== 0;
      const tB = numAttr(a.attrs, 'transB', 0) !== 0;
      const alpha = numAttr(a.attrs, 'alpha', 1);
      const beta = numAttr(a.attrs, 'beta', 1);
      const dx = !a.needs[0]
        ? undefined
        : tA
          ? o.gemm(w!, ct, undefined, { transA: tB, transB: true, alpha })
          : o.gemm(ct, w!, undefined, { transB: !tB, alpha });
      const dw = !a.needs[1]
        ? undefined
        : tB
          ? o.gemm(ct, x!, undefined, { transA: true, transB: tA, alpha })
          : o.gemm(x!, ct, undefined, { transA: !tA, alpha });
      const dc =
        c && a.needs[2] ? o.unbroadcast(beta === 1 ? ct : o.scale(ct, beta), c.shape) : undefined;
      return c ? [dx, dw, dc] : [dx, dw];
    },
    emit: (_ctx, n) => [
      node('Gemm', n.inputs, n.outputs, [
        attr.i('transA', numAttr(n.attrs, 'transA', 0)),
        attr.i('transB', numAttr(n.attrs, 'transB', 0)),
        attr.f('alpha', numAttr(n.attrs, 'alpha', 1)),
        attr.f('beta', numAttr(n.attrs, 'beta', 1)),
      ]),
    ],
  },
);
