/**
 * Convergence, determinism and the CLI end to end: models compiled by our compiler
 * (src/compiler/program.ts, registered by src/engine/compile.ts) train in onnxruntime-node.
 *
 * Every run is seeded, bounded in steps and uses 2 threads. No timing thresholds (speed lives in
 * bench/train.bench.ts). The convergence runs call the training loop in-process (the same
 * `runTraining` the trainer child runs); the CLI tests run `dlm` as a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../src/engine/compile';
import { checkFile } from '../../src/language/program';
import { DiskHost } from '../../src/engine/host';
import { compileProgram } from '../../src/compiler/program';
import { loadDataset, splitDataset, checkDataFits, gatherBatch } from '../../src/engine/datasets';
import { runTraining, type EmitEvent } from '../../src/engine/loop';
import type { EventOf } from '../../src/engine/protocol';
import { loadCheckpoint } from '../../src/engine/runs';
import { runDlm } from './helpers/cli';

const ROOT = path.join(__dirname, '..', '..');
const THREADS = 2;

function workspace(files: Record<string, string | Uint8Array>): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-conv-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
    writeFileSync(path.join(ws, f), text);
  }
  return ws;
}

interface Trained {
  readonly events: EmitEvent[];
  readonly epochs: EventOf<'epoch'>[];
  readonly steps: EventOf<'step'>[];
  readonly finished: EventOf<'finished'>;
  readonly last: EventOf<'epoch'>;
}

async function train(
  ws: string,
  model: string,
  overrides: Record<string, unknown> = {},
  file = 'model.dlm',
): Promise<Trained> {
  const events: EmitEvent[] = [];
  await runTraining(
    {
      type: 'start',
      v: 1,
      workspaceRoot: ws,
      modelPath: file,
      model,
      threads: THREADS,
      stepEventInterval: 0,
      overrides,
    },
    { paused: false, stopRequested: false, waitWhilePaused: () => Promise.resolve() },
    (e) => events.push(e),
  );
  const err = events.find((e) => e.type === 'error');
  if (err) assert.fail(`training failed: ${JSON.stringify(err)}`);
  const epochs = events.filter((e): e is EventOf<'epoch'> => e.type === 'epoch');
  const steps = events.filter((e): e is EventOf<'step'> => e.type === 'step');
  const finished = events.find((e): e is EventOf<'finished'> => e.type === 'finished');
  assert.ok(finished, 'no finished event');
  return { events, epochs, steps, finished, last: epochs[epochs.length - 1]! };
}

// ------------------------------------------------------------------------------ convergence

const SPIRAL = `data spiral = Spiral(points=900, classes=3, noise=0.02, seed=3)

model SpiralMLP(x: [B, 2]) -> [B, 3] {
  x |> Dense(64) |> ReLU |> Dense(64) |> ReLU |> Dense(3)
}

train SpiralMLP {
  data = spiral
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  schedule = Cosine(t_max=60)
  epochs = 60
  batch = 32
  validation = 0.2
  seed = 7
  metrics = [accuracy]
}
`;

test('spiral (3 classes) with an MLP reaches ≥ 97% validation accuracy', async (t) => {
  const r = await train(workspace({ 'model.dlm': SPIRAL }), 'SpiralMLP');
  t.diagnostic(`spiral: ${r.finished.step} steps, val accuracy ${r.last.valAcc}`);
  assert.equal(r.finished.reason, 'completed');
  const best = Math.max(...r.epochs.map((e) => e.valAcc ?? 0));
  assert.ok(r.last.valAcc! >= 0.97, `val accuracy ${r.last.valAcc} (best ${best}) < 0.97`);
});

const DIGITS = `data digits = Digits

model SmallCNN(x: [B, 1, 8, 8]) -> [B, 10] {
  x
    |> Conv2d(8, 3, padding=1) |> ReLU |> MaxPool2d(2)
    |> Flatten
    |> Dense(10)
}

train SmallCNN {
  data = digits
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 15
  batch = 32
  validation = 0.2
  seed = 1
  metrics = [accuracy]
}
`;

test('digits (8×8) with a small CNN reaches ≥ 95% validation accuracy', async (t) => {
  const r = await train(workspace({ 'model.dlm': DIGITS }), 'SmallCNN');
  t.diagnostic(`digits: ${r.finished.step} steps, val accuracy ${r.last.valAcc}`);
  assert.ok(r.last.valAcc! >= 0.95, `val accuracy ${r.last.valAcc} < 0.95`);
});

const SINE = `data sine = Sine(points=400, noise=0.05, seed=2)

model SineNet(x: [B, 1]) -> [B, 1] {
  x |> Dense(32) |> Tanh |> Dense(32) |> Tanh |> Dense(1)
}

train SineNet {
  data = sine
  loss = MSE
  optimizer = Adam(lr=0.01)
  epochs = 100
  batch = 32
  validation = 0.2
  seed = 1
}
`;

test('sine regression reaches validation MSE < 0.01', async (t) => {
  const r = await train(workspace({ 'model.dlm': SINE }), 'SineNet');
  t.diagnostic(`sine: ${r.finished.step} steps, val MSE ${r.last.valLoss}`);
  assert.ok(r.last.valLoss! < 0.01, `val MSE ${r.last.valLoss} ≥ 0.01`);
});

/** Unigram entropy of a text in nats: the loss of the best model that ignores context. */
function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  const chars = Array.from(text);
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / chars.length) * Math.log(n / chars.length);
  return h;
}

