/**
 * The export graph: a clean inference model (opset 17) with the trained weights as
 * initializers and **one node per layer**, so Netron shows the architecture.
 *
 * Each layer becomes the native ONNX operator when there is one (Gemm for Dense, Conv,
 * ConvTranspose, MaxPool/AveragePool/GlobalAveragePool, BatchNormalization, LayerNormalization,
 * InstanceNormalization, Gather, Resize, LSTM/GRU/RNN, Relu, PRelu, Softmax, …). A layer that
 * needs several operators (multi-layer or bidirectional recurrent stacks with their layout
 * transposes, MultiHeadAttention, Dense on a sequence, …) becomes a model-local ONNX function
 * (domain `dlm.layers`), called by one node; Netron shows the call and can expand it. So does a
 * layer whose one operator ignores an input (Reparameterize, μ at inference): the call keeps
 * every input. Dropout is ONNX Dropout (the identity at inference, its ratio kept); Identity adds
 * no node. Node names are the layer paths
 * (`basicblock0.conv2d1`) and doc strings the layer labels.
 *
 * Layers without a native form use their lowering (LayerDef.lower, eval mode) inside a function.
 * Native forms never bake the batch size into the graph. A lowering has concrete shapes, so it is
 * emitted at two batch sizes and every tensor that differs (Reshape/Expand targets, `[B, …]`
 * constants) is rebuilt from the input's batch size (`batchAgnostic`). The batch axis of the
 * inputs and outputs is therefore the symbolic `B`; only a lowering that depends on the batch in
 * another way is built for `staticBatch` samples, and the model doc string says so.
 *
 * With `standardize`, the graph starts with the data's input standardization `(x − mean) / std`.
 *
 * Gate reordering for the recurrent operators: PyTorch LSTM rows (i, f, g, o) → ONNX (i, o, f, c);
 * GRU (r, z, n) → ONNX (z, r, h) with linear_before_reset = 1; RNN unchanged. ONNX's B input is
 * [Wb, Rb] = [bias_ih, bias_hh], each reordered the same way.
 */
import { onnx } from 'onnx-proto';
import type { CheckedModel, LayerNode, ModelIO } from '../language/checked';
import { resolvePadding } from '../layers/attrs';
import type { Attrs } from '../layers/types';
import { ONNX_DTYPE, attr, tensorProto } from '../primitives/util';
import { expandAxes } from '../layers/learned';
import { splitMask } from '../layers/attention';
import {
  CompileError,
  concreteShape,
  nodeAttrs,
  nodePrefixes,
  paramName,
  qualifiedParam,
} from './forward';
import { Graph } from './ir';
import { IR_VERSION, OPSET, toModel } from './onnx';
import type { DType } from '../primitives';

export const FUNCTION_DOMAIN = 'dlm.layers';

