/**
 * Training parity in real PyTorch (Debian's /usr/bin/python3 with torch; skipped, saying so,
 * when it has none): `dlm train` for one epoch and the generated train.py (CPU, one process,
 * the same initial weights and batch order) give the same epoch losses and the same final
 * weights within rtol 1e-4, for an MLP, a CNN with BatchNorm, an LSTM classifier, an MLP with a
 * `reduction="sum"` loss, and two examples, each with SGD in place of its Adam:
 * examples/transformer.dlm and examples/vae.dlm (VAELoss, and Reparameterize's ε, which train.py
 * draws as our trainer does). In the VAE a few of its 650k weights (encoder units at the ReLU kink,
 * border pixels) get gradients that are sums cancelling to rounding noise, and Adam turns such
 * noise into steps of full size (1% of a step apart after 5 steps, while the losses agree to 1e-6).
 * The conv before BatchNorm has no bias: BatchNorm cancels it, so its gradient is exactly zero;
 * dropout is 0 (the transformer example's too): the dropout masks come from different generators;
 * in the transformer, the key bias of attention has an exactly zero gradient, which
 * Adam would turn from rounding noise into full-size steps that differ between any two
 * implementations. Then DDP:
 * two processes (RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT set as torchrun does, gloo) train the
 * spiral example to the same weights as one process with the same global batch, within 1e-5.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeNpy } from '../../src/engine/datasets/npy';
import { loadCheckpoint } from '../../src/engine/runs';
import { decode, encode, f32Tensor, toFloat32 } from '../../src/interop/safetensors';

const root = resolve(__dirname, '../..');
const MAIN = resolve(root, 'src/cli/main.ts');
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const SKIP = hasTorch ? false : `${PY} has no torch (install Debian's python3-torch)`;

const TRAIN = (model: string, extra = '', opt = 'Adam(lr=0.003)') => `
train ${model} {
  data = digits
  loss = CrossEntropy
  optimizer = ${opt}
  epochs = 1
  batch = 64
  validation = 0.2
  seed = 3
  metrics = [accuracy]${extra}
}
`;

/** An inline model trained for its one epoch, or an example trained for one epoch. */
const CASES: Record<string, string | { readonly example: string; readonly optimizer?: string }> = {
  mlp: `data digits = Digits
model Mlp(x: [B, 64]) -> [B, 10] {
  x |> Dense(32) |> ReLU |> Dense(10)
}
${TRAIN('Mlp', '\n  schedule = Cosine(t_max=4)\n  clip = 1.0')}`,
  cnn: `data digits = Digits
model Cnn(x: [B, 64]) -> [B, 10] {
  x |> Reshape((1, 8, 8)) |> Conv2d(8, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU
    |> MaxPool2d(2) |> Flatten |> Dense(10)
}
${TRAIN('Cnn')}`,
  lstm: `data digits = Digits
model Rnn(x: [B, 64]) -> [B, 10] {
  x |> Reshape((8, 8)) |> LSTM(16, return_sequences=false) |> Dense(10)
}
${TRAIN('Rnn')}`,
  transformer: `data digits = Digits
model Tfm(x: [B, 64]) -> [B, 10] {
  x |> Reshape((8, 8)) |> Dense(16) |> PositionalEncoding
    |> TransformerEncoder(16, 2, ff=32, dropout=0) |> Mean(axis=1) |> Dense(10)
}
${TRAIN('Tfm', '', 'SGD(lr=0.05, momentum=0.9)')}`,
  // The step loss is the batch's sum, not its mean (the reported epoch loss averages the sums).
  sum: `data digits = Digits
model MlpSum(x: [B, 64]) -> [B, 10] {
  x |> Dense(32) |> Tanh |> Dense(10)
}
${TRAIN('MlpSum', '', 'SGD(lr=0.002, momentum=0.9)').replace('loss = CrossEntropy', 'loss = CrossEntropy(reduction="sum")')}`,
  'transformer example': { example: 'transformer.dlm', optimizer: 'SGD(lr=0.1, momentum=0.9)' },
  'vae example': { example: 'vae.dlm', optimizer: 'SGD(lr=1e-4, momentum=0.9)' },
};

const tmp = mkdtempSync(join(tmpdir(), 'dlm-pt-train-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function dlm(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `dlm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function safetensors(file: string): Map<string, Float32Array> {
  const f = decode(readFileSync(file), file);
  return new Map([...f.tensors].map(([k, t]) => [k, toFloat32(t, file, k)]));
}

function closeAll(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (atol + rtol * Math.abs(b[i]!)));
  return worst;
}

function epochEvents(jsonl: string): Record<string, number>[] {
  return jsonl
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e['type'] === 'epoch') as Record<string, number>[];
}

