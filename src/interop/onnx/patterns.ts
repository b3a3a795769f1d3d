/**
 * Multi-node ONNX patterns that are one catalog layer, as `torch.onnx.export` (TorchScript
 * exporter, opsets 13–17) writes them:
 *
 * - `nn.MultiheadAttention` (batch first, self-attention) → MultiHeadAttention: the input
 *   transposed to [T, B, D], one packed projection (MatMul by in_proj_weightᵀ [D, 3D], Add of
 *   in_proj_bias), three Slices (q, k, v), each reshaped to [T, B·h, D/h] and transposed, q divided
 *   by √(D/h), Q·Kᵀ, Softmax, ·V, transposed and reshaped back, out_proj (Gemm), and transposed to
 *   [B, T, D]. Every node must be exactly that; a mismatch says which step differs.
 * - `F.gelu` (exact): Div(√2) → Erf → Add(1) → Mul(x, ·) → Mul(0.5) → GELU.
 * - `nn.TransformerEncoderLayer` (batch first, post- or pre-norm): the mapped MultiHeadAttention,
 *   Add, LayerNorm, Dense, ReLU/GELU, Dense, Add, LayerNorm stages → one TransformerEncoder whose
 *   parameters carry PyTorch's names (self_attn.in_proj_weight, linear1.weight, norm1.bias, …).
 *
 * Shape plumbing around them (Shape, Gather, Unsqueeze, Concat of shape values) computes no
 * activation and is ignored by the importer; only the activation-carrying nodes are matched.
 */
import type { AttrValue } from '../../layers/types';
import type { OnnxGraph, OnnxNode } from './graph';
import type { ParamSource } from './layers';

/** One layer of the imported model: a catalog layer call, its inputs, output and weights. */
export interface Stage {
  readonly layer: string;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly inputs: string[];
  readonly output: string;
  readonly params: readonly ParamSource[];
  readonly node: OnnxNode;
  /** Every output, when outputs after the first are read (a recurrent layer's final state). */
  readonly outputs?: readonly string[];
  /**
   * The name of the shared layer this stage uses (`layer <name> = …`; its weights are read by
   * several stages), or of the learned tensor it declares (`param <name> = Parameter(…)`).
   */
  readonly shared?: string;
}

export interface AttentionMatch {
  /** The nodes the layer replaces (activation-carrying ones; shape plumbing is ignored). */
  readonly nodes: readonly number[];
  readonly input: string;
  readonly output: string;
  readonly attrs: Record<string, AttrValue>;
  readonly params: ParamSource[];
}

class NoMatch extends Error {}

/** The graph read as activations: sole consumers, constants, initializers. */
function reader(g: OnnxGraph) {
  const v = (name: string) => g.values.get(name);
  /** Consumers that are not shape plumbing (Shape reads only the shape). */
  const uses = (name: string) =>
    (v(name)?.consumers ?? []).map((i) => g.nodes[i]!).filter((n) => n.opType !== 'Shape');
  const isOutput = (name: string) => g.outputs.some((o) => o.name === name);
  const fail = (why: string): never => {
    throw new NoMatch(why);
  };
  const next = (name: string, op: string | readonly string[], what: string): OnnxNode => {
    const ops = typeof op === 'string' ? [op] : op;
    const c = uses(name);
    if (isOutput(name) || c.length !== 1 || !ops.includes(c[0]!.opType))
      fail(
        `${what} is read by ${c.map((n) => `'${n.name}' (${n.opType})`).join(', ') || 'nothing'}${isOutput(name) ? ' and the graph output' : ''}, not one ${ops.join(' or ')}`,
      );
    return c[0]!;
  };
  const ints = (name: string | undefined) =>
    name ? v(name)?.data?.map((d) => d.value) : undefined;
  const scalar = (name: string | undefined): number | undefined => {
    const x = name ? v(name) : undefined;
    const f = x?.floats;
    return f?.length === 1 && (x?.shape?.length ?? 0) <= 1 ? f[0] : undefined;
  };
  const perm = (n: OnnxNode) => (n.attrs.get('perm') as number[] | undefined)?.join(',');
  const init = (name: string | undefined) => {
    const x = name ? v(name) : undefined;
    return x?.initializer ? x : undefined;
  };
  return { v, uses, next, ints, scalar, perm, init, fail, isOutput };
}

/** The other input of a binary node. */
const other = (n: OnnxNode, name: string) => n.inputs.find((i) => i !== name) ?? name;