export interface ExportOptions {
  /** Per-sample input shape (binds T, L, … of the signature). */
  readonly sampleShape: readonly number[];
  /** Batch size used when a layer's export depends on it (default 1). */
  readonly staticBatch?: number;
  /**
   * The data pipeline's input standardization (per value of a sample, C order): the graph starts
   * with `(x − mean) / std`, so the exported model takes raw features.
   */
  readonly standardize?: Standardization;
  /**
   * Values of the signature's symbolic dims (the batch's is replaced): a model with several
   * inputs binds dims that its first input does not have.
   */
  readonly dims?: Readonly<Record<string, number>>;
  /**
   * Several named inputs: how the packed standardization row splits across the model inputs
   * (their names and per-sample shapes, in row order).
   */
  readonly parts?: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

export interface Standardization {
  readonly mean: ArrayLike<number>;
  readonly std: ArrayLike<number>;
}

/** One layer's operators, written against local names (formal inputs, params, outputs). */
class Body {
  readonly nodes: onnx.INodeProto[] = [];
  readonly consts: { name: string; t: onnx.ITensorProto }[] = [];
  private n = 0;
  constructor(readonly tag: string) {}
  fresh(h: string): string {
    return `${this.tag}/${h}_${this.n++}`;
  }
  op(
    opType: string,
    inputs: readonly string[],
    attrs: onnx.IAttributeProto[] = [],
    outs = 1,
    out?: string[],
  ): string[] {
    const output = out ?? Array.from({ length: outs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, input: [...inputs], output, attribute: attrs, domain: '' });
    return output;
  }
  one(opType: string, inputs: readonly string[], attrs: onnx.IAttributeProto[] = []): string {
    return this.op(opType, inputs, attrs)[0]!;
  }
  const(values: readonly number[], shape: readonly number[], dtype: DType = 'float32'): string {
    const name = this.fresh('c');
    this.consts.push({ name, t: tensorProto(values, shape, dtype, name) });
    return name;
  }
  ints(values: readonly number[]): string {
    return this.const(values, [values.length], 'int64');
  }
}

interface LayerIO {
  readonly body: Body;
  /** Formal input names (the layer inputs). */
  readonly x: readonly string[];
  readonly xShapes: readonly (readonly number[])[];
  readonly yShapes: readonly (readonly number[])[];
  readonly attrs: Attrs;
  /** Parameter name (PyTorch) → local tensor name; `param(name, values, shape)` adds a derived one. */
  param(name: string): string | undefined;
  derived(name: string, values: readonly number[], shape: readonly number[]): string;
  values(name: string): Float32Array;
}

type Native = (io: LayerIO, node: LayerNode) => string[] | undefined;

const f = (name: string, v: number) => attr.f(name, v);
const i = (name: string, v: number) => attr.i(name, v);
const is = (name: string, v: readonly number[]) => attr.is(name, v);

function conv(io: LayerIO, node: LayerNode): string[] {
  const a = io.attrs;
  const rank = io.xShapes[0]!.length - 2;
  const k = a.ints('kernel', rank);
  const s = a.ints('stride', rank);
  const d = a.ints('dilation', rank);
  const transposed = node.def.name.startsWith('ConvTranspose');
  const pads = transposed
    ? [...a.ints('padding', rank), ...a.ints('padding', rank)]
    : (() => {
        const p = resolvePadding(node.def.name, a, k, s, d);
        return [...p.before, ...p.after];
      })();
  const ins = [io.x[0]!, io.param('weight')!, ...(io.param('bias') ? [io.param('bias')!] : [])];
  const at = [
    is('kernel_shape', k),
    is('strides', s),
    is('dilations', d),
    is('pads', pads),
    i('group', a.int('groups')),
  ];
  if (transposed) at.push(is('output_padding', a.ints('output_padding', rank)));
  return [io.body.one(transposed ? 'ConvTranspose' : 'Conv', ins, at)];
}

function pool(io: LayerIO, node: LayerNode): string[] | undefined {
  const a = io.attrs;
  const rank = io.xShapes[0]!.length - 2;
  const k = a.ints('kernel', rank);
  const s = a.has('stride') ? a.ints('stride', rank) : k;
  const p = a.ints('padding', rank);
  const ceil = a.bool('ceil_mode') ? 1 : 0;
  const base = [is('kernel_shape', k), is('strides', s), is('pads', [...p, ...p])];
  if (node.def.name.startsWith('Max'))
    return [
      io.body.one(
        'MaxPool',
        [io.x[0]!],
        [...base, is('dilations', a.ints('dilation', rank)), i('ceil_mode', ceil)],
      ),
    ];
  if (ceil) return undefined; // divisor rules of the ceil overhang differ; use the lowering
  return [
    io.body.one(
      'AveragePool',
      [io.x[0]!],
      [...base, i('count_include_pad', a.bool('count_include_pad') ? 1 : 0)],
    ),
  ];
}

/** Affine vectors for normalization operators: the parameter, or ones/zeros. */
function affine(io: LayerIO, name: string, c: readonly number[], fill: number): string {
  return (
    io.param(name) ??
    io.derived(`${name}_const`, new Array<number>(c.reduce((x, y) => x * y, 1)).fill(fill), c)
  );
}

/** Reorder gate blocks of `[G·H, …]` rows (or a `[G·H]` vector). */
function reorderRows(v: Float32Array, g: number, order: readonly number[]): number[] {
  const block = v.length / g;
  const out: number[] = [];
  for (const k of order) for (let j = 0; j < block; j++) out.push(v[k * block + j]!);
  return out;
}

function recurrent(io: LayerIO, node: LayerNode): string[] {
  const a = io.attrs;
  const b = io.body;
  const kind = node.def.name;
  const [, t] = io.xShapes[0]! as [number, number, number];
  const h = a.int('hidden');
  const layers = a.int('layers');
  const dirs = a.bool('bidirectional') ? 2 : 1;
  const hasBias = a.bool('bias');
  const g = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const order = kind === 'LSTM' ? [0, 3, 1, 2] : kind === 'GRU' ? [1, 0, 2] : [0];
  const opType = kind === 'SimpleRNN' ? 'RNN' : kind;
  let seq = b.one('Transpose', [io.x[0]!], [is('perm', [1, 0, 2])]); // [T, N, F]
  let lastH = '';
  // Initial states [layers·dirs, N, H] (inputs 1 and 2): rows l·dirs … (l+1)·dirs per layer.
  const initial = (k: number, l: number): string => {
    const v = io.x[k];
    if (!v) return '';
    if (layers === 1) return v;
    return b.one('Slice', [v, b.ints([l * dirs]), b.ints([(l + 1) * dirs]), b.ints([0])]);
  };
  const returnState = a.bool('return_state');
  const hN: string[] = [];
  const cN: string[] = [];
  for (let l = 0; l < layers; l++) {
    let W: number[] = [];
    let R: number[] = [];
    let B: number[] = [];
    let inF = 0;
    for (let dir = 0; dir < dirs; dir++) {
      const sfx = `_l${l}${dir === 1 ? '_reverse' : ''}`;
      const wih = io.values(`weight_ih${sfx}`);
      inF = wih.length / (g * h);
      W = W.concat(reorderRows(wih, g, order));
      R = R.concat(reorderRows(io.values(`weight_hh${sfx}`), g, order));
      if (hasBias) {
        B = B.concat(reorderRows(io.values(`bias_ih${sfx}`), g, order));
        B = B.concat(reorderRows(io.values(`bias_hh${sfx}`), g, order));
      }
    }
    const w = io.derived(`W_l${l}`, W, [dirs, g * h, inF]);
    const r = io.derived(`R_l${l}`, R, [dirs, g * h, h]);
    const bb = hasBias ? io.derived(`B_l${l}`, B, [dirs, 2 * g * h]) : '';
    const at = [i('hidden_size', h), attr.s('direction', dirs === 2 ? 'bidirectional' : 'forward')];
    if (kind === 'GRU') at.push(i('linear_before_reset', 1));
    if (kind === 'SimpleRNN') {
      const act = a.str('nonlinearity') === 'relu' ? 'Relu' : 'Tanh';
      at.push({
        name: 'activations',
        type: onnx.AttributeProto.AttributeType.STRINGS,
        strings: Array.from({ length: dirs }, () => new TextEncoder().encode(act)),
      });
    }
    const h0 = initial(1, l);
    const c0 = kind === 'LSTM' ? initial(2, l) : '';
    // X, W, R, B, sequence_lens, initial_h, initial_c ('' = absent), trailing absents dropped.
    const ins = [seq, w, r, hasBias ? bb : '', '', h0, c0];
    while (ins[ins.length - 1] === '') ins.pop();
    const outs = b.op(opType, ins, at, kind === 'LSTM' && returnState ? 3 : 2);
    hN.push(outs[1]!);
    if (outs[2]) cN.push(outs[2]);
    // Y [T, dirs, N, H] → [T, N, dirs·H]
    const y = b.one('Transpose', [outs[0]!], [is('perm', [0, 2, 1, 3])]);
    seq = b.one('Reshape', [y, b.ints([t, 0, dirs * h])]);
    lastH = outs[1]!; // [dirs, N, H]
  }
  let y: string;
  if (a.bool('return_sequences')) y = b.one('Transpose', [seq], [is('perm', [1, 0, 2])]);
  else {
    const hn = b.one('Transpose', [lastH], [is('perm', [1, 0, 2])]); // [N, dirs, H]
    y = b.one('Reshape', [hn, b.ints([0, dirs * h])]);
  }
  if (!returnState) return [y];
  // Final states: each layer's Y_h (and Y_c) [dirs, N, H], stacked to [layers·dirs, N, H].
  const stack = (vs: string[]) => (vs.length === 1 ? vs[0]! : b.one('Concat', vs, [i('axis', 0)]));
  return kind === 'LSTM' ? [y, stack(hN), stack(cN)] : [y, stack(hN)];
}

/** Multi-head attention with batch-agnostic reshapes (0 copies the batch size). */
function mha(io: LayerIO, node: LayerNode): string[] {
  const a = io.attrs;
  const b = io.body;
  const d = a.int('dim');
  const heads = a.int('heads');
  const dh = d / heads;
  // A key-padding mask is the last input of rank 2 (decision 0015), not the keys.
  const { seqs, mask } = splitMask(io.x, (_, k) => io.xShapes[k]!.length);
  const [q, k, v] = [seqs[0]!, seqs[1] ?? seqs[0]!, seqs[2] ?? seqs[0]!];
  const shapes = io.xShapes.slice(0, seqs.length);
  const tq = shapes[0]![1]!;
  const tk = (shapes[1] ?? shapes[0]!)[1]!;
  // The layer's own parameters (in_proj_weight [3D, D], out_proj.weight), sliced and transposed
  // in the graph (onnxruntime folds it at load), so the file has PyTorch's tensors and an import
  // reads them back by name.
  const W = io.param('in_proj_weight')!;
  const Bv = io.param('in_proj_bias');
  const part = (t: string, k: number) =>
    b.one('Slice', [t, b.ints([k * d]), b.ints([(k + 1) * d]), b.ints([0])]);
  const T = (t: string) => b.one('Transpose', [t], [is('perm', [1, 0])]);
  const proj = (x: string, k: number) => {
    let y = b.one('MatMul', [x, T(part(W, k))]);
    if (Bv) y = b.one('Add', [y, part(Bv, k)]);
    return b.one(
      'Transpose',
      [b.one('Reshape', [y, b.ints([0, 0, heads, dh])])],
      [is('perm', [0, 2, 1, 3])],
    );
  };
  const Q = proj(q, 0);
  const K = proj(k, 1);
  const V = proj(v, 2);
  let s = b.one('MatMul', [Q, b.one('Transpose', [K], [is('perm', [0, 1, 3, 2])])]);
  s = b.one('Mul', [s, b.const([1 / Math.sqrt(dh)], [])]);
  if (a.bool('causal')) {
    const m: number[] = [];
    for (let r = 0; r < tq; r++) for (let c = 0; c < tk; c++) m.push(c > r ? -1e9 : 0);
    s = b.one('Add', [s, b.const(m, [tq, tk])]);
  }
  if (mask) {
    // where(mask == 0, 0, −1e9) as [N, 1, 1, Tk], as the lowering adds it.
    const pad = b.one('Equal', [b.one('Cast', [mask], [i('to', 1)]), b.const([0], [])]);
    const bias = b.one('Where', [pad, b.const([0], []), b.const([-1e9], [])]);
    s = b.one('Add', [s, b.one('Reshape', [bias, b.ints([0, 1, 1, tk])])]);
  }
  const p = b.one('Softmax', [s], [i('axis', -1)]);
  const ctx = b.one('Transpose', [b.one('MatMul', [p, V])], [is('perm', [0, 2, 1, 3])]);
  const flat = b.one('Reshape', [ctx, b.ints([0, 0, d])]);
  let y = b.one('MatMul', [flat, T(io.param('out_proj.weight')!)]);
  if (io.param('out_proj.bias')) y = b.one('Add', [y, io.param('out_proj.bias')!]);
  void node;
  return [y];
}

const ACT: Record<string, (io: LayerIO) => onnx.IAttributeProto[] | undefined> = {
  ReLU: () => [],
  Sigmoid: () => [],
  Tanh: () => [],
  LeakyReLU: (io) => [f('alpha', io.attrs.float('alpha'))],
  ELU: (io) => [f('alpha', io.attrs.float('alpha'))],
  Softmax: (io) => [i('axis', io.attrs.int('axis'))],
  LogSoftmax: (io) => [i('axis', io.attrs.int('axis'))],
};
const ACT_OP: Record<string, string> = {
  ReLU: 'Relu',
  LeakyReLU: 'LeakyRelu',
  ELU: 'Elu',
};

const NATIVE: Record<string, Native> = {
  Dense(io) {
    const x = io.x[0]!;
    const wIn = io.param('weight')!;
    const bias = io.param('bias');
    if (io.xShapes[0]!.length === 2)
      return [io.body.one('Gemm', [x, wIn, ...(bias ? [bias] : [])], [i('transB', 1)])];
    // On a sequence: MatMul with the weight transposed in the graph (onnxruntime folds it at
    // load), not a transposed copy, so the file keeps one tensor per parameter and a tied
    // weight (`tie=embed`) stays the Embedding's one initializer for an import to find.
    const y = io.body.one('MatMul', [x, io.body.one('Transpose', [wIn], [is('perm', [1, 0])])]);
    return [bias ? io.body.one('Add', [y, bias]) : y];
  },
  Conv1d: conv,
  Conv2d: conv,
  Conv3d: conv,
  ConvTranspose1d: conv,
  ConvTranspose2d: conv,
  MaxPool1d: pool,
  MaxPool2d: pool,
  AvgPool1d: pool,
  AvgPool2d: pool,
  GlobalAvgPool: (io) => globalPool(io, 'GlobalAveragePool'),
  GlobalMaxPool: (io) => globalPool(io, 'GlobalMaxPool'),
  AdaptiveAvgPool2d(io) {
    const out = io.attrs.ints('output', 2);
    const sp = io.xShapes[0]!.slice(2);
    if (out.every((v) => v === 1)) return [io.body.one('GlobalAveragePool', [io.x[0]!])];
    if (!sp.every((n, k) => n % out[k]! === 0)) return undefined;
    const k = sp.map((n, j) => n / out[j]!);
    return [
      io.body.one(
        'AveragePool',
        [io.x[0]!],
        [is('kernel_shape', k), is('strides', k), is('pads', [0, 0, 0, 0])],
      ),
    ];
  },
  Upsample(io) {
    const r = io.xShapes[0]!.length;
    const scale = io.attrs.ints('scale', r - 2);
    const bilinear = io.attrs.str('mode') === 'bilinear';
    const ac = io.attrs.bool('align_corners');
    const scales = io.body.const([1, 1, ...scale], [r]);
    return [
      io.body.one(
        'Resize',
        [io.x[0]!, '', scales],
        [
          attr.s('mode', bilinear ? 'linear' : 'nearest'),
          attr.s(
            'coordinate_transformation_mode',
            bilinear ? (ac ? 'align_corners' : 'pytorch_half_pixel') : 'asymmetric',
          ),
          ...(bilinear ? [] : [attr.s('nearest_mode', 'floor')]),
        ],
      ),
    ];
  },
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  InstanceNorm1d: instanceNorm,
  InstanceNorm2d: instanceNorm,
  LayerNorm(io) {
    const x = io.x[0]!;
    const ns = io.attrs.has('shape')
      ? (io.attrs.get('shape') as number | number[])
      : [io.xShapes[0]!.at(-1)!];
    const shape = typeof ns === 'number' ? [ns] : [...ns];
    return [
      io.body.one(
        'LayerNormalization',
        [x, affine(io, 'weight', shape, 1), affine(io, 'bias', shape, 0)],
        [i('axis', -shape.length), f('epsilon', io.attrs.float('eps'))],
      ),
    ];
  },
  Embedding(io) {
    const ids = io.x[0]!;
    return [io.body.one('Gather', [io.param('weight')!, ids], [i('axis', 0)])];
  },
  PReLU(io) {
    const w = io.values('weight');
    const r = io.xShapes[0]!.length;
    const shape = w.length === 1 ? [1] : [w.length, ...Array<number>(Math.max(0, r - 2)).fill(1)];
    return [io.body.one('PRelu', [io.x[0]!, io.derived('slope', [...w], shape)])];
  },
  Softplus(io) {
    if (io.attrs.float('beta') !== 1 || io.attrs.float('threshold') < 20) return undefined;
    return [io.body.one('Softplus', [io.x[0]!])];
  },
  Flatten(io) {
    const r = io.xShapes[0]!.length;
    const s = ((io.attrs.int('start') % r) + r) % r;
    const e = ((io.attrs.int('end') % r) + r) % r;
    // ONNX Flatten always gives a 2-D result, [Π dims before axis, Π the rest]: the same only
    // for start = 1 through the last axis. Every other range is a Reshape.
    if (s === 1 && e === r - 1) return [io.body.one('Flatten', [io.x[0]!], [i('axis', 1)])];
    const shape = [...Array<number>(s).fill(0), -1, ...io.xShapes[0]!.slice(e + 1)];
    return [io.body.one('Reshape', [io.x[0]!, io.body.ints(shape)])];
  },
  Reshape(io) {
    return [io.body.one('Reshape', [io.x[0]!, io.body.ints([0, ...io.yShapes[0]!.slice(1)])])];
  },
  Permute(io) {
    const r = io.xShapes[0]!.length;
    const dims = io.attrs.get('dims') as number[];
    return [
      io.body.one(
        'Transpose',
        [io.x[0]!],
        [
          is(
            'perm',
            dims.map((d) => ((d % r) + r) % r),
          ),
        ],
      ),
    ];
  },
  Mean(io) {
    const r = io.xShapes[0]!.length;
    const ax = ((io.attrs.int('axis') % r) + r) % r;
    return [
      io.body.one(
        'ReduceMean',
        [io.x[0]!],
        [is('axes', [ax]), i('keepdims', io.attrs.bool('keepdims') ? 1 : 0)],
      ),
    ];
  },
  Select(io) {
    const r = io.xShapes[0]!.length;
    const ax = ((io.attrs.int('axis') % r) + r) % r;
    const n = io.xShapes[0]![ax]!;
    const idx = ((io.attrs.int('index') % n) + n) % n;
    return [io.body.one('Gather', [io.x[0]!, io.body.const([idx], [], 'int64')], [i('axis', ax)])];
  },
  Add: (io) => [io.x.slice(1).reduce((acc, x) => io.body.one('Add', [acc, x]), io.x[0]!)],
  Multiply: (io) => [io.x.slice(1).reduce((acc, x) => io.body.one('Mul', [acc, x]), io.x[0]!)],
  Concat(io) {
    const r = io.xShapes[0]!.length;
    return [io.body.one('Concat', [...io.x], [i('axis', ((io.attrs.int('axis') % r) + r) % r)])];
  },
  Parameter: (io) => [io.body.one('Identity', [io.param('')!])],
  Expand(io) {
    // ONNX Expand broadcasts both ways: target 1 on the kept axes, the second input's size on
    // the expanded ones (Shape(x1)·mask + (1 − mask)), so the batch size stays dynamic.
    const r = io.xShapes[0]!.length;
    const axes = expandAxes(io.attrs.get('axes'), r);
    const mask = Array.from({ length: r }, (_, k) => (axes.includes(k) ? 1 : 0));
    const target = io.body.one('Add', [
      io.body.one('Mul', [io.body.one('Shape', [io.x[1]!]), io.body.ints(mask)]),
      io.body.ints(mask.map((m) => 1 - m)),
    ]);
    return [io.body.one('Expand', [io.x[0]!, target])];
  },
  // Inference: ONNX Dropout is the identity (training_mode false) and keeps the ratio, so an
  // import gives the layer back; Reparameterize returns μ (a function: the call keeps logvar).
  Dropout: (io) => [io.body.one('Dropout', [io.x[0]!, io.body.const([io.attrs.float('p')], [])])],
  Identity: (io) => [io.x[0]!],
  Reparameterize: (io) => [io.body.one('Identity', [io.x[0]!])],
  SimpleRNN: recurrent,
  LSTM: recurrent,
  GRU: recurrent,
  MultiHeadAttention: mha,
};
for (const name of Object.keys(ACT))
  NATIVE[name] = (io) => [io.body.one(ACT_OP[name] ?? name, [io.x[0]!], ACT[name]!(io))];

function globalPool(io: LayerIO, op: string): string[] {
  const y = io.body.one(op, [io.x[0]!]);
  return [io.attrs.bool('keepdims') ? y : io.body.one('Flatten', [y], [i('axis', 1)])];
}

function batchNorm(io: LayerIO): string[] | undefined {
  if (!io.attrs.bool('track_running_stats')) return undefined;
  const c = [io.xShapes[0]![1]!];
  return [
    io.body.one(
      'BatchNormalization',
      [
        io.x[0]!,
        affine(io, 'weight', c, 1),
        affine(io, 'bias', c, 0),
        io.param('running_mean')!,
        io.param('running_var')!,
      ],
      [f('epsilon', io.attrs.float('eps'))],
    ),
  ];
}

function instanceNorm(io: LayerIO): string[] | undefined {
  if (io.attrs.bool('track_running_stats')) return batchNorm(io);
  const c = [io.xShapes[0]![1]!];
  return [
    io.body.one(
      'InstanceNormalization',
      [io.x[0]!, affine(io, 'weight', c, 1), affine(io, 'bias', c, 0)],
      [f('epsilon', io.attrs.float('eps'))],
    ),
  ];
}

function valueInfo(name: string, shape: readonly (number | string)[], dtype: DType) {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        shape: {
          dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

export interface ExportInfo {
  readonly model: onnx.IModelProto;
  /** True when the batch axis is the symbolic `B`; false when some layer fixed it. */
  readonly dynamicBatch: boolean;
  /** Layers exported through their lowering (no native operator). */
  readonly lowered: readonly string[];
}

/**
 * The model inputs the export standardizes, each with its slice of the statistics. One input
 * takes them all; several inputs split the packed row by `parts` (the data's named inputs, in
 * row order), and an input whose slice is the identity (ids: mean 0, std 1) is left as it is.
 */
function standardizedInputs(
  model: CheckedModel,
  opts: ExportOptions,
): { io: ModelIO; mean: number[]; std: number[]; shape: readonly number[] }[] {
  const st = opts.standardize;
  if (!st) return [];
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const parts = opts.parts ?? [{ name: model.inputs[0]!.name, shape: opts.sampleShape }];
  const k = parts.reduce((a, p) => a + size(p.shape), 0);
  if (st.mean.length !== k || st.std.length !== k)
    throw new CompileError(
      `export: the standardization has ${st.mean.length} means and ${st.std.length} stds for samples of ${k} values`,
    );
  const out: { io: ModelIO; mean: number[]; std: number[]; shape: readonly number[] }[] = [];
  let off = 0;
  for (const p of parts) {
    const n = size(p.shape);
    const mean = Array.from(st.mean).slice(off, off + n);
    const std = Array.from(st.std).slice(off, off + n);
    off += n;
    const io = model.inputs.find((i) => i.name === p.name);
    if (!io) throw new CompileError(`export: the data's input '${p.name}' is not a model input`);
    if (parts.length > 1 && mean.every((v) => v === 0) && std.every((v) => v === 1)) continue;
    out.push({ io, mean, std, shape: p.shape });
  }
  return out;
}

/** Build the export model; see the module doc. `params` maps qualified names to values. */
export function buildExport(
  model: CheckedModel,
  params: ReadonlyMap<string, Float32Array>,
  opts: ExportOptions,
): ExportInfo {
  const batch = opts.staticBatch ?? 1;
  const io0 = model.inputs[0];
  if (!io0) throw new CompileError(`model ${model.name} has no input`);
  const prefixes = nodePrefixes(model);
  const dimsFor = (b: number): Record<string, number> => {
    const shape = model.values[io0.value]!.shape ?? io0.declared ?? [];
    const dims: Record<string, number> = { ...opts.dims };
    if (opts.dims) {
      const sym = shape[0]?.asSymbol();
      if (sym !== undefined) dims[sym] = b;
      return dims;
    }
    shape.forEach((d, k) => {
      const sym = d.asSymbol();
      if (sym !== undefined) dims[sym] = k === 0 ? b : opts.sampleShape[k - 1]!;
    });
    return dims;
  };
  const shapeCache = new Map<string, number[]>();
  /** The concrete shape of a value when the batch size is `b`. */
  const shapeAt = (id: number, b: number) => {
    const key = `${b}|${id}`;
    let s = shapeCache.get(key);
    if (!s) {
      const v = model.values[id]!;
      s = concreteShape(v.shape ?? [], dimsFor(b), v.name ?? `value ${id}`);
      shapeCache.set(key, s);
    }
    return s;
  };
  const shapeOf = (id: number) => shapeAt(id, batch);
  const names = new Map<number, string>();
  const embeddingInputs = new Set(
    model.nodes.filter((n) => n.def.name === 'Embedding').flatMap((n) => n.inputs),
  );
  const inputs = model.inputs.map((io) => {
    names.set(io.value, io.name);
    const dtype: DType = embeddingInputs.has(io.value) ? 'int64' : 'float32';
    return { io, dtype };
  });
  const nodes: onnx.INodeProto[] = [];
  const inits = new Map<string, onnx.ITensorProto>();
  const functions: onnx.IFunctionProto[] = [];
  for (const part of standardizedInputs(model, opts)) {
    const { io, mean: m, std: sd, shape } = part;
    if (inputs.find((i) => i.io === io)!.dtype !== 'float32')
      throw new CompileError(`export: input ${io.name} holds ids; it cannot be standardized`);
    const [mean, std, centered, out] = ['mean', 'std', 'centered', 'standardized'].map(
      (s) => `${io.name}:${s}`,
    ) as [string, string, string, string];
    inits.set(mean, tensorProto(m, shape, 'float32', mean));
    inits.set(std, tensorProto(sd, shape, 'float32', std));
    const doc = "input standardization (x − mean) / std, with the training split's statistics";
    const tag = model.inputs.length === 1 ? 'standardize' : `standardize:${io.name}`;
    nodes.push(
      {
        opType: 'Sub',
        input: [io.name, mean],
        output: [centered],
        name: `${tag}:sub`,
        docString: doc,
      },
      { opType: 'Div', input: [centered, std], output: [out], name: `${tag}:div`, docString: doc },
    );
    names.set(io.value, out);
  }
  const lowered: string[] = [];
  let dynamic = true;

  const uses = new Map<string, number>();
  for (const n of model.nodes) {
    const prefix = prefixes[n.id]!;
    // A tied layer used again: the same weights, a distinct node name.
    const k = uses.get(prefix) ?? 0;
    uses.set(prefix, k + 1);
    const nodeName = k === 0 ? prefix : `${prefix}#${k}`;
    const attrs = nodeAttrs(n);
    const xNames = n.inputs.map((id) => names.get(id)!);
    const xShapes = n.inputs.map(shapeOf);
    const yShapes = n.outputs.map(shapeOf);
    const local = new Map<string, string>(); // formal/local param name → graph initializer
    let body = new Body(nodeName);
    const formalX = xNames.map((_, k) => `x${k}`);
    const paramValues = (name: string) => {
      const v = params.get(paramName(model, prefixes, n, name));
      if (!v)
        throw new CompileError(
          `export: no value for parameter ${paramName(model, prefixes, n, name)}`,
        );
      return v;
    };
    const addInit = (graphName: string, values: ArrayLike<number>, shape: readonly number[]) => {
      if (!inits.has(graphName))
        inits.set(graphName, tensorProto(Array.from(values), shape, 'float32', graphName));
    };
    const io: LayerIO = {
      body,
      x: formalX,
      xShapes,
      yShapes,
      attrs,
      param(name) {
        const spec = n.params.find((p) => p.name === name);
        if (!spec) return undefined;
        const g = paramName(model, prefixes, n, name);
        addInit(g, paramValues(name), spec.shape);
        local.set(`p:${name}`, g);
        return `p:${name}`;
      },
      derived(name, values, shape) {
        const g = qualifiedParam(prefix, name);
        addInit(g, values, shape);
        local.set(`p:${name}`, g);
        return `p:${name}`;
      },
      values: paramValues,
    };
    let ys = NATIVE[n.def.name]?.(io, n);
    if (!ys) {
      const paramOf = (name: string, spec: readonly number[]) => {
        const g = paramName(model, prefixes, n, name);
        addInit(g, paramValues(name), spec);
        local.set(`p:${name}`, g);
        return `p:${name}`;
      };
      // The lowering has concrete shapes. Emitted for two batch sizes, every tensor that differs
      // must be a shape computed from the batch size, which then becomes Shape(x0)-based.
      const [p1, p2] = PROBE_BATCHES;
      const at = (b: number) => {
        const bb = new Body(nodeName);
        const shapes = n.inputs.map((id) => shapeAt(id, b));
        return { bb, shapes, ys: loweredBody(n, attrs, shapes, io, bb, b, paramOf) };
      };
      const a = at(p1);
      const c = at(p2);
      if (
        a.shapes[0]?.[0] === p1 &&
        c.shapes[0]?.[0] === p2 &&
        batchAgnostic(a.bb, c.bb, p1, p2, formalX[0]!)
      ) {
        body = a.bb;
        ys = a.ys;
      } else {
        ys = loweredBody(n, attrs, xShapes, io, body, batch, paramOf);
        if (body.nodes.some((x) => BATCH_OPS.has(x.opType ?? ''))) dynamic = false;
      }
      lowered.push(`${n.label} (${prefix})`);
    }
    // Map formal names to graph names.
    const actual = (nm: string) => {
      const k = formalX.indexOf(nm);
      if (k >= 0) return xNames[k]!;
      return local.get(nm) ?? nm;
    };
    const passThrough = ys.every((y) => formalX.includes(y));
    if (passThrough) {
      n.outputs.forEach((id, k) => names.set(id, actual(ys![k]!)));
      continue;
    }
    const outNames = n.outputs.map((id) => {
      const io2 = model.outputs.find((o) => o.value === id);
      return io2 ? io2.name : `${nodeName}:out${n.outputs.indexOf(id)}`;
    });
    // One operator that reads every layer input is the layer's node; a layer with several
    // operators, or one that ignores an input (Reparameterize at inference), is a function.
    const only = body.nodes.length === 1 ? body.nodes[0]! : undefined;
    if (only && formalX.every((x) => only.input?.includes(x))) {
      for (const c of body.consts) inits.set(c.name, c.t);
      nodes.push({
        ...only,
        input: (only.input ?? []).map((nm) => (nm === '' ? '' : actual(nm))),
        output: outNames,
        name: nodeName,
        docString: n.label,
      });
    } else {
      // A model-local function: formal inputs x0…, then the parameters it reads.
      const paramFormals = [...local.keys()];
      const fname = `${n.def.name}_${nodeName.replace(/[^A-Za-z0-9_]/g, '_')}`;
      const constNodes = body.consts.map((c) => ({
        opType: 'Constant',
        input: [],
        output: [c.name],
        attribute: [attr.t('value', { ...c.t, name: '' })],
        domain: '',
      }));
      functions.push({
        name: fname,
        domain: FUNCTION_DOMAIN,
        input: [...formalX, ...paramFormals],
        output: ys,
        node: [...constNodes, ...body.nodes],
        opsetImport: [{ domain: '', version: OPSET }],
        docString: n.label,
      });
      nodes.push({
        opType: fname,
        domain: FUNCTION_DOMAIN,
        input: [...xNames, ...paramFormals.map((p) => local.get(p)!)],
        output: outNames,
        name: nodeName,
        docString: n.label,
      });
    }
    n.outputs.forEach((id, k) => names.set(id, outNames[k]!));
  }

  // Model outputs that are passed-through values need an Identity to carry the output name.
  for (const out of model.outputs) {
    const nm = names.get(out.value)!;
    if (nm !== out.name)
      nodes.push({
        opType: 'Identity',
        input: [nm],
        output: [out.name],
        name: `output:${out.name}`,
      });
  }
  const b: number | string = dynamic ? 'B' : batch;
  // The batch axis is wherever the checked shape has the batch dim: axis 0 of activations,
  // axis 1 of recurrent states [layers·dirs, N, H].
  const batch0 = (model.values[io0.value]!.shape ?? io0.declared)?.[0];
  const batchDim = batch0?.asSymbol() !== undefined ? batch0 : undefined;
  const ioShape = (id: number): (number | string)[] => {
    const checked = model.values[id]!.shape;
    return shapeOf(id).map((d, k) =>
      (checked && batchDim ? checked[k]!.equals(batchDim) : k === 0) ? b : d,
    );
  };
  const graph: onnx.IGraphProto = {
    name: model.name,
    node: nodes,
    initializer: [...inits.values()],
    input: inputs.map(({ io, dtype }) => valueInfo(io.name, ioShape(io.value), dtype)),
    output: model.outputs.map((o) => valueInfo(o.name, ioShape(o.value), 'float32')),
    docString: model.doc ?? '',
  };
  const m = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      ...(functions.length ? [{ domain: FUNCTION_DOMAIN, version: 1 }] : []),
    ],
    producerName: 'dlm-studio',
    docString: dynamic
      ? `${model.name}: exported by DLM Studio`
      : `${model.name}: exported by DLM Studio for batch size ${batch} (layers exported through their lowering fix it: ${lowered.join(', ')})`,
    graph,
    functions,
  });
  return { model: m, dynamicBatch: dynamic, lowered };
}

