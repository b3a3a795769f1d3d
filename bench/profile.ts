/**
 * onnxruntime's own profiler over a benchmark model's training step: kernel time per op type and
 * per node, and the matrix products' FLOPs and rate. Shares of the kernel time are what a
 * profile proves on a shared machine (the load stretches all kernels alike); absolute times are
 * not. Used by bench/lenet-profile.ts (prints the full profile) and bench/train.bench.ts (states
 * the measured reason of each missed target).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { benchProgram, type BenchProgram } from './programs';

export interface ProfileSpec {
  readonly model: string;
  readonly batch: number;
  readonly sample: number[];
  readonly classes: number;
  readonly targetShape: number[];
}

export interface NodeProfile {
  readonly name: string;
  readonly op: string;
  /** Kernel time per step (ms). */
  readonly ms: number;
  /** Input shapes as printed, e.g. `[32,128] [512,128]`. */
  readonly shapes: string;
  /** 2·M·N·K for Gemm and MatMul nodes, else 0. */
  readonly flops: number;
  /** Input and output shapes (one array per input or output, in order). */
  readonly inShapes: number[][];
  readonly outShapes: number[][];
}

export interface StepProfile {
  /** Wall time per step with the profiler on (ms). */
  readonly wallMs: number;
  /** Sum of kernel times per step (ms). */
  readonly kernelMs: number;
  readonly nodes: NodeProfile[];
  /** Per op type: kernel time per step (ms), node count; slowest first. */
  readonly byOp: { op: string; ms: number; nodes: number }[];
  /** The graph as onnxruntime optimized it (its node names are the profile's), if asked for. */
  readonly optimized?: Uint8Array;
}

/** The benchmark models as the profiler and bench/train.bench.ts build them. */
export const PROFILE_SPECS: Record<'lenet' | 'charlstm' | 'mlp', ProfileSpec> = {
  lenet: { model: 'LeNet', batch: 64, sample: [1, 28, 28], classes: 10, targetShape: [] },
  charlstm: { model: 'CharLSTM', batch: 32, sample: [64], classes: 64, targetShape: [64] },
  mlp: { model: 'MLP', batch: 128, sample: [784], classes: 10, targetShape: [] },
};

/**
 * Seeded feeds for one training step of a bench program: inputs (ids `(i·idStride) mod classes`
 * for an int64 input, else uniform in [−1, 1)), class targets, initial parameters and optimizer
 * state, and the learning rate.
 */
export function stepFeeds(
  prog: BenchProgram['prog'],
  spec: ProfileSpec,
  idStride = 1,
): Record<string, ort.Tensor> {
  let s = 1;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const feeds: Record<string, ort.Tensor> = {};
  const { batch, sample, classes, targetShape } = spec;
  const nx = batch * sample.reduce((a, b) => a * b, 1);
  feeds[prog.inputs.x.name] =
    prog.inputs.x.dtype === 'int64'
      ? new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: nx }, (_, i) => BigInt((i * idStride) % classes)),
          [batch, ...sample],
        )
      : new ort.Tensor('float32', Float32Array.from({ length: nx }, rnd), [batch, ...sample]);
  const ny = batch * targetShape.reduce((a, b) => a * b, 1);
  feeds[prog.inputs.y!.name] = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: ny }, (_, i) => BigInt((i * 7) % classes)),
    [batch, ...targetShape],
  );
  for (const p of prog.params) feeds[p.name] = new ort.Tensor('float32', p.init, [...p.shape]);
  for (const st of prog.state) feeds[st.name] = new ort.Tensor('float32', st.init, [...st.shape]);
  feeds.lr = new ort.Tensor('float32', Float32Array.of(0.01), []);
  return feeds;
}

/** An event of onnxruntime's profile (a JSON array in the file it writes). */
interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: {
    op_name?: string;
    input_type_shape?: Record<string, number[]>[];
    output_type_shape?: Record<string, number[]>[];
  };
}

/** The events of the profile that a session with `profileFilePrefix` in `dir` wrote. */
function profileEvents(dir: string): ProfileEvent[] {
  const file = readdirSync(dir).find((f) => f.startsWith('ort') && f.endsWith('.json'))!;
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[];
}

