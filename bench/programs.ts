/**
 * The training-step programs the training benchmarks time (bench/train.bench.ts) and profile
 * (bench/lenet-profile.ts): the models' source and their compilation as the trainer registers it
 * (src/engine/compile.ts), with SGD lr 0.01 and softmax cross-entropy.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DiskHost } from '../src/engine/host';
import { buildProgram } from '../src/engine/compile';
import type { CheckedTrain } from '../src/language/checked';
import { checkFile } from '../src/language/program';

export const BENCH_SOURCE = `
model MLP(x: [B, 784]) -> [B, 10] {
  x |> Dense(256) |> ReLU |> Dense(128) |> ReLU |> Dense(10)
}

model LeNet(x: [B, 1, 28, 28]) -> [B, 10] {
  x
    |> Conv2d(6, 5, padding=2) |> ReLU |> MaxPool2d(2)
    |> Conv2d(16, 5) |> ReLU |> MaxPool2d(2)
    |> Flatten
    |> Dense(120) |> ReLU
    |> Dense(84) |> ReLU
    |> Dense(10)
}

model CharLSTM(x: [B, T]) -> [B, T, 64] {
  x |> Embedding(64, 64) |> LSTM(128) |> Dense(64)
}
`;

export interface BenchProgram {
  readonly prog: ReturnType<typeof buildProgram>;
  /** The step graph for `batch`, serialized. */
  readonly bytes: Uint8Array;
  /** Compiling the program and serializing the step graph (checking excluded). */
  readonly compileMs: number;
  /** A temporary folder holding bench.dlm (also usable for profiler output). */
  readonly dir: string;
}

/** Checks BENCH_SOURCE and compiles `model`'s training step for `batch`. */
export function benchProgram(
  model: string,
  o: { batch: number; sample: number[]; classes: number; targetShape: number[] },
): BenchProgram {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-bench-'));
  const file = path.join(dir, 'bench.dlm');
  writeFileSync(file, BENCH_SOURCE);
  const result = checkFile(file.split(path.sep).join('/'), new DiskHost(dir));
  const errs = result.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) throw new Error(errs.map((d) => d.message).join('\n'));
  const checked = result.models.find((m) => m.name === model)!;
  const span = checked.span ?? { start: 0, end: 0 };
  const train = {
    model,
    file,
    span,
    loss: { name: 'CrossEntropy', args: {}, span },
    optimizer: { name: 'SGD', args: { lr: 0.01 }, span },
    epochs: 1,
    batch: o.batch,
    validation: 0,
    seed: 1,
    l1: 0,
    l2: 0,
    metrics: ['accuracy'],
    shuffle: false,
    dropLast: false,
    target: 'labels',
  } as unknown as CheckedTrain;
  const t0 = performance.now();
  const prog = buildProgram({
    model: checked,
    train,
    sampleShape: o.sample,
    classes: o.classes,
    targetShape: o.targetShape,
    seed: 1,
  });
  const bytes = prog.step.graph(o.batch);
  return { prog, bytes, compileMs: performance.now() - t0, dir };
}