/**
 * Two batch sizes at which a lowered layer is emitted to find the tensors that depend on the batch
 * size (primes, so that a batch-dependent shape constant does not coincide with another one).
 */
const PROBE_BATCHES = [97, 101] as const;
/** Operators whose constant inputs may carry the batch size. */
const BATCH_OPS = new Set(['Reshape', 'Expand', 'ConstantOfShape', 'Tile', 'Slice']);

const sameBytes = (x: Uint8Array, y: Uint8Array) =>
  x.length === y.length && x.every((v, k) => v === y[k]);
const tensorBytes = (t: onnx.ITensorProto) => onnx.TensorProto.encode(t).finish();
const dimsOf = (t: onnx.ITensorProto) => (t.dims ?? []).map(Number);

function int64Values(t: onnx.ITensorProto): number[] | undefined {
  if (t.dataType !== ONNX_DTYPE.int64 || !t.rawData) return undefined;
  const raw = t.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.byteLength / 8 }, (_, k) =>
    Number(view.getBigInt64(k * 8, true)),
  );
}

/**
 * Make the body of a lowered layer independent of the batch size: `a` and `c` are the same
 * lowering emitted at batch sizes `p1` and `p2`. Every tensor that differs between them (an
 * initializer or a Constant node's value) is replaced by operators computing it from
 * `B = Shape(x0)[0]`:
 * - an int64 vector (a Reshape/Expand/Tile/ConstantOfShape shape, Slice bounds) whose entries are
 *   either constant or k·B → Concat of constants and `B·k`;
 * - a tensor [B, …] whose B rows are all equal → Expand of one row to `[B, …]`.
 * Anything else (another node, another attribute, values that depend on B otherwise) leaves `a`
 * untouched and returns false: the caller then exports for a fixed batch size.
 */