/** What one training run gives on each side: the first epoch's metrics and the last weights. */
interface BothRuns {
  readonly ours: Record<string, number>;
  readonly theirs: Record<string, number>;
  /** Optimizer steps `dlm train` took. */
  readonly steps: number;
  readonly ck: ReturnType<typeof loadCheckpoint>;
  /** train.py's last.safetensors. */
  readonly w: Map<string, Float32Array>;
}

/**
 * Trains `ws/m.dlm` with `dlm train --json`, exports it with `dlm export --pytorch` and runs the
 * exported train.py; `args` go to both trainers.
 */
function trainBoth(ws: string, args: readonly string[] = []): BothRuns {
  const out = dlm(['train', join(ws, 'm.dlm'), '--json', '--root', ws, ...args]);
  const runs = join(ws, '.dlm/runs');
  const ck = loadCheckpoint(join(runs, readdirSync(runs)[0]!, 'last.safetensors'), ws);
  dlm(['export', join(ws, 'm.dlm'), '--pytorch', join(ws, 'pt'), '--root', ws]);
  const py = spawnSync(PY, ['pt/train.py', '--out', 'pt/run', ...args], {
    cwd: ws,
    encoding: 'utf8',
  });
  assert.equal(py.status, 0, py.stderr);
  return {
    ours: epochEvents(out)[0]!,
    theirs: epochEvents(readFileSync(join(ws, 'pt/run/metrics.jsonl'), 'utf8'))[0]!,
    steps: out.match(/"type":"step"/g)?.length ?? 0,
    ck,
    w: safetensors(join(ws, 'pt/run/last.safetensors')),
  };
}

/** Every trained parameter of ours is torch's within rtol 1e-4; returns how many there are. */
function sameWeights(r: BothRuns): number {
  let n = 0;
  for (const t of r.ck.tensors) {
    if (t.kind !== 'param') continue;
    const got = r.w.get(t.name);
    assert.ok(got, `torch has no ${t.name}`);
    const worst = closeAll(got, t.data, 1e-4, 1e-6);
    assert.ok(worst <= 1, `${t.name} differs (worst ratio ${worst})`);
    n++;
  }
  return n;
}

/** The epoch metrics `keys` agree within rtol 1e-4. */
function sameMetrics(r: BothRuns, keys: readonly string[]): void {
  for (const k of keys)
    assert.ok(
      Math.abs(r.theirs[k]! - r.ours[k]!) <= 1e-4 * Math.abs(r.ours[k]!) + 1e-7,
      `${k}: torch ${r.theirs[k]} vs dlm ${r.ours[k]}`,
    );
}

describe('train.py trains as dlm train does', { skip: SKIP }, () => {
  for (const [id, c] of Object.entries(CASES)) {
    it(`${id}: one epoch, same losses and weights (rtol 1e-4)`, () => {
      const ws = join(tmp, id.replace(/ /g, '-'));
      cpSync(join(root, 'examples/data'), join(ws, 'data'), { recursive: true });
      let src = typeof c === 'string' ? c : readFileSync(join(root, 'examples', c.example), 'utf8');
      if (typeof c !== 'string' && c.optimizer) {
        const swapped = src.replace(/optimizer = .*/, `optimizer = ${c.optimizer}`);
        assert.notEqual(swapped, src, `${c.example} has an optimizer line`);
        src = swapped;
      }
      writeFileSync(join(ws, 'm.dlm'), src);
      const one = typeof c === 'string' ? [] : ['--epochs', '1'];
      const r = trainBoth(ws, one);
      assert.equal(sameWeights(r), r.w.size, 'same parameter set');
      const keys = ['trainLoss', 'valLoss', 'valAcc'].filter((k) => r.ours[k] !== undefined);
      assert.ok(keys.includes('trainLoss'));
      sameMetrics(r, keys);
    });
  }
});

/**
 * Fine-tuning: a base whose weights (with BatchNorm running statistics far from 0 and 1) come
 * from a file is frozen, and a new head is trained with AdamW and weight decay.
 */
const FINETUNE = `data digits = Digits
block Base(x) {
  x |> Conv2d(8, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU |> MaxPool2d(2)
}
model Fine(x: [B, 64]) -> [B, 10] {
  weights from "base.safetensors" { "base0." -> "base0." }
  x |> Reshape((1, 8, 8)) |> frozen Base |> Flatten |> Dense(10)
}
${TRAIN('Fine', '', 'AdamW(lr=0.003, weight_decay=0.1)')}`;

function baseWeights(): Uint8Array {
  let s = 1;
  const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const t = (shape: number[], f: () => number) =>
    f32Tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, f));
  return encode([
    ['base0.conv2d0.weight', t([8, 1, 3, 3], () => r() - 0.5)],
    ['base0.batchnorm2d0.weight', t([8], () => 0.5 + r())],
    ['base0.batchnorm2d0.bias', t([8], () => r() - 0.5)],
    ['base0.batchnorm2d0.running_mean', t([8], () => 3 * (r() - 0.5))],
    ['base0.batchnorm2d0.running_var', t([8], () => 1 + 5 * r())],
    ['base0.batchnorm2d0.num_batches_tracked', t([1], () => 0)],
  ]);
}