/**
 * The nn.MultiheadAttention pattern starting at `entry` (a Transpose(1, 0, 2) of [B, T, D]), or
 * the reason it is not one.
 */
export function matchAttention(g: OnnxGraph, entry: OnnxNode): AttentionMatch | string {
  const r = reader(g);
  const { v, next, ints, scalar, perm, init, fail } = r;
  const nodes: number[] = [entry.index];
  const take = (n: OnnxNode) => (nodes.push(n.index), n);
  try {
    const x = v(entry.inputs[0]!)!;
    const xs = x.shape;
    if (perm(entry) !== '1,0,2' || !xs || xs.length !== 3 || xs[2]!.value === undefined)
      fail('it is not a [B, T, D] sequence transposed to [T, B, D]');
    const d = xs![2]!.value!;
    // The packed input projection.
    const mm = take(next(entry.outputs[0]!, 'MatMul', 'the transposed sequence'));
    const w = init(mm.inputs[1]);
    const wd = w?.shape?.map((s) => s.value);
    if (!w || wd?.join() !== `${d},${3 * d}`)
      fail(
        `'${mm.name}' does not multiply by a packed [${d}, ${3 * d}] projection (in_proj_weight)`,
      );
    const params: ParamSource[] = [
      { param: 'in_proj_weight', from: w!.aliasOf ?? w!.name, transform: 'transpose' },
    ];
    let qkv = mm.outputs[0]!;
    const afterMm = r.uses(qkv);
    if (afterMm.length === 1 && afterMm[0]!.opType === 'Add') {
      const add = take(afterMm[0]!);
      const b = init(other(add, qkv));
      if (!b || b.shape?.map((s) => s.value).join() !== `${3 * d}`)
        fail(`'${add.name}' does not add a [${3 * d}] bias (in_proj_bias)`);
      params.push({ param: 'in_proj_bias', from: b!.aliasOf ?? b!.name, transform: 'none' });
      qkv = add.outputs[0]!;
    }
    const bias = params.length === 2;
    // q, k, v: three Slices of the last axis.
    const slices = r.uses(qkv);
    if (slices.length !== 3 || slices.some((s) => s.opType !== 'Slice'))
      fail('the packed projection is not split into q, k and v by three Slices');
    const part: OnnxNode[] = [];
    for (const s of slices) {
      const [st, en, ax, step] = [1, 2, 3, 4].map((k) => ints(s.inputs[k]));
      const axis = ax?.[0] ?? 0;
      if (
        st?.length !== 1 ||
        en?.length !== 1 ||
        (axis !== -1 && axis !== 2) ||
        (step && step[0] !== 1)
      )
        fail(`'${s.name}' is not a constant slice of the last axis`);
      const k = st![0]! / d;
      if (!Number.isInteger(k) || k < 0 || k > 2 || en![0] !== st![0]! + d || part[k])
        fail(`'${s.name}' does not cut one of q, k, v ([${st}:${en}] of ${3 * d})`);
      part[k] = take(s);
    }
    // Each to heads: Reshape [T, B·h, D/h], Transpose.
    let heads = 0;
    const split = (s: OnnxNode, what: string, p: string): string => {
      const rs = take(next(s.outputs[0]!, 'Reshape', what));
      const out = v(rs.outputs[0]!)?.shape;
      const dh = out?.length === 3 ? out[2]!.value : undefined;
      if (
        !out ||
        !dh ||
        d % dh !== 0 ||
        !out[0]!.equals(xs![1]!) ||
        !out[1]!.equals(xs![0]!.mul(d / dh))
      )
        fail(`'${rs.name}' does not split ${what} into heads [T, B·h, D/h]`);
      if (heads && heads !== d / dh!)
        fail(`'${rs.name}' splits ${what} into another number of heads`);
      heads = d / dh!;
      const t = take(next(rs.outputs[0]!, 'Transpose', `${what} split into heads`));
      if (perm(t) !== p) fail(`'${t.name}' is not the transpose (${p}) of ${what}`);
      return t.outputs[0]!;
    };
    let q = split(part[0]!, 'q', '1,0,2');
    const kT = split(part[1]!, 'k', '1,2,0');
    const vh = split(part[2]!, 'v', '1,0,2');
    const dh = d / heads;
    // 1/√(D/h): Div of q (torch 1.13) or of the scores, or Mul by the inverse.
    let scaled = false;
    const scale = (name: string): string => {
      const c = r.uses(name);
      const n = c.length === 1 ? c[0]! : undefined;
      if (!n || (n.opType !== 'Div' && n.opType !== 'Mul') || n.inputs[0] !== name) return name;
      const s = scalar(n.inputs[1]);
      const want = n.opType === 'Div' ? Math.sqrt(dh) : 1 / Math.sqrt(dh);
      if (s === undefined || Math.abs(s - want) > 1e-6 * want)
        fail(
          `'${n.name}' scales by ${s ?? 'a non-constant'}, not ${n.opType === 'Div' ? '√' : '1/√'}${dh} (the head size)`,
        );
      take(n);
      scaled = true;
      return n.outputs[0]!;
    };
    q = scale(q);
    const qk = take(next(q, 'MatMul', 'the scaled q'));
    if (qk.inputs[1] !== kT) fail(`'${qk.name}' does not multiply q by kᵀ`);
    let scores = qk.outputs[0]!;
    if (!scaled) scores = scale(scores);
    if (!scaled) fail(`the scores of '${qk.name}' are not scaled by 1/√${dh}`);
    const sm = take(
      next(scores, 'Softmax', 'the attention scores (a mask or bias on them is not mapped)'),
    );
    const axis = (sm.attrs.get('axis') as number | undefined) ?? -1;
    if (axis !== -1 && axis !== 2) fail(`'${sm.name}' is not a softmax over the keys`);
    let attn = sm.outputs[0]!;
    const drop = r.uses(attn);
    if (drop.length === 1 && drop[0]!.opType === 'Dropout') attn = take(drop[0]!).outputs[0]!;
    const av = take(next(attn, 'MatMul', 'the attention weights'));
    if (av.inputs[0] !== attn || av.inputs[1] !== vh)
      fail(`'${av.name}' does not multiply the attention weights by v`);
    const back = take(next(av.outputs[0]!, 'Transpose', 'the attention output'));
    if (perm(back) !== '1,0,2') fail(`'${back.name}' is not the transpose (1, 0, 2) of the heads`);
    // Merge the heads ([T·B, D] or [T, B, D]) and the output projection.
    let y = back.outputs[0]!;
    const merge = take(next(y, 'Reshape', 'the attention output'));
    y = merge.outputs[0]!;
    const ys = v(y)?.shape;
    if (ys?.[ys.length - 1]?.value !== d)
      fail(`'${merge.name}' does not merge the heads into ${d} features`);
    const proj = take(next(y, ['Gemm', 'MatMul'], 'the merged heads'));
    const pw = init(proj.inputs[1]);
    if (!pw || pw.shape?.map((s) => s.value).join() !== `${d},${d}`)
      fail(`'${proj.name}' is not the output projection (a [${d}, ${d}] weight)`);
    if (proj.opType === 'Gemm') {
      const a = (k: string, dflt: number) => (proj.attrs.get(k) as number | undefined) ?? dflt;
      if (a('transA', 0) || a('alpha', 1) !== 1 || a('beta', 1) !== 1)
        fail(`'${proj.name}' scales or transposes its input`);
      params.push({
        param: 'out_proj.weight',
        from: pw!.aliasOf ?? pw!.name,
        transform: a('transB', 0) ? 'none' : 'transpose',
      });
      if (proj.inputs[2]) {
        const pb = init(proj.inputs[2]);
        if (!pb || pb.shape?.map((s) => s.value).join() !== `${d}`)
          fail(`'${proj.name}' does not add a [${d}] bias`);
        params.push({ param: 'out_proj.bias', from: pb!.aliasOf ?? pb!.name, transform: 'none' });
      }
      y = proj.outputs[0]!;
    } else {
      params.push({
        param: 'out_proj.weight',
        from: pw!.aliasOf ?? pw!.name,
        transform: 'transpose',
      });
      y = proj.outputs[0]!;
      const add = r.uses(y);
      if (add.length === 1 && add[0]!.opType === 'Add') {
        const pb = init(other(add[0]!, y));
        if (pb && pb.shape?.map((s) => s.value).join() === `${d}`) {
          take(add[0]!);
          params.push({ param: 'out_proj.bias', from: pb.aliasOf ?? pb.name, transform: 'none' });
          y = add[0]!.outputs[0]!;
        }
      }
    }
    if (bias !== params.some((p) => p.param === 'out_proj.bias'))
      fail(
        `'${proj.name}' has ${bias ? 'no ' : 'a '}bias while the input projection has${bias ? '' : ' none'}`,
      );
    if (v(y)?.shape?.length === 2) y = take(next(y, 'Reshape', 'the projected output')).outputs[0]!;
    const last = take(next(y, 'Transpose', 'the projected output'));
    const out = v(last.outputs[0]!)?.shape;
    if (perm(last) !== '1,0,2' || !out || !out.every((s, i) => s.equals(xs![i]!)))
      fail(`'${last.name}' does not transpose the output back to batch-first ${'[B, T, D]'}`);
    const attrs: Record<string, AttrValue> = { dim: d, heads };
    if (!bias) attrs['bias'] = false;
    return { nodes, input: entry.inputs[0]!, output: last.outputs[0]!, attrs, params };
  } catch (e) {
    if (e instanceof NoMatch) return e.message;
    throw e;
  }
}