// T = 64 as in examples/charlstm.dlm; a smaller model and 2,000 characters keep it fast.
const CHAR_TEXT = readFileSync(path.join(ROOT, 'examples/data/tiny.txt'), 'utf8').slice(0, 2000);
const CHAR_VOCAB = new Set(Array.from(CHAR_TEXT)).size;
const CHARLSTM = `data text = Text("tiny.txt", seq_len=64)

model CharLSTM(x: [B, T]) -> [B, T, ${CHAR_VOCAB}] {
  x |> Embedding(${CHAR_VOCAB}, 16) |> LSTM(64) |> Dense(${CHAR_VOCAB})
}

train CharLSTM {
  data = text
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 2
  batch = 32
  validation = 0.1
  seed = 1
  clip = 1.0
}
`;

test('char-LSTM (T = 64) loss falls below half the unigram entropy of the text', async (t) => {
  const h = unigramEntropy(CHAR_TEXT);
  const r = await train(workspace({ 'model.dlm': CHARLSTM, 'tiny.txt': CHAR_TEXT }), 'CharLSTM');
  const bound = h / 2;
  t.diagnostic(
    `char-LSTM: ${r.finished.step} steps, first loss ${r.steps[0]!.loss}, val loss ${r.last.valLoss} nats, unigram entropy ${h}`,
  );
  assert.ok(r.steps[0]!.loss > h, `first loss ${r.steps[0]!.loss} should start above H = ${h}`);
  assert.ok(
    r.last.valLoss! < bound,
    `val loss ${r.last.valLoss} nats ≥ ${bound.toFixed(3)} (half the unigram entropy ${h.toFixed(3)})`,
  );
});

test('determinism: two runs with the same seed give bit-identical losses', async () => {
  const src = SPIRAL.replace('epochs = 60', 'epochs = 3').replace(
    'x |> Dense(64) |> ReLU |> Dense(64)',
    'x |> Dense(64) |> ReLU |> Dropout(0.2) |> Dense(64)',
  );
  const a = await train(workspace({ 'model.dlm': src }), 'SpiralMLP');
  const b = await train(workspace({ 'model.dlm': src }), 'SpiralMLP');
  assert.ok(a.steps.length > 10);
  assert.deepEqual(
    b.steps.map((s) => s.loss),
    a.steps.map((s) => s.loss),
  );
  assert.deepEqual(
    b.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAcc]),
    a.epochs.map((e) => [e.trainLoss, e.valLoss, e.valAcc]),
  );
  const c = await train(workspace({ 'model.dlm': src }), 'SpiralMLP', { seed: 8 });
  assert.notDeepEqual(
    c.steps.map((s) => s.loss),
    a.steps.map((s) => s.loss),
  );
});

// ------------------------------------------------------------------------------ the CLI

const dlm = runDlm;