describe('fine-tuning a frozen base with BatchNorm', { skip: SKIP }, () => {
  it('dlm train and train.py: same losses and weights (rtol 1e-4); the base is bit-identical', () => {
    const ws = join(tmp, 'finetune');
    cpSync(join(root, 'examples/data'), join(ws, 'data'), { recursive: true });
    writeFileSync(join(ws, 'm.dlm'), FINETUNE);
    writeFileSync(join(ws, 'base.safetensors'), baseWeights());
    const r = trainBoth(ws);
    assert.ok(r.ck.step >= 5, `${r.ck.step} steps`);
    const base = safetensors(join(ws, 'base.safetensors'));
    const mine = new Map(
      r.ck.tensors.filter((t) => t.kind === 'param').map((t) => [t.name, t.data]),
    );
    // The frozen base, running statistics included, is exactly the file's; the head trained.
    for (const [k, v] of base) {
      if (k.endsWith('num_batches_tracked')) continue;
      assert.deepEqual(Array.from(mine.get(k)!), Array.from(v), `${k} changed`);
    }
    const model = readFileSync(join(ws, 'pt/model.py'), 'utf8');
    assert.match(model, /FROZEN = \("base0",\)/);
    sameWeights(r);
    const init = safetensors(join(ws, 'pt/weights.safetensors'));
    for (const [name, data] of mine)
      if (name.startsWith('dense0.'))
        assert.ok(closeAll(data, init.get(name)!, 0, 1e-9) > 1, `${name} did not train`);
    sameMetrics(r, ['trainLoss', 'valLoss', 'valAcc']);
    // In torch too: requires_grad False for the base, and its BatchNorm stays in eval mode.
    const probe = spawnSync(
      PY,
      [
        '-c',
        [
          'import sys; sys.path.insert(0, "pt"); import model as m',
          'net = m.Fine(); net.load_state_dict(m.load_safetensors("pt/weights.safetensors"), strict=True); net.train()',
          'print(sorted(n for n, p in net.named_parameters() if not p.requires_grad))',
          'print(net.base0.batchnorm2d0.training, net.dense0.training)',
        ].join('\n'),
      ],
      { cwd: ws, encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    assert.equal(
      probe.stdout.trim(),
      "['base0.batchnorm2d0.bias', 'base0.batchnorm2d0.weight', 'base0.conv2d0.weight']\nFalse True",
    );
  });
});

/**
 * A tied-embedding causal language model with a learned position tensor, on 400 characters of the
 * bundled text: 5 optimizer steps (drop_last), the same losses and weights as PyTorch (rtol 1e-4).
 * PyTorch's state_dict lists the tied weight under both module names (one tensor).
 */
describe(
  'train.py trains a tied-embedding LM with a learned tensor as dlm train does',
  { skip: SKIP },
  () => {
    it('5 steps: same losses and weights (rtol 1e-4); the tied weight is one tensor', () => {
      const ws = join(tmp, 'tied');
      const text = readFileSync(join(root, 'examples/data/tiny.txt'), 'utf8').slice(0, 400);
      const vocab = new Set(text).size;
      mkdirSync(join(ws, 'data'), { recursive: true });
      writeFileSync(join(ws, 'data/small.txt'), text);
      writeFileSync(
        join(ws, 'm.dlm'),
        `data text = Text("data/small.txt", seq_len=24)
model TiedLM(x: int[B, 24]) -> [B, 24, ${vocab}] {
  layer embed = Embedding(${vocab}, 16)
  param pos = Parameter([1, 24, 16])
  h = x |> embed
  (h, pos) |> Add
    |> TransformerEncoder(16, 2, ff=32, dropout=0, causal=true, norm_first=true)
    |> LayerNorm
    |> Dense(${vocab}, tie=embed)
}
train TiedLM {
  data = text
  loss = CrossEntropy
  optimizer = SGD(lr=0.1, momentum=0.9)
  epochs = 1
  batch = 64
  validation = 0.1
  drop_last = true
  seed = 3
}
`,
      );
      const r = trainBoth(ws);
      const names = r.ck.tensors.filter((t) => t.kind === 'param').map((t) => t.name);
      assert.ok(names.includes('pos') && names.includes('embed.weight'), names.join(', '));
      assert.ok(!names.includes('dense0.weight'), 'the tied weight is stored once');
      assert.deepEqual([...r.w.keys()].sort(), [...names, 'dense0.weight'].sort());
      assert.equal(closeAll(r.w.get('dense0.weight')!, r.w.get('embed.weight')!, 0, 1e-12), 0);
      sameWeights(r);
      sameMetrics(r, ['trainLoss', 'valLoss']);
      assert.equal(r.steps, 5, '5 optimizer steps');
    });
  },
);

/**
 * Masked attention with `ignore_index`: right-padded ids (pad 0) tagged step by step, the padded
 * steps labelled −100. A non-causal encoder, so the key-padding mask changes every output; the
 * padded steps count for nothing in the loss, its gradient and the accuracy. 5 optimizer steps,
 * the same losses, accuracies and weights as PyTorch (rtol 1e-4).
 */
describe(
  'train.py trains masked attention with ignore_index as dlm train does',
  { skip: SKIP },
  () => {
    it('5 steps: same losses, accuracies and weights (rtol 1e-4)', () => {
      const ws = join(tmp, 'masked');
      mkdirSync(join(ws, 'data'), { recursive: true });
      const [N, T] = [100, 10];
      const x: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < N; i++) {
        const len = 3 + ((i * 7) % 8);
        for (let t = 0; t < T; t++) {
          const id = t < len ? 1 + ((i * 5 + t * 3) % 8) : 0;
          x.push(id);
          y.push(t < len ? (id % 8) + (len % 2) : -100);
        }
      }
      writeFileSync(join(ws, 'data/x.npy'), encodeNpy([N, T], x, '<i8'));
      writeFileSync(join(ws, 'data/y.npy'), encodeNpy([N, T], y, '<i8'));
      writeFileSync(
        join(ws, 'm.dlm'),
        `data d = Npy(x="data/x.npy", y="data/y.npy")
model Tagger(x: int[B, 10]) -> [B, 10, 10] {
  m = x |> PaddingMask(0)
  h = x |> Embedding(9, 16, padding_idx=0)
  (h, m) |> TransformerEncoder(16, 2, ff=32, dropout=0)
    |> Dense(10)
}
train Tagger {
  data = d
  loss = CrossEntropy(ignore_index=-100)
  optimizer = SGD(lr=0.1, momentum=0.9)
  metrics = [accuracy]
  epochs = 1
  batch = 16
  validation = 0.2
  drop_last = true
  seed = 3
}
`,
      );
      const r = trainBoth(ws);
      sameWeights(r);
      sameMetrics(r, ['trainLoss', 'valLoss', 'trainAcc', 'valAcc']);
      assert.equal(r.steps, 5, '5 optimizer steps');
      // Without ignore_index the padded targets (−100) are refused before training, with the fix.
      writeFileSync(
        join(ws, 'n.dlm'),
        readFileSync(join(ws, 'm.dlm'), 'utf8').replace(
          'CrossEntropy(ignore_index=-100)',
          'CrossEntropy',
        ),
      );
      const bad = spawnSync(
        process.execPath,
        ['--import', 'tsx', MAIN, 'train', join(ws, 'n.dlm'), '--root', ws],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /targets -100 \(padding\).*CrossEntropy\(ignore_index=-100\)/);
    });
  },
);

function runPy(args: string[], cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(PY, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // A hung process (a distributed deadlock) fails the test instead of stalling the suite.
    const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) ok();
      else fail(new Error(`train.py exited ${code ?? signal}: ${err}`));
    });
  });
}

