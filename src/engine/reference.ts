/**
 * A hand-written StepProgram: an MLP (0 or more hidden layers, ReLU or tanh) trained with SGD
 * (optionally momentum) and global-norm clipping, on softmax cross-entropy (class ids) or MSE.
 * Forward, backward and update are spelled out in plain ONNX ops with onnx-proto, so the trainer
 * can be tested end to end independently of the compiler, and `dlm` can self-check the engine.
 * With no hidden layers and cross-entropy it is multinomial logistic regression.
 */
import { onnx } from 'onnx-proto';
import { Rng } from './rng';
import {
  STEP_PROGRAM_VERSION,
  type MetricOutput,
  type OptimizerStateTensor,
  type ParamTensor,
  type StepProgram,
} from './program';

export interface ReferenceOptions {
  /** Input features. */
  inputs: number;
  /** Classes (cross-entropy) or targets (MSE). */
  outputs: number;
  hidden?: readonly number[];
  activation?: 'relu' | 'tanh';
  loss?: 'cross_entropy' | 'mse';
  momentum?: number;
  seed?: number;
}

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

class Builder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly inits: onnx.ITensorProto[] = [];
  private n = 0;
  node(op: string, inputs: string[], attrs: onnx.IAttributeProto[] = [], out?: string): string {
    const o = out ?? `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [o],
      attribute: attrs,
      name: `n${this.nodes.length}`,
    });
    return o;
  }
  f32(values: readonly number[], shape: readonly number[] = []): string {
    const name = `c_${this.n++}`;
    this.inits.push({ name, dims: [...shape], dataType: T.FLOAT, floatData: [...values] });
    return name;
  }
  i64(values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = `c_${this.n++}`;
    this.inits.push({ name, dims: [...shape], dataType: T.INT64, int64Data: [...values] });
    return name;
  }
  tensor(name: string, shape: readonly number[], data: Float32Array): void {
    this.inits.push({
      name,
      dims: [...shape],
      dataType: T.FLOAT,
      rawData: new Uint8Array(
        data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      ),
    });
  }
}

const ai = (name: string, i: number): onnx.IAttributeProto => ({ name, type: A.INT, i });
const ais = (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints });

function vi(name: string, elem: number, dims: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elem,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function model(
  b: Builder,
  inputs: onnx.IValueInfoProto[],
  outputs: onnx.IValueInfoProto[],
): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'dlm-studio-reference',
      graph: {
        name: 'reference',
        node: b.nodes,
        initializer: b.inits,
        input: inputs,
        output: outputs,
      },
    }),
  ).finish();
}

export function referenceProgram(o: ReferenceOptions): StepProgram {
  const hidden = o.hidden ?? [16];
  const act = o.activation ?? 'relu';
  const lossKind = o.loss ?? 'cross_entropy';
  const momentum = o.momentum ?? 0;
  const dims = [o.inputs, ...hidden, o.outputs];
  const L = dims.length - 1;
  const rng = new Rng(o.seed ?? 0);

  const params: ParamTensor[] = [];
  for (let l = 1; l <= L; l++) {
    const fanIn = dims[l - 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    const w = new Float32Array(fanIn * dims[l]!);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-bound, bound);
    const bias = new Float32Array(dims[l]!);
    for (let i = 0; i < bias.length; i++) bias[i] = rng.uniform(-bound, bound);
    const layer = `Dense_${l}`;
    params.push({
      name: `W${l}`,
      shape: [fanIn, dims[l]!],
      init: w,
      output: `new/W${l}`,
      trainable: true,
      gradNorm: `grad_norm/W${l}`,
      layer,
    });
    params.push({
      name: `b${l}`,
      shape: [dims[l]!],
      init: bias,
      output: `new/b${l}`,
      trainable: true,
      gradNorm: `grad_norm/b${l}`,
      layer,
    });
  }
  const state: OptimizerStateTensor[] =
    momentum > 0
      ? params.map((p) => ({
          name: `${p.name}.v`,
          shape: p.shape,
          init: new Float32Array(p.init.length),
          output: `new/${p.name}.v`,
          param: p.name,
        }))
      : [];

  const ce = lossKind === 'cross_entropy';
  const yInput = ce ? vi('y', T.INT64, ['B']) : vi('y', T.FLOAT, ['B', o.outputs]);
  const paramInputs = params.map((p) => vi(p.name, T.FLOAT, [...p.shape]));
  const scalar = (n: string) => vi(n, T.FLOAT, []);

  /** Forward + loss + metrics; returns the names needed by the backward pass. */
  const forward = (b: Builder, withLoss: boolean) => {
    const zs: string[] = [];
    const as: string[] = ['x'];
    for (let l = 1; l <= L; l++) {
      const z = b.node(
        'Add',
        [b.node('MatMul', [as[l - 1]!, `W${l}`]), `b${l}`],
        [],
        l === L ? 'output' : undefined,
      );
      zs.push(z);
      as.push(l < L ? b.node(act === 'relu' ? 'Relu' : 'Tanh', [z]) : z);
    }
    const logits = zs[L - 1]!;
    if (!withLoss) return { zs, as, logits, dlogits: '', metrics: [] as MetricOutput[] };
    const bf = b.node(
      'Cast',
      [b.node('Gather', [b.node('Shape', ['x']), b.i64([0], [])], [ai('axis', 0)])],
      [ai('to', T.FLOAT)],
    );
    let dlogits: string;
    const metrics: MetricOutput[] = [];
    if (ce) {
      const oh = b.node(
        'OneHot',
        ['y', b.i64([o.outputs], []), b.f32([0, 1], [2])],
        [ai('axis', -1)],
      );
      const lsm = b.node('LogSoftmax', [logits], [ai('axis', -1)]);
      const per = b.node('ReduceSum', [b.node('Mul', [oh, lsm]), b.i64([1])], [ai('keepdims', 0)]);
      b.node('Neg', [b.node('ReduceMean', [per], [ai('keepdims', 0)])], [], 'loss');
      dlogits = b.node('Div', [
        b.node('Sub', [b.node('Softmax', [logits], [ai('axis', -1)]), oh]),
        bf,
      ]);
      const pred = b.node('ArgMax', [logits], [ai('axis', 1), ai('keepdims', 0)]);
      b.node(
        'ReduceSum',
        [b.node('Cast', [b.node('Equal', [pred, 'y'])], [ai('to', T.FLOAT)])],
        [ai('keepdims', 0)],
        'correct',
      );
      metrics.push({ name: 'accuracy', output: 'correct', reduce: 'sum' });
    } else {
      const diff = b.node('Sub', [logits, 'y']);
      b.node('ReduceMean', [b.node('Mul', [diff, diff])], [ai('keepdims', 0)], 'loss');
      dlogits = b.node('Div', [
        b.node('Mul', [diff, b.f32([2])]),
        b.node('Mul', [bf, b.f32([o.outputs])]),
      ]);
      b.node('ReduceMean', [b.node('Abs', [diff])], [ai('keepdims', 0)], 'mae');
      metrics.push({ name: 'mae', output: 'mae', reduce: 'mean' });
    }
    return { zs, as, logits, dlogits, metrics };
  };

  const metricOutputs = (ms: readonly MetricOutput[]) => ms.map((m) => scalar(m.output));

  // Step graph.
  const sb = new Builder();
  const f = forward(sb, true);
  const grads = new Map<string, string>();
  let dz = f.dlogits;
  for (let l = L; l >= 1; l--) {
    grads.set(
      `W${l}`,
      sb.node('MatMul', [sb.node('Transpose', [f.as[l - 1]!], [ais('perm', [1, 0])]), dz]),
    );
    grads.set(`b${l}`, sb.node('ReduceSum', [dz, sb.i64([0])], [ai('keepdims', 0)]));
    if (l > 1) {
      const da = sb.node('MatMul', [dz, sb.node('Transpose', [`W${l}`], [ais('perm', [1, 0])])]);
      const deriv =
        act === 'relu'
          ? sb.node('Cast', [sb.node('Greater', [f.zs[l - 2]!, sb.f32([0])])], [ai('to', T.FLOAT)])
          : sb.node('Sub', [sb.f32([1]), sb.node('Mul', [f.as[l - 1]!, f.as[l - 1]!])]);
      dz = sb.node('Mul', [da, deriv]);
    }
  }
  const squares: string[] = [];
  for (const p of params) {
    const sq = sb.node('ReduceSumSquare', [grads.get(p.name)!], [ai('keepdims', 0)]);
    squares.push(sq);
    sb.node('Sqrt', [sq], [], p.gradNorm);
  }
  const gnorm = sb.node('Sqrt', [sb.node('Sum', squares)], [], 'grad_norm');
  const scale = sb.node('Min', [
    sb.f32([1]),
    sb.node('Div', ['clip', sb.node('Add', [gnorm, sb.f32([1e-6])])]),
  ]);
  for (const p of params) {
    let g = sb.node('Mul', [grads.get(p.name)!, scale]);
    if (momentum > 0)
      g = sb.node(
        'Add',
        [sb.node('Mul', [`${p.name}.v`, sb.f32([momentum])]), g],
        [],
        `new/${p.name}.v`,
      );
    sb.node('Sub', [p.name, sb.node('Mul', ['lr', g])], [], p.output);
  }
  const stepBytes = model(
    sb,
    [
      vi('x', T.FLOAT, ['B', o.inputs]),
      yInput,
      ...paramInputs,
      ...state.map((s) => vi(s.name, T.FLOAT, [...s.shape])),
      scalar('lr'),
      scalar('clip'),
    ],
    [
      scalar('loss'),
      ...metricOutputs(f.metrics),
      scalar('grad_norm'),
      ...params.map((p) => scalar(p.gradNorm!)),
      ...params.map((p) => vi(p.output, T.FLOAT, [...p.shape])),
      ...state.map((s) => vi(s.output, T.FLOAT, [...s.shape])),
    ],
  );

  // Eval graph.
  const eb = new Builder();
  const ef = forward(eb, true);
  const evalBytes = model(
    eb,
    [vi('x', T.FLOAT, ['B', o.inputs]), yInput, ...paramInputs],
    [scalar('loss'), ...metricOutputs(ef.metrics)],
  );

  const desc = `MLP ${dims.join('→')} (${L > 1 ? act : 'linear'}), ${ce ? 'softmax cross-entropy' : 'MSE'}, SGD${momentum > 0 ? `(momentum=${momentum})` : ''}`;
  return {
    version: STEP_PROGRAM_VERSION,
    description: desc,
    batchAxis: 'dynamic',
    inputs: {
      x: { name: 'x', dtype: 'float32', sampleShape: [o.inputs] },
      y: ce
        ? { name: 'y', dtype: 'int64', sampleShape: [] }
        : { name: 'y', dtype: 'float32', sampleShape: [o.outputs] },
    },
    params,
    state,
    hyper: [
      { name: 'lr', role: 'lr' },
      { name: 'clip', role: 'clip' },
    ],
    step: { graph: () => stepBytes, loss: 'loss', metrics: f.metrics, gradNorm: 'grad_norm' },
    eval: { graph: () => evalBytes, loss: 'loss', metrics: ef.metrics },
    exportGraph(values) {
      const xb = new Builder();
      for (const p of params) xb.tensor(p.name, p.shape, values.get(p.name) ?? p.init);
      forward(xb, false);
      return model(
        xb,
        [vi('x', T.FLOAT, ['B', o.inputs])],
        [vi('output', T.FLOAT, ['B', o.outputs])],
      );
    },
  };
}