function batchAgnostic(a: Body, c: Body, p1: number, p2: number, x0: string): boolean {
  if (a.nodes.length !== c.nodes.length || a.consts.length !== c.consts.length) return false;
  const patches: { name: string; ta: onnx.ITensorProto; tc: onnx.ITensorProto }[] = [];
  const dropNodes = new Set<number>();
  for (let k = 0; k < a.nodes.length; k++) {
    const na = a.nodes[k]!;
    const nc = c.nodes[k]!;
    if (
      na.opType !== nc.opType ||
      (na.domain ?? '') !== (nc.domain ?? '') ||
      (na.input ?? []).join('|') !== (nc.input ?? []).join('|') ||
      (na.output ?? []).join('|') !== (nc.output ?? []).join('|') ||
      (na.attribute ?? []).length !== (nc.attribute ?? []).length
    )
      return false;
    for (let j = 0; j < (na.attribute ?? []).length; j++) {
      const xa = na.attribute![j]!;
      const xc = nc.attribute![j]!;
      const ba = onnx.AttributeProto.encode(xa).finish();
      if (sameBytes(ba, onnx.AttributeProto.encode(xc).finish())) continue;
      if (na.opType !== 'Constant' || xa.name !== 'value' || !xa.t || !xc.t) return false;
      patches.push({ name: na.output![0]!, ta: xa.t, tc: xc.t });
      dropNodes.add(k);
    }
  }
  const dropConsts = new Set<string>();
  for (let k = 0; k < a.consts.length; k++) {
    const ca = a.consts[k]!;
    const cc = c.consts[k]!;
    if (ca.name !== cc.name) return false;
    if (sameBytes(tensorBytes(ca.t), tensorBytes(cc.t))) continue;
    patches.push({ name: ca.name, ta: ca.t, tc: cc.t });
    dropConsts.add(ca.name);
  }
  if (!patches.length) return true;
  const pre: onnx.INodeProto[] = [];
  const consts: { name: string; t: onnx.ITensorProto }[] = [];
  const bdim = `${a.tag}/batch`;
  let made = 0;
  const fresh = (h: string) => `${a.tag}/${h}_batch${made++}`;
  const int64 = (values: readonly number[]) => {
    const name = fresh('c');
    consts.push({ name, t: tensorProto(values, [values.length], 'int64', name) });
    return name;
  };
  const emit = (
    opType: string,
    input: string[],
    output: string,
    attribute: onnx.IAttributeProto[] = [],
  ) => pre.push({ opType, input, output: [output], attribute, domain: '' });
  emit('Shape', [x0], bdim, [i('start', 0), i('end', 1)]);
  for (const { name, ta, tc } of patches) {
    const da = dimsOf(ta);
    const dc = dimsOf(tc);
    const va = int64Values(ta);
    const vc = int64Values(tc);
    if (va && vc && da.length === 1 && dc.length === 1 && va.length === vc.length) {
      // entries: constant, or k·B
      const pieces: string[] = [];
      let run: number[] = [];
      const flush = () => {
        if (run.length) pieces.push(int64(run));
        run = [];
      };
      for (let j = 0; j < va.length; j++) {
        if (va[j] === vc[j]) {
          run.push(va[j]!);
          continue;
        }
        const kk = va[j]! / p1;
        if (!Number.isInteger(kk) || kk < 1 || vc[j] !== kk * p2) return false;
        flush();
        if (kk === 1) pieces.push(bdim);
        else {
          const m = fresh('kB');
          emit('Mul', [bdim, int64([kk])], m);
          pieces.push(m);
        }
      }
      flush();
      emit('Concat', pieces, name, [i('axis', 0)]);
      continue;
    }
    // [B, …] with equal rows → Expand(row, [B, …])
    const rest = da.slice(1);
    if (
      da[0] !== p1 ||
      dc[0] !== p2 ||
      dc.length !== da.length ||
      rest.join() !== dc.slice(1).join() ||
      !ta.rawData ||
      !tc.rawData
    )
      return false;
    const rowBytes = ta.rawData.byteLength / p1;
    const row = ta.rawData.subarray(0, rowBytes);
    for (let r = 1; r < p1; r++)
      if (!sameBytes(row, ta.rawData.subarray(r * rowBytes, (r + 1) * rowBytes))) return false;
    if (!sameBytes(row, tc.rawData.subarray(0, rowBytes))) return false;
    const rowName = fresh('row');
    consts.push({
      name: rowName,
      t: { ...ta, name: rowName, dims: [1, ...rest], rawData: row.slice() },
    });
    const shape = fresh('shape');
    emit('Concat', [bdim, int64(rest)], shape, [i('axis', 0)]);
    emit('Expand', [rowName, shape], name);
  }
  a.nodes.splice(0, a.nodes.length, ...pre, ...a.nodes.filter((_, k) => !dropNodes.has(k)));
  a.consts.splice(
    0,
    a.consts.length,
    ...a.consts.filter((x) => !dropConsts.has(x.name)),
    ...consts,
  );
  return true;
}