export async function profileStep(
  spec: ProfileSpec,
  o: {
    steps?: number;
    threads?: number;
    level?: 'all' | 'basic' | 'extended' | 'disabled';
    out?: (bytes: Uint8Array) => void;
    /** Profile this serialized step graph (same inputs) instead of the current compiler's. */
    graph?: Uint8Array;
    /** Keep the graph as onnxruntime optimized it (`optimized`; productFloor reads it). */
    keepOptimized?: boolean;
  } = {},
): Promise<StepProfile> {
  const steps = o.steps ?? 200;
  const { prog, bytes, dir } = benchProgram(spec.model, spec);
  o.out?.(bytes);
  const session = await ort.InferenceSession.create(o.graph ?? bytes, {
    intraOpNumThreads: o.threads ?? 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: o.level ?? 'all',
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: path.join(dir, 'ort'),
    ...(o.keepOptimized ? { optimizedModelFilePath: path.join(dir, 'optimized.onnx') } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const feeds = stepFeeds(prog, spec);
  const warm = Math.min(20, steps);
  for (let i = 0; i < warm; i++) await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await session.run(feeds);
  const wallMs = (performance.now() - t0) / steps;
  session.endProfiling();
  const events = profileEvents(dir);
  await session.release();
  const optimized = o.keepOptimized ? readFileSync(path.join(dir, 'optimized.onnx')) : undefined;
  rmSync(dir, { recursive: true, force: true });

  const runs = warm + steps;
  const byNode = new Map<string, Omit<NodeProfile, 'name' | 'ms'> & { us: number }>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    let r = byNode.get(name);
    if (!r) {
      const ins = (e.args?.input_type_shape ?? []).map((t) => Object.values(t)[0] ?? []);
      const out = Object.values(e.args?.output_type_shape?.[0] ?? {})[0] ?? [];
      const op = e.args?.op_name ?? '?';
      let flops = 0;
      if ((op === 'Gemm' || op === 'MatMul' || op === 'FusedGemm') && out.length >= 2) {
        // 2·M·N·K: K from A's size and the output's rows (A is [M, K] or [K, M]).
        const a = ins[0] ?? [];
        const m = out.at(-2)!;
        const k = a.length >= 2 ? (a.at(-1)! * a.at(-2)!) / m : 0;
        flops = 2 * out.reduce((x, y) => x * y, 1) * k;
      }
      const outs = (e.args?.output_type_shape ?? []).map((t) => Object.values(t)[0] ?? []);
      const shapes = ins.map((t) => `[${t.join(',')}]`).join(' ');
      r = { op, us: 0, shapes, flops, inShapes: ins, outShapes: outs };
      byNode.set(name, r);
    }
    r.us += e.dur;
  }
  const nodes = [...byNode].map(([name, r]) => ({
    name,
    op: r.op,
    ms: r.us / runs / 1000,
    shapes: r.shapes,
    flops: r.flops,
    inShapes: r.inShapes,
    outShapes: r.outShapes,
  }));
  nodes.sort((a, b) => b.ms - a.ms);
  const ops = new Map<string, { ms: number; nodes: number }>();
  for (const n of nodes) {
    const x = ops.get(n.op) ?? { ms: 0, nodes: 0 };
    x.ms += n.ms;
    x.nodes++;
    ops.set(n.op, x);
  }
  return {
    wallMs,
    kernelMs: nodes.reduce((a, n) => a + n.ms, 0),
    nodes,
    byOp: [...ops].map(([op, x]) => ({ op, ...x })).sort((a, b) => b.ms - a.ms),
    ...(optimized && { optimized }),
  };
}

/** Whether a profiled node is a matrix product. */
export const isProduct = (n: NodeProfile): boolean => n.flops > 0;

/** `Gemm 41.0% (133 nodes), Mul 16.2% (402), …`: the op types' shares of the kernel time. */
export function describeShares(p: StepProfile, top = 6): string {
  return p.byOp
    .slice(0, top)
    .map((o) => `${o.op} ${((100 * o.ms) / p.kernelMs).toFixed(1)}% (${o.nodes})`)
    .join(', ');
}

const PRODUCT_OPS = new Set(['Gemm', 'MatMul', 'FusedGemm', 'FusedMatMul']);

/** Bytes per element of the ONNX element types the step graphs use (float, int32, int64, bool). */
const ELEM_BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8, 9: 1 };

/** A value's dimensions (the step graphs are built for one batch: every dim is a number). */
const valueDims = (v: onnx.IValueInfoProto): number[] =>
  (v.type!.tensorType!.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 1));

/**
 * A constant tensor for a floor's graph: floats small and random (a seeded LCG, `rnd`), integers
 * and booleans zero.
 */
function constantTensor(
  name: string,
  elemType: number,
  dims: number[],
  rnd: () => number,
): onnx.ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  const rawData =
    elemType === 1
      ? new Uint8Array(Float32Array.from({ length: n }, rnd).buffer)
      : new Uint8Array(n * (ELEM_BYTES[elemType] ?? 4));
  return { name, dataType: elemType, dims, rawData };
}

