/**
 * Test helper: run IR graphs in onnxruntime-node (CPU) and read results back as float64.
 * Only tests and src/engine may import onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { serialize } from '../../../src/compiler/onnx';
import type { Graph } from '../../../src/compiler/ir';
import type { DType } from '../../../src/primitives';

export type Feeds = Record<string, ArrayLike<number>>;

export function toTensor(
  data: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
): ort.Tensor {
  const dims = [...shape];
  switch (dtype) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(data), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from(data), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(data, (v) => BigInt(v))), dims);
    case 'bool':
      return new ort.Tensor('bool', Uint8Array.from(data), dims);
  }
}

/** A compiled graph: `run` feeds inputs by name and returns every output as float64. */
export interface Runner {
  run(feeds: Feeds): Promise<Record<string, Float64Array>>;
  release(): Promise<void>;
}

export async function compile(
  g: Graph,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<Runner> {
  const session = await ort.InferenceSession.create(serialize(g), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...options,
  });
  return {
    async run(feeds) {
      const tensors: Record<string, ort.Tensor> = {};
      for (const i of g.inputs) {
        const d = feeds[i.name];
        if (!d) throw new Error(`missing feed '${i.name}'`);
        tensors[i.name] = toTensor(d, i.value.shape, i.value.dtype);
      }
      const out = await session.run(tensors);
      const res: Record<string, Float64Array> = {};
      for (const [k, t] of Object.entries(out)) {
        const data = t.data as ArrayLike<number | bigint>;
        res[k] = Float64Array.from(Array.from(data, (v) => Number(v)));
      }
      return res;
    },
    release: () => session.release(),
  };
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