/** A layer without a native form: its eval-mode lowering, emitted into `body`. */
function loweredBody(
  n: LayerNode,
  attrs: Attrs,
  xShapes: readonly (readonly number[])[],
  io: LayerIO,
  body: Body,
  _batch: number,
  param: (name: string, shape: readonly number[]) => string,
): string[] {
  if (!n.def.lower)
    throw new CompileError(`export: ${n.label} (${n.def.name}) has no lowering and no ONNX form`);
  const g = new Graph();
  const xs = xShapes.map((s, k) =>
    g.input(io.x[k]!, s, n.def.name === 'Embedding' ? 'int64' : 'float32'),
  );
  const pv: Record<string, ReturnType<Graph['input']>> = {};
  for (const p of n.params) pv[p.name] = g.input(`p:${p.name}`, p.shape, 'float32');
  const outs = n.def.lower({
    b: g,
    inputs: xs,
    attrs,
    params: pv,
    training: false,
    randomUniform: () => {
      throw new CompileError('export: randomness at inference');
    },
    randomNormal: () => {
      throw new CompileError('export: randomness at inference');
    },
    updateState: () => undefined,
  });
  outs.forEach((v, k) => g.output(`${body.tag}/y${k}`, v));
  g.prune();
  const m = toModel(g);
  const used = new Set((m.graph?.node ?? []).flatMap((x) => x.input ?? []));
  for (const p of n.params) if (used.has(`p:${p.name}`)) param(p.name, p.shape);
  for (const t of m.graph?.initializer ?? []) {
    const name = `${body.tag}/${t.name}`;
    body.consts.push({ name, t: { ...t, name } });
  }
  const rename = (nm: string) =>
    (m.graph?.initializer ?? []).some((t) => t.name === nm)
      ? `${body.tag}/${nm}`
      : nm.startsWith('v')
        ? `${body.tag}/${nm}`
        : nm;
  for (const x of m.graph?.node ?? [])
    body.nodes.push({
      ...x,
      input: (x.input ?? []).map(rename),
      output: (x.output ?? []).map(rename),
      name: undefined,
    });
  return outs.map((_, k) => `${body.tag}/y${k}`);
}

/** Serialized export model (see {@link buildExport}). */
export function exportModel(
  model: CheckedModel,
  params: ReadonlyMap<string, Float32Array>,
  opts: ExportOptions,
): Uint8Array {
  return onnx.ModelProto.encode(buildExport(model, params, opts).model).finish();
}