/** Uniform in [−0.1, 0.1) from a seeded LCG. */
function smallRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 0.2 - 0.1;
}

/**
 * A session for a floor's graph of constants: `options` (the trainer's), but the graph is not
 * optimized (nothing folds into the constants) and nothing is prepacked (the step's parameters
 * are inputs, which onnxruntime cannot prepack).
 */
function constantsSession(
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
): Promise<ort.InferenceSession> {
  const session = options.extra as { session?: Record<string, unknown> } | undefined;
  return ort.InferenceSession.create(bytes, {
    ...options,
    graphOptimizationLevel: 'disabled',
    extra: { ...session, session: { ...session?.session, disable_prepacking: '1' } },
  });
}

/** The best, over `rounds` rounds, of the mean time of 10 runs after 2 warm-up runs (ms). */
async function bestOf(rounds: number, run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 2; i++) await run();
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await run();
    best = Math.min(best, (performance.now() - t0) / 10);
  }
  return best;
}

/**
 * The floor the step's matrix products set: every product node of the step graph as onnxruntime
 * optimized it (`p`, a profile taken with `keepOptimized`: same op, attributes and input shapes,
 * in the order it runs them), and nothing
 * else. Operands that no other product computes are constants, and only the first product's
 * result is an output: feeding and fetching 130-odd tensors per run costs milliseconds that the
 * real step does not pay. So that the constants are not the faster path they would be,
 * onnxruntime neither prepacks them (`session.disable_prepacking`, as for the step's parameters,
 * which are inputs) nor optimizes the graph (which keeps every product: the profiler counts one
 * kernel per product node). Timed with `options` (the trainer's session options), best of
 * `rounds` rounds (ms per step): no step can take less.
 */
export async function productFloor(
  p: StepProfile,
  options: ort.InferenceSession.SessionOptions,
  rounds = 8,
): Promise<{ floorMs: number; products: number; others: number }> {
  if (!p.optimized) throw new Error('productFloor needs a profile taken with keepOptimized');
  const prof = new Map(p.nodes.map((n) => [n.name, n]));
  const model = onnx.ModelProto.decode(p.optimized);
  const g = model.graph!;
  const products = (g.node ?? []).filter(
    (n) => PRODUCT_OPS.has(n.opType ?? '') && prof.has(n.name ?? ''),
  );
  const made = new Set(products.flatMap((n) => n.output ?? []));
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const rnd = smallRandom(7);
  const constants = new Map<string, onnx.ITensorProto>();
  for (const n of products) {
    const shapes = prof.get(n.name!)!.inShapes;
    (n.input ?? []).forEach((name, k) => {
      if (!name || made.has(name) || constants.has(name)) return;
      constants.set(name, inits.get(name) ?? constantTensor(name, 1, shapes[k]!, rnd));
    });
  }
  const out = products[0]!.output![0]!;
  const outShape = prof.get(products[0]!.name!)!.outShapes[0]!;
  const bytes = onnx.ModelProto.encode({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    graph: {
      name: 'products',
      node: products,
      initializer: [...constants.values()],
      output: [
        {
          name: out,
          type: {
            tensorType: { elemType: 1, shape: { dim: outShape.map((d) => ({ dimValue: d })) } },
          },
        },
      ],
    },
  }).finish();
  const floor = await constantsSession(bytes, options);
  const floorMs = await bestOf(rounds, () => floor.run({}));
  await floor.release();
  return { floorMs, products: products.length, others: p.nodes.length - products.length };
}

/**
 * The time of everything in the step except its matrix products: the step graph as onnxruntime
 * optimized it (`p`, a profile taken with `keepOptimized`), with each product's result and each
 * graph input replaced by a constant of its shape and type (floats small and random, integers
 * and booleans zero) and one output. As in productFloor, the graph is not optimized (nothing
 * folds) and nothing is prepacked. Timed with `options`, best of `rounds` rounds (ms per step).
 * With productFloor's time it splits the step into its products and the rest.
 */
