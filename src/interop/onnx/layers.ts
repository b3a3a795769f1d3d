/**
 * Which catalog layer one ONNX node is, with its attributes and where each of the layer's
 * parameters comes from. The graph (shapes, params, MACs of the node: the layer's own rule) and
 * the importer (the `.dlm` call and the weights) both read this table, so a mapping is written
 * once. Multi-node patterns (MatMul + Add, the LSTM layout transposes) are in ./import.ts.
 *
 * A node maps only when the layer means exactly what the node computes (symmetric pads, Gemm
 * without scaling, Clip with constant bounds, …); otherwise `layerOf` returns undefined and the
 * node keeps ONNX's shape rule.
 */
import { Dim, type Shape } from '../../core';
import { countParams, getLayer, runLayer } from '../../layers/catalog';
import type { AttrValue } from '../../layers/types';
import type { OnnxAttrValue, OnnxNode, OnnxValue, Widen } from './graph';

/** How a layer parameter is read from an ONNX initializer. */
export type ParamTransform =
  | 'none'
  /** A 2-D matrix transposed (Gemm transB=0, MatMul: [in, out] → [out, in]). */
  | 'transpose'
  /** ONNX recurrent W/R [dirs, G·H, …] for one direction, gates reordered to PyTorch's. */
  | { readonly kind: 'rnn-weight'; readonly op: 'LSTM' | 'GRU' | 'RNN'; readonly dir: number }
  /** ONNX recurrent B [dirs, 2·G·H]: half 0 (Wb → bias_ih) or 1 (Rb → bias_hh). */
  | {
      readonly kind: 'rnn-bias';
      readonly op: 'LSTM' | 'GRU' | 'RNN';
      readonly dir: number;
      readonly half: number;
    };

export interface ParamSource {
  /** The layer's parameter name (weight, bias, running_mean, weight_ih_l0, …). */
  readonly param: string;
  /** The ONNX initializer. */
  readonly from: string;
  readonly transform: ParamTransform;
}

export interface LayerMapping {
  /** Catalog layer name. */
  readonly layer: string;
  /** Attributes to write in the .dlm call (only the ones that differ from the defaults). */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** The index of the node input that is the layer's (first) data input. */
  readonly dataInputs: readonly number[];
  readonly params: readonly ParamSource[];
  /** The node's first output as the layer computes it (in the node's layout). */
  readonly output: Shape;
  readonly macs: Dim;
  readonly trainable: number;
  readonly buffers: number;
  /** Every output (a `dlm export` function of a layer with several outputs). */
  readonly outputs?: readonly Shape[];
  /** Layer parameters no initializer of the node gives in a form the importer reads. */
  readonly missing?: readonly string[];
}

type Ins = readonly (OnnxValue | undefined)[];

function attr<T extends OnnxAttrValue>(n: OnnxNode, name: string, d: T): Widen<T> {
  return (n.attrs.has(name) ? n.attrs.get(name) : d) as Widen<T>;
}

const isInit = (v: OnnxValue | undefined) => v?.initializer === true;
const dims = (v: OnnxValue | undefined) => (v?.shape ?? []).map((d) => d.value ?? -1);
const tuple = (xs: readonly number[]): AttrValue => (xs.every((x) => x === xs[0]) ? xs[0]! : xs);
const allEq = (xs: readonly number[], v: number) => xs.every((x) => x === v);