describe('train.py under DistributedDataParallel', { skip: SKIP }, () => {
  it('2 processes (gloo, torchrun env vars) equal 1 process with the same global batch (1e-5)', async () => {
    const ws = join(tmp, 'ddp');
    dlm(['export', join(root, 'examples/spiral.dlm'), '--pytorch', ws]);
    await runPy(['train.py', '--max-steps', '6', '--out', 'one'], ws, {});
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const env = (rank: number) => ({
      RANK: String(rank),
      LOCAL_RANK: String(rank),
      WORLD_SIZE: '2',
      MASTER_ADDR: '127.0.0.1',
      MASTER_PORT: port,
    });
    await Promise.all(
      [0, 1].map((r) => runPy(['train.py', '--max-steps', '6', '--out', 'two'], ws, env(r))),
    );
    const one = safetensors(join(ws, 'one/last.safetensors'));
    const two = safetensors(join(ws, 'two/last.safetensors'));
    assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
    const init = safetensors(join(ws, 'weights.safetensors'));
    for (const [k, a] of one) {
      const worst = closeAll(two.get(k)!, a, 1e-5, 1e-5);
      assert.ok(worst <= 1, `${k} differs between 1 and 2 processes (worst ratio ${worst})`);
      assert.ok(closeAll(a, init.get(k)!, 0, 1e-9) > 1, `${k} did not train`);
    }
    const steps = readFileSync(join(ws, 'two/metrics.jsonl'), 'utf8').match(/"type": "step"/g);
    assert.equal(steps?.length, 6, 'rank 0 logs each of the 6 steps once');
  });
});