export async function restFloor(
  p: StepProfile,
  options: ort.InferenceSession.SessionOptions,
  rounds = 8,
): Promise<{ restMs: number; nodes: number }> {
  if (!p.optimized) throw new Error('restFloor needs a profile taken with keepOptimized');
  const prof = new Map(p.nodes.map((n) => [n.name, n]));
  const model = onnx.ModelProto.decode(p.optimized);
  const g = model.graph!;
  const isProd = (n: onnx.INodeProto) => PRODUCT_OPS.has(n.opType ?? '') && prof.has(n.name ?? '');
  const rest = (g.node ?? []).filter((n) => !isProd(n));
  const rnd = smallRandom(11);
  const constants: onnx.ITensorProto[] = [];
  for (const n of (g.node ?? []).filter(isProd)) {
    const shape = prof.get(n.name!)!.outShapes[0]!;
    constants.push(constantTensor(n.output![0]!, 1, shape, rnd));
  }
  const read = new Set(rest.flatMap((n) => n.input ?? []));
  for (const i of (g.input ?? []).filter((i) => read.has(i.name!)))
    constants.push(constantTensor(i.name!, i.type!.tensorType!.elemType ?? 1, valueDims(i), rnd));
  const bytes = onnx.ModelProto.encode({
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    graph: {
      name: 'rest',
      node: rest,
      initializer: [...(g.initializer ?? []), ...constants],
      output: [g.output![0]!],
    },
  }).finish();
  const sess = await constantsSession(bytes, options);
  const restMs = await bestOf(rounds, () => sess.run({}));
  await sess.release();
  return { restMs, nodes: rest.length };
}

/**
 * What a step pays to go in and out of onnxruntime-node, which has no I/O binding: a graph with
 * the step graph's inputs and outputs (`p`, a profile taken with `keepOptimized`) and nothing but
 * an Identity per output, from an input of the same type and shape where there is one (so each
 * new parameter is one copy of the old) and else from a constant. Run with zero-filled feeds of
 * those shapes, created once as the trainer's are, and `options`; best of `rounds` (ms per run).
 */
export async function ioFloor(
  p: StepProfile,
  options: ort.InferenceSession.SessionOptions,
  rounds = 8,
): Promise<{ ioMs: number; copyMs: number; inputs: number; outputs: number }> {
  if (!p.optimized) throw new Error('ioFloor needs a profile taken with keepOptimized');
  const g = onnx.ModelProto.decode(p.optimized).graph!;
  const typeKey = (v: onnx.IValueInfoProto): string =>
    `${v.type!.tensorType!.elemType}:${valueDims(v).join('x')}`;
  const byType = new Map<string, string>();
  for (const i of g.input ?? []) if (!byType.has(typeKey(i))) byType.set(typeKey(i), i.name!);
  const inputs = g.input ?? [];
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const zero = (): number => 0;
  // Prefer the input of the same name's parameter (`W` → `W_new`): else the first of its shape.
  const names = new Set(inputs.map((i) => i.name!));
  for (const o of g.output ?? []) {
    const same = [...names].find(
      (n) => o.name!.startsWith(n) && typeKey(inputs.find((i) => i.name === n)!) === typeKey(o),
    );
    let from = same ?? byType.get(typeKey(o));
    if (!from) {
      from = `${o.name}__const`;
      initializer.push(constantTensor(from, o.type!.tensorType!.elemType ?? 1, valueDims(o), zero));
    }
    nodes.push({ opType: 'Identity', input: [from], output: [o.name!] });
  }
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'io', node: nodes, input: inputs, output: g.output, initializer },
  }).finish();
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of inputs) {
    const d = valueDims(i);
    const n = d.reduce((a, b) => a * b, 1);
    const elem = i.type!.tensorType!.elemType;
    feeds[i.name!] =
      elem === 7
        ? new ort.Tensor('int64', new BigInt64Array(n), d)
        : elem === 9
          ? new ort.Tensor('bool', new Uint8Array(n), d)
          : new ort.Tensor('float32', new Float32Array(n), d);
  }
  const sess = await ort.InferenceSession.create(bytes, options);
  const ioMs = await bestOf(rounds, () => sess.run(feeds));
  await sess.release();
  // The copies' own kernel time, from onnxruntime's profiler: a step that writes its new
  // parameters in its own kernels does not pay these on top.
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-io-floor-'));
  const runs = 50;
  let copyUs = 0;
  try {
    const prof = await ort.InferenceSession.create(bytes, {
      ...options,
      enableProfiling: true,
      profileFilePrefix: path.join(dir, 'ort'),
    });
    for (let i = 0; i < runs; i++) await prof.run(feeds);
    prof.endProfiling();
    await prof.release();
    for (const e of profileEvents(dir))
      if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) copyUs += e.dur;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    ioMs,
    copyMs: copyUs / runs / 1000,
    inputs: inputs.length,
    outputs: (g.output ?? []).length,
  };
}