/** Symmetric ONNX pads [b1, b2, …, e1, e2, …] → per-axis padding, else undefined. */
function symmetricPads(n: OnnxNode, rank: number): number[] | undefined {
  const autoPad = attr(n, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return Array.from({ length: rank }, () => 0);
  if (autoPad !== 'NOTSET' && autoPad !== '') return undefined;
  const pads = attr<number[]>(
    n,
    'pads',
    Array.from({ length: 2 * rank }, () => 0),
  );
  const b = pads.slice(0, rank);
  const e = pads.slice(rank);
  return b.every((x, i) => x === e[i]) ? b : undefined;
}

/** Conv1d's `padding="causal"`: (k − 1)·d zeros before the sequence, none after. */
function isCausal(n: OnnxNode, k: number, d: number): boolean {
  const pads = attr<number[] | undefined>(n, 'pads', undefined);
  const autoPad = attr(n, 'auto_pad', 'NOTSET');
  return (
    (autoPad === 'NOTSET' || autoPad === '') &&
    pads?.length === 2 &&
    pads[0] === (k - 1) * d &&
    pads[0] > 0 &&
    pads[1] === 0
  );
}

const PERM_TO_TORCH: Record<'LSTM' | 'GRU' | 'RNN', readonly number[]> = {
  // ONNX gate blocks → PyTorch order. LSTM: ONNX (i, o, f, c) → PyTorch (i, f, g, o).
  LSTM: [0, 2, 3, 1],
  // GRU: ONNX (z, r, h) → PyTorch (r, z, n).
  GRU: [1, 0, 2],
  RNN: [0],
};
export const RNN_GATE_ORDER = PERM_TO_TORCH;

/**
 * The catalog layer for one node (with the mapping's attributes, output, params and MACs from
 * the layer's rule), or undefined when the node is no single layer.
 */
export function layerOf(n: OnnxNode, ins: Ins, opset: number): LayerMapping | undefined {
  const m = candidate(n, ins, opset);
  if (!m) return undefined;
  // A weight read through an Identity (shared) comes from the initializer itself.
  m.params = m.params.map((q) => {
    const k = n.inputs.indexOf(q.from);
    const alias = k >= 0 ? ins[k]?.aliasOf : undefined;
    return alias ? { ...q, from: alias } : q;
  });
  const def = getLayer(m.layer)!;
  const shapes = m.inShapes ?? m.dataInputs.map((i) => ins[i]!.shape!);
  const run = runLayer(def, shapes, [], m.attrs);
  if (!run.result) return undefined;
  const { trainable, nonTrainable } = countParams(run.result);
  // The layer's parameters must be exactly the ones the node reads.
  const specs = new Map(run.result.params.map((p) => [p.name, p.shape]));
  if (specs.size !== m.params.length || m.params.some((p) => !specs.has(p.param))) return undefined;
  return {
    layer: m.layer,
    attrs: m.attrs,
    dataInputs: m.dataInputs,
    params: m.params,
    output: m.output ?? run.result.outputs[0]!,
    macs: run.result.macs,
    trainable,
    buffers: nonTrainable,
  };
}

interface Candidate {
  layer: string;
  attrs: Record<string, AttrValue>;
  dataInputs: number[];
  params: ParamSource[];
  inShapes?: Shape[];
  output?: Shape;
}

const p = (param: string, from: string, transform: ParamTransform = 'none'): ParamSource => ({
  param,
  from,
  transform,
});

const SIMPLE: Record<string, string> = {
  Relu: 'ReLU',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  HardSwish: 'Hardswish',
  Mish: 'Mish',
  Identity: 'Identity',
};

function candidate(n: OnnxNode, ins: Ins, opset: number): Candidate | undefined {
  const x = ins[0];
  const rank = x?.shape?.length ?? 0;
  const op = n.opType;
  if (SIMPLE[op]) return { layer: SIMPLE[op]!, attrs: {}, dataInputs: [0], params: [] };
  switch (op) {
    case 'Dropout': {
      // The identity at inference (training_mode false); the ratio is the layer's p. A mask
      // output that is read stops the import (one output per layer).
      const ratio = opset >= 12 ? (n.inputs[1] ? ins[1]?.floats?.[0] : 0.5) : attr(n, 'ratio', 0.5);
      if (ratio === undefined || ratio < 0 || ratio >= 1) return undefined;
      return {
        layer: 'Dropout',
        attrs: ratio === 0.5 ? {} : { p: +ratio.toPrecision(6) },
        dataInputs: [0],
        params: [],
      };
    }
    case 'LeakyRelu':
      return {
        layer: 'LeakyReLU',
        attrs: { alpha: attr(n, 'alpha', 0.01) },
        dataInputs: [0],
        params: [],
      };
    case 'Elu':
      return { layer: 'ELU', attrs: { alpha: attr(n, 'alpha', 1) }, dataInputs: [0], params: [] };
    case 'Softplus':
      return { layer: 'Softplus', attrs: {}, dataInputs: [0], params: [] };
    case 'HardSigmoid':
      // PyTorch's Hardsigmoid is relu6(x + 3)/6: ONNX alpha 1/6, beta 0.5.
      if (Math.abs(attr(n, 'alpha', 0.2) - 1 / 6) > 1e-6 || attr(n, 'beta', 0.5) !== 0.5)
        return undefined;
      return { layer: 'Hardsigmoid', attrs: {}, dataInputs: [0], params: [] };
    case 'Softmax':
    case 'LogSoftmax': {
      if (opset < 13) return undefined; // before 13 Softmax flattened the trailing axes
      return {
        layer: op === 'Softmax' ? 'Softmax' : 'LogSoftmax',
        attrs: { axis: attr(n, 'axis', -1) },
        dataInputs: [0],
        params: [],
      };
    }
    case 'Clip': {
      const lo =
        opset >= 11 ? (n.inputs[1] ? ins[1]?.floats?.[0] : -Infinity) : attr(n, 'min', -Infinity);
      const hi =
        opset >= 11 ? (n.inputs[2] ? ins[2]?.floats?.[0] : Infinity) : attr(n, 'max', Infinity);
      if (lo === undefined || hi === undefined) return undefined;
      if (lo === 0 && hi === 6) return { layer: 'ReLU6', attrs: {}, dataInputs: [0], params: [] };
      if (lo === 0 && hi === Infinity)
        return { layer: 'ReLU', attrs: {}, dataInputs: [0], params: [] };
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
      return { layer: 'Hardtanh', attrs: { min: lo, max: hi }, dataInputs: [0], params: [] };
    }
    case 'PRelu': {
      const s = ins[1];
      if (!isInit(s) || rank < 2) return undefined;
      const count = dims(s).reduce((a, b) => a * b, 1);
      const c = x!.shape![1]!.value;
      if (count !== 1 && count !== c) return undefined;
      // A per-channel slope [C, 1, 1] for NCHW.
      return {
        layer: 'PReLU',
        attrs: count === 1 ? {} : { num_parameters: count },
        dataInputs: [0],
        params: [p('weight', n.inputs[1]!)],
      };
    }
    case 'Conv':
    case 'ConvTranspose': {
      const w = ins[1];
      if (!isInit(w) || rank < 3 || rank > 5) return undefined;
      const r = rank - 2;
      if (op === 'ConvTranspose' && r > 2) return undefined;
      const wd = dims(w);
      const k = attr<number[]>(n, 'kernel_shape', wd.slice(2));
      const s = attr<number[]>(
        n,
        'strides',
        k.map(() => 1),
      );
      const d = attr<number[]>(
        n,
        'dilations',
        k.map(() => 1),
      );
      const g = attr(n, 'group', 1);
      const transposed = op === 'ConvTranspose';
      const causal = !transposed && r === 1 && isCausal(n, k[0]!, d[0]!);
      const pads = causal ? [0] : symmetricPads(n, r);
      if (!pads) return undefined;
      if (transposed && attr<number[] | undefined>(n, 'output_shape', undefined)) return undefined;
      const out = transposed ? wd[1]! * g : wd[0]!;
      const attrs: Record<string, AttrValue> = { out, kernel: tuple(k) };
      if (!allEq(s, 1)) attrs['stride'] = tuple(s);
      if (causal) attrs['padding'] = 'causal';
      else if (!allEq(pads, 0)) attrs['padding'] = tuple(pads);
      if (!allEq(d, 1)) attrs['dilation'] = tuple(d);
      if (g !== 1) attrs['groups'] = g;
      const op2 = attr<number[]>(
        n,
        'output_padding',
        k.map(() => 0),
      );
      if (transposed && !allEq(op2, 0)) attrs['output_padding'] = tuple(op2);
      if (!n.inputs[2]) attrs['bias'] = false;
      else if (!isInit(ins[2])) return undefined;
      const params = [p('weight', n.inputs[1]!)];
      if (n.inputs[2]) params.push(p('bias', n.inputs[2]));
      return {
        layer: `${transposed ? 'ConvTranspose' : 'Conv'}${r}d`,
        attrs,
        dataInputs: [0],
        params,
      };
    }
    case 'BatchNormalization': {
      if (rank < 2 || rank > 4 || n.outputs.length > 1) return undefined;
      if (attr(n, 'training_mode', 0) !== 0) return undefined;
      if (![1, 2, 3, 4].every((i) => isInit(ins[i]))) return undefined;
      const eps = attr(n, 'epsilon', 1e-5);
      return {
        layer: rank === 4 ? 'BatchNorm2d' : 'BatchNorm1d',
        attrs: Math.abs(eps - 1e-5) > 1e-12 ? { eps: +eps.toPrecision(6) } : {},
        dataInputs: [0],
        params: [
          p('weight', n.inputs[1]!),
          p('bias', n.inputs[2]!),
          p('running_mean', n.inputs[3]!),
          p('running_var', n.inputs[4]!),
        ],
      };
    }
    case 'LayerNormalization': {
      const axis = attr(n, 'axis', -1);
      const a = axis < 0 ? axis + rank : axis;
      if (rank < 2 || a < 1 || !isInit(ins[1])) return undefined;
      const shape = x!.shape!.slice(a).map((d) => d.value ?? -1);
      if (shape.some((v) => v < 0)) return undefined;
      const eps = attr(n, 'epsilon', 1e-5);
      const attrs: Record<string, AttrValue> = { shape: tuple(shape) };
      if (Math.abs(eps - 1e-5) > 1e-12) attrs['eps'] = +eps.toPrecision(6);
      if (!n.inputs[2]) return undefined; // LayerNorm's affine has both γ and β
      return {
        layer: 'LayerNorm',
        attrs,
        dataInputs: [0],
        params: [p('weight', n.inputs[1]!), p('bias', n.inputs[2]!)],
      };
    }
    case 'MaxPool':
    case 'AveragePool': {
      if (rank !== 3 && rank !== 4) return undefined;
      if (n.outputs.length > 1) return undefined;
      const r = rank - 2;
      const k = attr<number[]>(n, 'kernel_shape', []);
      const s = attr<number[]>(
        n,
        'strides',
        k.map(() => 1),
      );
      const pads = symmetricPads(n, r);
      if (!pads) return undefined;
      const attrs: Record<string, AttrValue> = { kernel: tuple(k), stride: tuple(s) };
      if (!allEq(pads, 0)) attrs['padding'] = tuple(pads);
      if (attr(n, 'ceil_mode', 0)) attrs['ceil_mode'] = true;
      if (op === 'MaxPool') {
        const d = attr<number[]>(
          n,
          'dilations',
          k.map(() => 1),
        );
        if (!allEq(d, 1)) attrs['dilation'] = tuple(d);
        if (attr(n, 'storage_order', 0) !== 0) return undefined;
      } else if (!allEq(pads, 0))
        attrs['count_include_pad'] = attr(n, 'count_include_pad', 0) === 1;
      return {
        layer: `${op === 'MaxPool' ? 'MaxPool' : 'AvgPool'}${r}d`,
        attrs,
        dataInputs: [0],
        params: [],
      };
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      // PyTorch's AdaptiveAvgPool2d(1) exports as GlobalAveragePool; read it back as written.
      if (op === 'GlobalAveragePool' && rank === 4)
        return { layer: 'AdaptiveAvgPool2d', attrs: { output: 1 }, dataInputs: [0], params: [] };
      return {
        layer: op === 'GlobalAveragePool' ? 'GlobalAvgPool' : 'GlobalMaxPool',
        attrs: { keepdims: true },
        dataInputs: [0],
        params: [],
      };
    case 'Flatten': {
      if (attr(n, 'axis', 1) !== 1 || rank < 2) return undefined;
      return { layer: 'Flatten', attrs: {}, dataInputs: [0], params: [] };
    }
    case 'Gemm': {
      if (attr(n, 'transA', 0) || attr(n, 'alpha', 1) !== 1 || attr(n, 'beta', 1) !== 1)
        return undefined;
      const b = ins[1];
      if (!isInit(b) || dims(b).length !== 2) return undefined;
      const transB = attr(n, 'transB', 0) === 1;
      const out = transB ? dims(b)[0]! : dims(b)[1]!;
      const params = [p('weight', n.inputs[1]!, transB ? 'none' : 'transpose')];
      const c = ins[2];
      if (n.inputs[2]) {
        if (!isInit(c) || dims(c).length !== 1 || dims(c)[0] !== out) return undefined;
        params.push(p('bias', n.inputs[2]));
      }
      return {
        layer: 'Dense',
        attrs: n.inputs[2] ? { out } : { out, bias: false },
        dataInputs: [0],
        params,
      };
    }
    case 'MatMul': {
      const b = ins[1];
      if (!isInit(b) || dims(b).length !== 2 || isInit(x)) return undefined;
      return {
        layer: 'Dense',
        attrs: { out: dims(b)[1]!, bias: false },
        dataInputs: [0],
        params: [p('weight', n.inputs[1]!, 'transpose')],
      };
    }
    case 'Gather': {
      const table = ins[0];
      if (!isInit(table) || table!.elem !== 'float' || dims(table).length !== 2) return undefined;
      if (attr(n, 'axis', 0) !== 0 || !ins[1]?.shape || ins[1].initializer) return undefined;
      const [vocab, dim] = dims(table) as [number, number];
      return {
        layer: 'Embedding',
        attrs: { vocab, dim },
        dataInputs: [1],
        params: [p('weight', n.inputs[0]!)],
      };
    }
    case 'Add':
    case 'Mul': {
      if (!ins[0]?.shape || !ins[1]?.shape || isInit(ins[0]) || isInit(ins[1])) return undefined;
      if (ins[0].data || ins[1].data) return undefined; // shape arithmetic
      // Same rank; a broadcast (squeeze-excite's [B, C, 1, 1] gate) is the layer's own rule.
      if (ins[0].shape.length !== ins[1].shape.length) return undefined;
      return {
        layer: op === 'Add' ? 'Add' : 'Multiply',
        attrs: {},
        dataInputs: [0, 1],
        params: [],
      };
    }
    case 'Concat': {
      if (n.inputs.length < 2 || ins.some((v) => !v?.shape || isInit(v) || v.data))
        return undefined;
      const axis = attr(n, 'axis', 0);
      const a = axis < 0 ? axis + rank : axis;
      if (a < 1) return undefined; // the batch axis
      return {
        layer: 'Concat',
        attrs: { axis: a },
        dataInputs: n.inputs.map((_, i) => i),
        params: [],
      };
    }
    case 'LSTM':
    case 'GRU':
    case 'RNN': {
      // ONNX layout [T, N, F] (layout=0); the layer is batch first, so its input is transposed.
      if (attr(n, 'layout', 0) !== 0 || !x?.shape || rank !== 3) return undefined;
      if (n.inputs[4] && n.inputs[4] !== '') return undefined; // sequence_lens
      if (attr<number[] | undefined>(n, 'activations', undefined) && op !== 'RNN') return undefined;
      if (attr(n, 'clip', 0) || attr(n, 'input_forget', 0)) return undefined;
      if (op === 'GRU' && attr(n, 'linear_before_reset', 0) !== 1) return undefined;
      if (op === 'RNN') {
        const acts = attr<string[]>(n, 'activations', ['Tanh']);
        if (!acts.every((a) => a === acts[0]) || !['Tanh', 'Relu'].includes(acts[0]!))
          return undefined;
      }
      const h = attr(n, 'hidden_size', 0);
      const bidir = attr(n, 'direction', 'forward');
      if (bidir === 'reverse') return undefined;
      const dirs = bidir === 'bidirectional' ? 2 : 1;
      if (!isInit(ins[1]) || !isInit(ins[2]) || (n.inputs[3] && !isInit(ins[3]))) return undefined;
      const layer = op === 'RNN' ? 'SimpleRNN' : op;
      const attrs: Record<string, AttrValue> = { hidden: h };
      if (dirs === 2) attrs['bidirectional'] = true;
      if (!n.inputs[3]) attrs['bias'] = false;
      if (op === 'RNN' && attr<string[]>(n, 'activations', ['Tanh'])[0] === 'Relu')
        attrs['nonlinearity'] = 'relu';
      const params: ParamSource[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const sfx = `_l0${dir === 1 ? '_reverse' : ''}`;
        params.push(p(`weight_ih${sfx}`, n.inputs[1]!, { kind: 'rnn-weight', op, dir }));
        params.push(p(`weight_hh${sfx}`, n.inputs[2]!, { kind: 'rnn-weight', op, dir }));
        if (n.inputs[3]) {
          params.push(p(`bias_ih${sfx}`, n.inputs[3], { kind: 'rnn-bias', op, dir, half: 0 }));
          params.push(p(`bias_hh${sfx}`, n.inputs[3], { kind: 'rnn-bias', op, dir, half: 1 }));
        }
      }
      const [t, b, f] = x.shape;
      return {
        layer,
        attrs,
        dataInputs: [0],
        params,
        inShapes: [[b!, t!, f!]],
        output: [t!, Dim.const(dirs), b!, Dim.const(h)],
      };
    }
    default:
      return undefined;
  }
}

/**
 * A model-local function that `dlm export` wrote for a multi-operator layer (domain `dlm.layers`,
 * op type `<Layer>_<node>`, the layer call in the node's doc_string): that layer again, its
 * parameters read from the initializers the node passes (`<node>.<param>`, or the recurrent
 * weights in ONNX's layout `<node>.W_l0`, `R_l0`, `B_l0`). Undefined when the call does not parse
 * or its shape rule rejects the inputs.
 */
export function functionLayerOf(n: OnnxNode, ins: Ins): LayerMapping | undefined {
  const layer = n.opType.split('_')[0]!;
  const def = getLayer(layer);
  const call = n.doc ? parseCall(n.doc) : undefined;
  if (!def || !call || call.name !== layer) return undefined;
  // The call's inputs, then the parameters it reads (initializers; a learned tensor passed as an
  // input is an Identity of one, `aliasOf`).
  const data = ins.findIndex((v) => v?.initializer && !v.aliasOf);
  const shapes = ins.slice(0, data < 0 ? ins.length : data).map((v) => v!.shape!);
  let run;
  try {
    run = runLayer(def, shapes, call.positional, call.keyword);
  } catch {
    return undefined;
  }
  if (!run.result) return undefined;
  const attrs: Record<string, AttrValue> = { ...call.keyword };
  call.positional.forEach((v, i) => {
    const a = def.positional[i];
    if (a) attrs[a] = v;
  });
  const given = new Set(n.inputs);
  const params: ParamSource[] = [];
  const missing: string[] = [];
  const op = layer === 'SimpleRNN' ? 'RNN' : layer;
  // `tie=embed`: the weight is the shared layer's (`embed.weight`, or `<block>.embed.weight`).
  const tie = typeof attrs['tie'] === 'string' ? attrs['tie'] : undefined;
  const tied = tie
    ? n.inputs.find((i) => i === `${tie}.weight` || i.endsWith(`.${tie}.weight`))
    : undefined;
  for (const spec of run.result.params) {
    const direct = `${n.name}.${spec.name}`;
    const rnn = /^(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$/.exec(spec.name);
    if (given.has(direct)) params.push(p(spec.name, direct));
    else if (spec.name === 'weight' && tied) params.push(p(spec.name, tied));
    else if (rnn && (op === 'LSTM' || op === 'GRU' || op === 'RNN')) {
      const [, kind, which, l, rev] = rnn;
      const dir = rev ? 1 : 0;
      const from = `${n.name}.${kind === 'bias' ? 'B' : which === 'ih' ? 'W' : 'R'}_l${l}`;
      if (!given.has(from)) missing.push(spec.name);
      else
        params.push(
          p(
            spec.name,
            from,
            kind === 'bias'
              ? { kind: 'rnn-bias', op, dir, half: which === 'ih' ? 0 : 1 }
              : { kind: 'rnn-weight', op, dir },
          ),
        );
    } else missing.push(spec.name);
  }
  const { trainable, nonTrainable } = countParams(run.result);
  return {
    layer,
    attrs,
    dataInputs: shapes.map((_, i) => i),
    params,
    output: run.result.outputs[0]!,
    outputs: run.result.outputs,
    macs: run.result.macs,
    trainable,
    buffers: nonTrainable,
    ...(missing.length ? { missing } : {}),
  };
}

/**
 * A node of a file `dlm export` wrote whose doc_string is the call of its layer (`Flatten(start=2)`
 * on a Reshape, `Permute((0, 2, 1))` on a Transpose, `AdaptiveAvgPool2d(6)` on an AveragePool of
 * that size; a shared layer's is `name: Call`): that layer, when the node maps to no layer or to
 * another one (`native`), the layer's rule on the node's data inputs gives the node's output, and
 * its parameters are exactly the native mapping's. The same trust as for the `dlm.layers`
 * functions, whose layer is their doc_string too; a file from anywhere else is read by its ops.
 */
export function docLayerOf(
  n: OnnxNode,
  ins: Ins,
  native: LayerMapping | undefined,
  output: Shape | undefined,
): LayerMapping | undefined {
  const call = n.doc ? parseCall(n.doc.replace(/^[A-Za-z_][\w.#]*:\s+/, '')) : undefined;
  const def = call ? getLayer(call.name) : undefined;
  if (!call || !def || !output || call.name === native?.layer) return undefined;
  const dataInputs =
    native?.dataInputs ??
    ins.flatMap((v, i) => (v?.shape && !(v.initializer && !v.aliasOf) ? [i] : []));
  let run;
  try {
    run = runLayer(
      def,
      dataInputs.map((i) => ins[i]!.shape!),
      call.positional,
      call.keyword,
    );
  } catch {
    return undefined;
  }
  const out = run.result?.outputs[0];
  if (
    !run.result ||
    !out ||
    out.length !== output.length ||
    !out.every((d, i) => d.equals(output[i]!))
  )
    return undefined;
  const params = native?.params ?? [];
  const names = run.result.params.map((q) => q.name);
  if (names.length !== params.length || params.some((q) => !names.includes(q.param)))
    return undefined;
  const attrs: Record<string, AttrValue> = { ...call.keyword };
  call.positional.forEach((v, i) => {
    const a = def.positional[i];
    if (a) attrs[a] = v;
  });
  const { trainable, nonTrainable } = countParams(run.result);
  return {
    layer: def.name,
    attrs,
    dataInputs,
    params,
    output: out,
    macs: run.result.macs,
    trainable,
    buffers: nonTrainable,
  };
}

/** `Layer(1, (2, 3), name="s", flag=true)` → its name, positional and keyword values. */
export function parseCall(
  text: string,
): { name: string; positional: AttrValue[]; keyword: Record<string, AttrValue> } | undefined {
  const m = /^\s*([A-Za-z_]\w*)\s*(?:\((.*)\))?\s*$/s.exec(text);
  if (!m) return undefined;
  const positional: AttrValue[] = [];
  const keyword: Record<string, AttrValue> = {};
  const parts = splitTop(m[2] ?? '');
  if (!parts) return undefined;
  for (const part of parts) {
    const kw = /^\s*([A-Za-z_]\w*)\s*=(.*)$/s.exec(part);
    const v = parseValue(kw ? kw[2]! : part);
    if (v === undefined) return undefined;
    if (kw) keyword[kw[1]!] = v;
    else if (Object.keys(keyword).length) return undefined;
    else positional.push(v);
  }
  return { name: m[1]!, positional, keyword };
}

function splitTop(s: string): string[] | undefined {
  if (s.trim() === '') return [];
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === '"') quote = false;
    } else if (c === '"') quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return undefined;
  }
  out.push(s.slice(start));
  return quote || depth ? undefined : out;
}

function parseValue(s: string): AttrValue | undefined {
  const t = s.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  // A bare name (`tie=embed`) is stored as its string, as the language stores it.
  if (/^[A-Za-z_]\w*$/.test(t)) return t;
  if (/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
  if (t.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(t);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  if (t.startsWith('(') && t.endsWith(')')) {
    const items = splitTop(t.slice(1, -1))?.map(parseValue);
    if (!items || items.some((v) => v === undefined || Array.isArray(v))) return undefined;
    return items as number[];
  }
  return undefined;
}