test('dlm train --json, dlm export and dlm predict on examples/spiral.dlm; export = eval graph', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-cli-'));
  cpSync(path.join(ROOT, 'examples/spiral.dlm'), path.join(ws, 'spiral.dlm'));
  const t = dlm(['train', 'spiral.dlm', '--epochs', '3', '--json', '--threads', '2'], ws);
  assert.equal(t.code, 0, t.stderr);
  const events = t.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'ready');
  assert.equal(types[1], 'started');
  assert.equal(types.filter((x) => x === 'epoch').length, 3);
  const fin = events[events.length - 1]!;
  assert.equal(fin.type, 'finished');
  assert.equal(fin.reason, 'completed');
  const runDir = fin.runDir as string;
  assert.ok(existsSync(path.join(runDir, 'best.safetensors')));

  const e = dlm(['export', 'spiral.dlm', '--onnx', 'out/spiral.onnx', '--weights', runDir], ws);
  assert.equal(e.code, 0, e.stderr);
  assert.ok(existsSync(path.join(ws, 'out/spiral.onnx')));
  assert.ok(existsSync(path.join(runDir, 'model.onnx')));
  const e0 = dlm(['export', 'spiral.dlm', '--onnx', 'init.onnx'], ws);
  assert.equal(e0.code, 0, e0.stderr);
  assert.match(e0.stderr, /warning: .*freshly initialized/);

  writeFileSync(path.join(ws, 'in.csv'), 'x1,x2\n0.1,0.2\n-0.5,0.3\n0.0,-0.9\n');
  const p = dlm(['predict', 'spiral.dlm', '--run', runDir, '--input', 'in.csv'], ws);
  assert.equal(p.code, 0, p.stderr);
  const lines = p.stdout.trim().split('\n');
  assert.equal(lines[0], 'class,p_0,p_1,p_2');
  assert.equal(lines.length, 4);
  for (const l of lines.slice(1)) {
    const [cls, ...ps] = l.split(',').map(Number);
    assert.ok([0, 1, 2].includes(cls!));
    assert.ok(Math.abs(ps.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(ps.indexOf(Math.max(...ps)), cls);
  }

  // The exported model and the eval graph agree on the validation data (rtol 1e-5).
  const host = new DiskHost(ws);
  const file = path.join(ws, 'spiral.dlm').split(path.sep).join('/');
  const checked = checkFile(file, host);
  const model = checked.models.find((m) => m.name === 'SpiralNet')!;
  const trainSec = checked.trains.find((x) => x.model === 'SpiralNet')!;
  const ds = loadDataset(trainSec.data!, { root: ws, baseFile: file });
  const fit = checkDataFits(ds, ['B', 2], ['B', 3], 'classification', 'SpiralNet');
  const split = splitDataset(ds, trainSec.validation, trainSec.seed);
  const val = split.validation!;
  const prog = compileProgram({
    model,
    train: trainSec,
    sampleShape: fit.sampleShape!,
    classes: ds.classes,
    targetShape: ds.yShape,
    seed: trainSec.seed,
  });
  const ck = loadCheckpoint(path.join(runDir, 'best.safetensors'), ws);
  const params = new Map(
    ck.tensors.filter((x) => x.kind === 'param').map((x) => [x.name, x.data] as const),
  );
  const n = val.n;
  const xb = new Float32Array(n * 2);
  const yb = new Float32Array(n);
  gatherBatch(
    val,
    Int32Array.from({ length: n }, (_, i) => i),
    0,
    n,
    xb,
    yb,
  );
  const evalS = await ort.InferenceSession.create(prog.eval.graph(n));
  const feeds: Record<string, ort.Tensor> = {
    [prog.inputs.x.name]: new ort.Tensor('float32', xb, [n, 2]),
    [prog.inputs.y!.name]: new ort.Tensor(
      'int64',
      BigInt64Array.from(yb, (v) => BigInt(v)),
      [n],
    ),
  };
  for (const prm of prog.params)
    feeds[prm.name] = new ort.Tensor('float32', params.get(prm.name)!, [...prm.shape]);
  const evalOut = (await evalS.run(feeds))[prog.eval.outputs[0]!]!.data as Float32Array;
  const exp = await ort.InferenceSession.create(readFileSync(path.join(runDir, 'model.onnx')));
  const expOut = (await exp.run({ [exp.inputNames[0]!]: new ort.Tensor('float32', xb, [n, 2]) }))[
    exp.outputNames[0]!
  ]!.data as Float32Array;
  assert.equal(expOut.length, evalOut.length);
  for (let i = 0; i < evalOut.length; i++)
    assert.ok(
      Math.abs(expOut[i]! - evalOut[i]!) <= 1e-5 * Math.abs(evalOut[i]!) + 1e-6,
      `output ${i}: export ${expOut[i]} vs eval ${evalOut[i]}`,
    );
  await evalS.release();
  await exp.release();
});