/** Exact GELU, `x·0.5·(1 + erf(x/√2))`, starting at its Div; or undefined. */
export function matchGelu(
  g: OnnxGraph,
  div: OnnxNode,
): { nodes: number[]; input: string; output: string } | undefined {
  const r = reader(g);
  const x = div.inputs[0]!;
  try {
    const s = div.opType === 'Div' ? r.scalar(div.inputs[1]) : undefined;
    if (s === undefined || Math.abs(s - Math.SQRT2) > 1e-6) return undefined;
    const erf = r.next(div.outputs[0]!, 'Erf', 'x/√2');
    const add = r.next(erf.outputs[0]!, 'Add', 'erf');
    if (r.scalar(other(add, erf.outputs[0]!)) !== 1) return undefined;
    const mul = r.next(add.outputs[0]!, 'Mul', '1 + erf');
    if (other(mul, add.outputs[0]!) !== x) return undefined;
    const half = r.next(mul.outputs[0]!, 'Mul', 'x·(1 + erf)');
    if (r.scalar(other(half, mul.outputs[0]!)) !== 0.5) return undefined;
    // x is read by the Div and the Mul (and maybe by others: that is its producer's business).
    return {
      nodes: [div, erf, add, mul, half].map((n) => n.index),
      input: x,
      output: half.outputs[0]!,
    };
  } catch (e) {
    if (e instanceof NoMatch) return undefined;
    throw e;
  }
}

