/**
 * Graph rewrites applied after autodiff, before ONNX export.
 *
 * `fuseGemm` turns rank-2 `matmul` into `gemm` where that saves work in onnxruntime:
 * - `add(matmul(a, b), c)` with `c` broadcastable to the product (a bias) → `gemm(a, b, c)`;
 * - a `transpose(·, [1, 0])` operand → `transA` / `transB` (the backward pass of a dense layer
 *   computes xᵀ·g and g·Wᵀ; folding avoids materializing the transposes);
 * - a product with few rows, more columns and a long inner axis is computed transposed.
 * The graph is rebuilt in order and pruned, so transposes left without users disappear.
 */
import { ops } from '../primitives';
import { broadcastShapes } from '../primitives/util';
import { Graph, type Node, type Value } from './ir';

/** Products with `m < SKINNY` rows, `n > m` columns and `k ≥ LONG_K` are computed transposed. */
const SKINNY = 32;
const LONG_K = 2048;

export function fuseGemm(src: Graph): Graph {
  const users = src.users();
  const outputIds = new Set(src.outputs.map((o) => o.value.id));
  const producer = (v: Value) => src.producer(v);
  const isMatmul2d = (n: Node | undefined): n is Node =>
    !!n && n.prim === 'matmul' && n.inputs.every((v) => v.shape.length === 2);
  const isT2d = (v: Value) => {
    const p = producer(v);
    return p?.prim === 'transpose' && v.shape.length === 2 && (p.attrs.perm as number[])[0] === 1;
  };

  // A matmul whose only use is a bias add gets emitted at that add.
  const biasOf = new Map<number, { add: Node; bias: Value }>();
  for (const n of src.nodes) {
    if (n.prim !== 'add') continue;
    for (const k of [0, 1]) {
      const m = n.inputs[k]!;
      const c = n.inputs[1 - k]!;
      const p = producer(m);
      if (!isMatmul2d(p) || outputIds.has(m.id) || users.get(m.id)?.length !== 1) continue;
      if (c.shape.length > 2 || c.dtype !== m.dtype) continue;
      const s = broadcastShapes(c.shape, m.shape);
      if (s.length !== 2 || s[0] !== m.shape[0] || s[1] !== m.shape[1]) continue;
      biasOf.set(p.id, { add: n, bias: c });
      break;
    }
  }
  const deferred = new Set([...biasOf.keys()]);
  const fusedAdds = new Map<number, Node>(
    [...biasOf].map(([id, { add }]) => [add.id, src.nodes.find((n) => n.id === id)!]),
  );

  const g = new Graph();
  const map = new Map<number, Value>();
  for (const i of src.inputs) map.set(i.value.id, g.input(i.name, i.value.shape, i.value.dtype));
  const get = (v: Value) => map.get(v.id)!;
  const o = ops(g);

  const gemmFor = (mm: Node, bias?: Value): Value => {
    let [a, b] = mm.inputs as [Value, Value];
    let transA = false;
    let transB = false;
    if (isT2d(a)) [a, transA] = [producer(a)!.inputs[0]!, true];
    if (isT2d(b)) [b, transB] = [producer(b)!.inputs[0]!, true];
    const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const n = transB ? b.shape[0]! : b.shape[1]!;
    if (!bias && m < SKINNY && n > m && k >= LONG_K) {
      // Few rows, more columns, a long inner axis (a convolution's weight gradient g·colᵀ):
      // MLAS computes the transposed product (B'·A')ᵀ markedly faster, and transposing the
      // small result back costs nothing. The rank-3 detour keeps onnxruntime's
      // GemmTransposeFusion from folding the transpose back into the Gemm.
      const t = o.gemm(get(b), get(a), undefined, { transA: !transB, transB: !transA });
      return o.reshape(o.transpose(o.reshape(t, [n, m, 1]), [1, 0, 2]), [m, n]);
    }
    return o.gemm(get(a), get(b), bias && get(bias), { transA, transB });
  };

  for (const n of src.nodes) {
    if (deferred.has(n.id)) continue;
    const mm = fusedAdds.get(n.id);
    let outs: Value[];
    if (mm) outs = [gemmFor(mm, biasOf.get(mm.id)!.bias)];
    else if (isMatmul2d(n) && n.inputs.some(isT2d)) outs = [gemmFor(n)];
    else outs = g.opMulti(n.prim, n.inputs.map(get), n.attrs);
    n.outputs.forEach((v, i) => map.set(v.id, outs[i]!));
  }
  for (const out of src.outputs) g.output(out.name, get(out.value));
  g.prune();
  return g;
}