test('dlm train: clear messages and exit codes for data errors, missing models and NaN', () => {
  const ws = workspace({
    'static.dlm': `data d = Spiral(points=90, classes=3)
model Net(x: [B, 3]) -> [B, 3] { x |> Dense(3) }
train Net {
  data = d
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
}
`,
    'pts.csv': 'a,b,c,label\n1,2,3,x\n4,5,6,y\n7,8,9,x\n1,1,1,y\n',
    'csv.dlm': `data d = Csv("pts.csv", target="label")
model Net(x: [B, 2]) -> [B, 2] { x |> Dense(2) }
train Net {
  data = d
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
  batch = 2
}
`,
    'nan.dlm': `data d = Sine(points=64)
model Net(x: [B, 1]) -> [B, 1] { x |> Dense(16) |> ReLU |> Dense(1) }
train Net {
  data = d
  loss = MSE
  optimizer = SGD(lr=1e30)
  epochs = 2
  batch = 16
}
`,
  });
  // Caught by the checker (the dataset's shape is known statically).
  const stat = dlm(['train', 'static.dlm'], ws);
  assert.equal(stat.code, 1);
  assert.match(stat.stderr, /Spiral gives samples of shape \[2\], but Net takes \[B, 3\]/);
  // Caught by the trainer before the first step (a CSV's columns are only known at run time).
  const csv = dlm(['train', 'csv.dlm'], ws);
  assert.equal(csv.code, 1, csv.stderr);
  assert.match(csv.stderr, /data error: .*pts\.csv.*\[B, 2\]/);
  assert.doesNotMatch(csv.stderr, /epoch 1/);
  const nan = dlm(['train', 'nan.dlm'], ws);
  assert.equal(nan.code, 1, nan.stderr);
  assert.match(nan.stderr, /diverged at step \d+ \(epoch 1\).*gradient of '[^']+'/);
  assert.match(nan.stderr, /suggestion: lower the learning rate/);
  const usage = dlm(['train', 'nan.dlm', '--model', 'Nope'], ws);
  assert.equal(usage.code, 2);
  assert.equal(dlm(['train'], ws).code, 2);
});

// Every example with a train section trains for one epoch from the CLI, on the data it names
// (mlp.dlm and vae.dlm: the Fashion-MNIST subset bundled in examples/data/), and its loss falls.
// examples/data/tiny.txt is shortened so the char-LSTM epoch stays short.
test('every example with a train section trains 1 epoch from the CLI and its loss falls', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-examples-'));
  cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
  const text = readFileSync(path.join(ws, 'data/tiny.txt'), 'utf8');
  writeFileSync(path.join(ws, 'data/tiny.txt'), text.slice(0, 700));
  const files = readdirSync(ws)
    .filter((f) => f.endsWith('.dlm') && /^train\s/m.test(readFileSync(path.join(ws, f), 'utf8')))
    .sort();
  assert.deepEqual(files, [
    'chargpt.dlm',
    'charlstm.dlm',
    'finetune.dlm',
    'finetune_base.dlm',
    'mlp.dlm',
    'seq2seq_gru.dlm',
    'spiral.dlm',
    'transformer.dlm',
    'vae.dlm',
    'weight_tying.dlm',
  ]);
  const failures: string[] = [];
  for (const f of files) {
    const r = dlm(['train', f, '--epochs', '1', '--threads', '2', '--json'], ws, 180_000);
    if (r.code !== 0) {
      failures.push(`${f}: exit ${r.code}\n${r.stderr.slice(-1500)}`);
      continue;
    }
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; loss?: number; reason?: string });
    assert.equal(events[events.length - 1]!.reason, 'completed', f);
    const losses = events.filter((e) => e.type === 'step').map((e) => e.loss!);
    assert.ok(losses.length >= 5 && losses.every(Number.isFinite), `${f}: ${losses.length} steps`);
    const tail = (losses.at(-1)! + losses.at(-2)! + losses.at(-3)!) / 3;
    assert.ok(tail < losses[0]!, `${f}: loss ${losses[0]} → ${tail}`);
  }
  assert.deepEqual(failures, []);
  rmSync(ws, { recursive: true, force: true });
});

// examples/chargpt.dlm as written (the whole bundled text, one epoch, ~130 steps): the bound its
// doc comment and docs/training.md state. Uniform guessing over 28 characters is ln 28 ≈ 3.33.
test('the char-level GPT (tied embedding, causal blocks) trains from the CLI below 2.0 nats', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-chargpt-'));
  cpSync(path.join(ROOT, 'examples/chargpt.dlm'), path.join(ws, 'chargpt.dlm'));
  cpSync(path.join(ROOT, 'examples/data/tiny.txt'), path.join(ws, 'data/tiny.txt'));
  const r = dlm(['train', 'chargpt.dlm', '--threads', '2', '--json'], ws, 300_000);
  assert.equal(r.code, 0, r.stderr);
  const epochs = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; valLoss?: number })
    .filter((e) => e.type === 'epoch');
  assert.equal(epochs.length, 1);
  assert.ok(epochs[0]!.valLoss! < 2.0, `validation loss ${epochs[0]!.valLoss}`);
  rmSync(ws, { recursive: true, force: true });
});