/**
 * MultiHeadAttention + Add + LayerNorm + Dense + ReLU/GELU + Dense + Add + LayerNorm stages (post-
 * norm), or LayerNorm + MultiHeadAttention + Add + LayerNorm + Dense + act + Dense + Add (pre-norm),
 * become one TransformerEncoder stage. `uses` counts each value's readers (stages and outputs).
 */
export function fuseEncoders(stages: readonly Stage[], graphOutputs: ReadonlySet<string>): Stage[] {
  let out = [...stages];
  for (let k = 0; k < out.length; k++) {
    if (out[k]!.layer !== 'MultiHeadAttention') continue;
    const fused = encoderAt(out, k, graphOutputs);
    if (!fused) continue;
    const drop = new Set(fused.stages);
    const at = Math.max(...fused.stages);
    out = out.flatMap((s, i) => (i === at ? [fused.stage] : drop.has(i) ? [] : [s]));
    k = -1; // indices moved; scan again (few attention layers)
  }
  return out;
}

function encoderAt(
  stages: readonly Stage[],
  k: number,
  graphOutputs: ReadonlySet<string>,
): { stage: Stage; stages: number[] } | undefined {
  const readers = (name: string) =>
    stages
      .flatMap((s, i) => (s.inputs.includes(name) ? [i] : []))
      .concat(graphOutputs.has(name) ? [-1] : []);
  const producer = (name: string) => stages.findIndex((s) => s.output === name);
  /** The sole reader of `name`, if it is a `layer` stage. */
  const sole = (name: string, layer: string | readonly string[]) => {
    const r = readers(name);
    const s = r.length === 1 && r[0]! >= 0 ? stages[r[0]!] : undefined;
    return s && (typeof layer === 'string' ? [layer] : layer).includes(s.layer) ? r[0]! : undefined;
  };
  const mha = stages[k]!;
  if (mha.attrs['bias'] === false || mha.attrs['causal']) return undefined;
  const d = mha.attrs['dim'] as number;
  const isNorm = (i: number | undefined) =>
    i !== undefined && stages[i]!.layer === 'LayerNorm' && stages[i]!.attrs['shape'] === d;
  const addWith = (a: string, b: string) => {
    const r = readers(b);
    const i = r.length === 1 ? r[0]! : -1;
    const s = stages[i];
    return s?.layer === 'Add' && s.inputs.length === 2 && s.inputs.includes(a) ? i : undefined;
  };
  // Feed-forward from `h`: Dense(ff) → act → Dense(D) → Add(residual, ·).
  const ff = (h: string, residual: string) => {
    const dense = readers(h).filter((i) => i >= 0 && stages[i]!.layer === 'Dense');
    const l1 = dense.length === 1 ? dense[0]! : undefined;
    if (l1 === undefined || stages[l1]!.attrs['bias'] === false) return undefined;
    const act = sole(stages[l1]!.output, ['ReLU', 'GELU']);
    if (act === undefined || (stages[act]!.attrs['approximate'] ?? 'none') !== 'none')
      return undefined;
    const l2 = sole(stages[act]!.output, 'Dense');
    if (l2 === undefined || stages[l2]!.attrs['out'] !== d || stages[l2]!.attrs['bias'] === false)
      return undefined;
    const add = addWith(residual, stages[l2]!.output);
    if (add === undefined) return undefined;
    return { l1, act, l2, add };
  };
  const x = mha.inputs[0]!;
  const pre = producer(x);
  let parts: {
    n1: number;
    n2: number;
    add1: number;
    l1: number;
    act: number;
    l2: number;
    add2: number;
    input: string;
    output: string;
  };
  if (isNorm(pre) && readers(x).length === 1 && readers(stages[pre]!.inputs[0]!).length === 2) {
    // Pre-norm: x0 → norm1 → attention; x0 + attention → r1; r1 → norm2 → ff; r1 + ff.
    const x0 = stages[pre]!.inputs[0]!;
    const add1 = addWith(x0, mha.output);
    if (add1 === undefined) return undefined;
    const r1 = stages[add1]!.output;
    const r1Readers = readers(r1);
    const n2 = r1Readers.find((i) => i >= 0 && isNorm(i));
    if (n2 === undefined || r1Readers.length !== 2 || readers(stages[n2]!.output).length !== 1)
      return undefined;
    const f = ff(stages[n2]!.output, r1);
    if (!f) return undefined;
    parts = { n1: pre, n2, add1, ...f, add2: f.add, input: x0, output: stages[f.add]!.output };
  } else {
    // Post-norm: x + attention → norm1 → n1; n1 + ff(n1) → norm2.
    if (readers(x).length !== 2) return undefined;
    const add1 = addWith(x, mha.output);
    if (add1 === undefined) return undefined;
    const n1 = sole(stages[add1]!.output, 'LayerNorm');
    if (!isNorm(n1) || readers(stages[n1!]!.output).length !== 2) return undefined;
    const f = ff(stages[n1!]!.output, stages[n1!]!.output);
    if (!f) return undefined;
    const n2 = sole(stages[f.add]!.output, 'LayerNorm');
    if (!isNorm(n2)) return undefined;
    parts = { n1: n1!, n2: n2!, add1, ...f, add2: f.add, input: x, output: stages[n2!]!.output };
  }
  const norm1 = stages[parts.n1]!;
  const norm2 = stages[parts.n2]!;
  if ((norm1.attrs['eps'] ?? 1e-5) !== (norm2.attrs['eps'] ?? 1e-5)) return undefined;
  const named = (s: Stage, prefix: string) =>
    s.params.map((p) => ({ ...p, param: `${prefix}${p.param}` }));
  const ffDim = stages[parts.l1]!.attrs['out'] as number;
  const attrs: Record<string, AttrValue> = {
    dim: d,
    heads: mha.attrs['heads'] as number,
    ff: ffDim,
    // An inference export has no Dropout nodes: the imported layer computes without dropout.
    dropout: 0,
  };
  if (stages[parts.act]!.layer === 'GELU') attrs['activation'] = 'gelu';
  if (pre >= 0 && parts.n1 === pre) attrs['norm_first'] = true;
  if (norm1.attrs['eps'] !== undefined) attrs['eps'] = norm1.attrs['eps'];
  const stage: Stage = {
    layer: 'TransformerEncoder',
    attrs,
    inputs: [parts.input],
    output: parts.output,
    params: [
      ...named(mha, 'self_attn.'),
      ...named(stages[parts.l1]!, 'linear1.'),
      ...named(stages[parts.l2]!, 'linear2.'),
      ...named(norm1, 'norm1.'),
      ...named(norm2, 'norm2.'),
    ],
    node: mha.node,
  };
  return {
    stage,
    stages: [k, parts.n1, parts.n2, parts.add1, parts.l1, parts.act, parts.l2, parts.add2],
  };
}
