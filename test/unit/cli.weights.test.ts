/**
 * `dlm predict --weights` and `dlm export --weights` with weights saved outside DLM Studio: a
 * PyTorch state_dict written as safetensors by test/fixtures/torch/gen_state_dict.py (Debian's
 * python3 + torch, the format written by hand), and damaged files, which must give a one-line
 * message naming the file and the tensor (exit 1, no stack trace).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decode, encode, i64Tensor, type SafeTensor } from '../../src/interop/safetensors';
import { readWeights } from '../../src/engine/runs';
import { runDlm } from './helpers/cli';

const ROOT = path.join(__dirname, '..', '..');
const FIX = path.join(ROOT, 'test/fixtures/torch');
const dlm = (args: string[], cwd: string) => runDlm(args, cwd);

const fixture = JSON.parse(readFileSync(path.join(FIX, 'torchnet.json'), 'utf8')) as {
  dlm: string;
  rows: number[][];
  logits: number[][];
  softmax: number[][];
};

const ws = mkdtempSync(path.join(tmpdir(), 'dlm-weights-'));
after(() => rmSync(ws, { recursive: true, force: true }));
writeFileSync(path.join(ws, 'net.dlm'), fixture.dlm);
cpSync(path.join(FIX, 'torchnet.safetensors'), path.join(ws, 'torch.safetensors'));
writeFileSync(path.join(ws, 'in.csv'), `a,b\n${fixture.rows.map((r) => r.join(',')).join('\n')}\n`);

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

describe('weights saved by PyTorch (a state_dict as safetensors)', () => {
  it('dlm predict --weights gives torch’s probabilities', () => {
    const p = dlm(
      ['predict', 'net.dlm', '--weights', 'torch.safetensors', '--input', 'in.csv'],
      ws,
    );
    assert.equal(p.code, 0, p.stderr);
    const lines = p.stdout.trim().split('\n');
    assert.equal(lines[0], 'class,p_0,p_1,p_2');
    assert.equal(lines.length, fixture.rows.length + 1);
    lines.slice(1).forEach((l, i) => {
      const [cls, ...ps] = l.split(',').map(Number);
      const want = fixture.softmax[i]!;
      assert.equal(cls, want.indexOf(Math.max(...want)));
      ps.forEach((v, c) =>
        assert.ok(close(v, want[c]!, 1e-5), `row ${i} p_${c}: ${v} vs ${want[c]}`),
      );
    });
  });

  it('dlm export --weights writes an ONNX model that computes torch’s logits', async () => {
    const e = dlm(
      ['export', 'net.dlm', '--onnx', 'torch.onnx', '--weights', 'torch.safetensors'],
      ws,
    );
    assert.equal(e.code, 0, e.stderr);
    const s = await ort.InferenceSession.create(path.join(ws, 'torch.onnx'));
    try {
      const x = Float32Array.from(fixture.rows.flat());
      const out = await s.run({
        [s.inputNames[0]!]: new ort.Tensor('float32', x, [fixture.rows.length, 2]),
      });
      const y = out[s.outputNames[0]!]!.data as Float32Array;
      fixture.logits.flat().forEach((v, k) => assert.ok(close(y[k]!, v, 1e-5), `${y[k]} vs ${v}`));
    } finally {
      await s.release();
    }
  });
});

describe('damaged weights files: one clear line naming the file and the tensor', () => {
  const good = new Uint8Array(readFileSync(path.join(FIX, 'torchnet.safetensors')));
  const rewrite = (
    change: (n: string, t: SafeTensor) => SafeTensor | undefined,
    checksum = false,
  ) => {
    const st = decode(good);
    const out: [string, SafeTensor][] = [];
    for (const [n, t] of st.tensors) {
      const c = change(n, t);
      if (c) out.push([n, c]);
    }
    return encode(out, st.metadata, { checksum });
  };
  const flipped = rewrite((_, t) => t, true);
  flipped[flipped.length - 3]! ^= 4;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      'truncated',
      good.subarray(0, good.length - 10),
      /truncated\.safetensors: tensor 'dense1\.bias': is truncated/,
    ],
    [
      'wrong checksum',
      flipped,
      /wrong-checksum\.safetensors: tensor 'dense1\.bias': is damaged: checksum/,
    ],
    [
      'wrong dtype',
      rewrite((n, t) => (n === 'dense0.bias' ? i64Tensor([16], new Array<number>(16).fill(1)) : t)),
      /wrong-dtype\.safetensors: tensor 'dense0\.bias': dtype I64 is not a floating-point type/,
    ],
    [
      'missing tensor',
      rewrite((n, t) => (n === 'batchnorm1d0.running_var' ? undefined : t)),
      /missing-tensor\.safetensors: tensor 'batchnorm1d0\.running_var': is missing: the model needs this \[16\] parameter/,
    ],
    [
      'wrong shape',
      rewrite((n, t) => (n === 'dense1.bias' ? { ...t, shape: [1, 3] } : t)),
      /wrong-shape\.safetensors: tensor 'dense1\.bias': has shape \[1, 3\] but the model needs \[3\]/,
    ],
  ];
  for (const [what, bytes, re] of cases)
    it(what, () => {
      const f = `${what.replace(' ', '-')}.safetensors`;
      writeFileSync(path.join(ws, f), bytes);
      for (const args of [
        ['predict', 'net.dlm', '--weights', f, '--input', 'in.csv'],
        ['export', 'net.dlm', '--onnx', 'x.onnx', '--weights', f],
      ]) {
        const r = dlm(args, ws);
        assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
        assert.match(r.stderr, re, args[0]);
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, 'no stack trace');
      }
    });
});

describe('dlm export: every model with known input shapes, standardization in the graph', () => {
  it('exports a model without a train section (initial weights, dynamic batch)', async () => {
    writeFileSync(
      path.join(ws, 'plain.dlm'),
      'model Plain(x: [B, 4]) -> [B, 2] {\n  x |> Dense(8) |> ReLU |> Dense(2)\n}\n\n' +
        'model Seq(x: [B, T, 4]) -> [B, T, 2] {\n  x |> Dense(2)\n}\n',
    );
    const e = dlm(['export', 'plain.dlm', '--onnx', 'plain.onnx'], ws);
    assert.equal(e.code, 0, e.stderr);
    assert.match(
      e.stderr,
      /Plain has no train section; the input shape comes from its signature \[B, 4\]/,
    );
    assert.match(e.stderr, /warning: .*freshly initialized/);
    const s = await ort.InferenceSession.create(path.join(ws, 'plain.onnx'));
    try {
      const out = await s.run({
        x: new ort.Tensor('float32', new Float32Array(12).fill(0.5), [3, 4]),
      });
      assert.deepEqual(out[s.outputNames[0]!]!.dims, [3, 2]);
    } finally {
      await s.release();
    }
    // T is only known from data: a clear message, no stack trace
    const t = dlm(['export', 'plain.dlm', '--model', 'Seq', '--onnx', 'seq.onnx'], ws);
    assert.equal(t.code, 1);
    assert.match(
      t.stderr,
      /dlm export: input x is \[B, T, 4\]: T is only known from data, and Seq has no train section/,
    );
    assert.doesNotMatch(t.stderr, /\n\s+at /);
  });

  it('a TransformerEncoder model predicts a CSV of many rows (dynamic batch through the CLI)', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [
      ...Array.from({ length: 8 }, (_, j) => +Math.sin(i * 0.7 + j * 1.3).toFixed(4)),
      i % 3 === 0 ? 'p' : 'q',
    ]);
    writeFileSync(
      path.join(ws, 'tr.csv'),
      `${[...Array(8).keys()].map((j) => `f${j}`).join(',')},label\n${rows.map((r) => r.join(',')).join('\n')}\n`,
    );
    writeFileSync(
      path.join(ws, 'tr.dlm'),
      'data tr = Csv("tr.csv", target="label")\n\n' +
        'model Tr(x: [B, 2, 4]) -> [B, 2] {\n  x |> TransformerEncoder(4, 2, ff=8) |> Mean(axis=1) |> Dense(2)\n}\n\n' +
        'train Tr {\n  data = tr\n  loss = CrossEntropy\n  optimizer = Adam(lr=0.01)\n  epochs = 1\n  batch = 8\n}\n',
    );
    const t = dlm(['train', 'tr.dlm', '--json', '--threads', '1'], ws);
    assert.equal(t.code, 0, t.stderr);
    const fin = JSON.parse(t.stdout.trim().split('\n').pop()!) as { runDir: string };
    const p = dlm(['predict', 'tr.dlm', '--weights', fin.runDir, '--input', 'tr.csv'], ws);
    assert.equal(p.code, 0, p.stderr);
    const lines = p.stdout.trim().split('\n');
    assert.equal(lines[0], 'class,p_p,p_q');
    assert.equal(lines.length, rows.length + 1);
  });

  it('a model trained on a standardized CSV predicts from raw features as the trained eval does', async () => {
    // two features on very different scales, so an unstandardized input gives other answers
    const rows = Array.from({ length: 80 }, (_, i) => {
      const a = 100 + ((i * 37) % 100);
      const b = 0.01 * Math.sin(i * 1.3);
      return [a, +b.toFixed(5), (a - 150) / 50 + b * 100 > 0 ? 'hi' : 'lo'] as const;
    });
    writeFileSync(
      path.join(ws, 'pts.csv'),
      `a,b,label\n${rows.map((r) => r.join(',')).join('\n')}\n`,
    );
    writeFileSync(
      path.join(ws, 'std.dlm'),
      'data pts = Csv("pts.csv", target="label")\n\n' +
        'model Std(x: [B, 2]) -> [B, 2] {\n  x |> Dense(8) |> ReLU |> Dense(2)\n}\n\n' +
        'train Std {\n  data = pts\n  loss = CrossEntropy\n  optimizer = Adam(lr=0.05)\n  epochs = 3\n  batch = 16\n  seed = 1\n}\n',
    );
    const t = dlm(['train', 'std.dlm', '--json', '--threads', '1'], ws);
    assert.equal(t.code, 0, t.stderr);
    const fin = JSON.parse(t.stdout.trim().split('\n').pop()!) as { runDir: string };
    const cfg = JSON.parse(readFileSync(path.join(fin.runDir, 'config.json'), 'utf8')) as {
      dataset: { standardization: { mean: number[]; std: number[] } };
    };
    const st = cfg.dataset.standardization;
    assert.ok(st && st.std[0]! > 10 && st.std[1]! < 0.1, JSON.stringify(st));
    // the trained eval: the model on the standardized features the trainer fed it
    const params = readWeights(
      path.join(fin.runDir, 'best.safetensors'),
      [
        { name: 'dense0.weight', shape: [8, 2] },
        { name: 'dense0.bias', shape: [8] },
        { name: 'dense1.weight', shape: [2, 8] },
        { name: 'dense1.bias', shape: [2] },
      ],
      ws,
    );
    const W0 = params.get('dense0.weight')!;
    const b0 = params.get('dense0.bias')!;
    const W1 = params.get('dense1.weight')!;
    const b1 = params.get('dense1.bias')!;
    const evalLogits = rows.map(([a, b]) => {
      const x = [(a - st.mean[0]!) / st.std[0]!, (b - st.mean[1]!) / st.std[1]!];
      const h = Array.from({ length: 8 }, (_, j) =>
        Math.max(0, b0[j]! + W0[2 * j]! * x[0]! + W0[2 * j + 1]! * x[1]!),
      );
      return [0, 1].map((o) => b1[o]! + h.reduce((s, v, j) => s + v * W1[8 * o + j]!, 0));
    });
    // the exported ONNX on raw features
    const e = dlm(['export', 'std.dlm', '--onnx', 'std.onnx', '--weights', fin.runDir], ws);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /standardizes its input/);
    const s = await ort.InferenceSession.create(path.join(ws, 'std.onnx'));
    try {
      const x = Float32Array.from(rows.flatMap(([a, b]) => [a, b]));
      const out = await s.run({ x: new ort.Tensor('float32', x, [rows.length, 2]) });
      const y = out[s.outputNames[0]!]!.data as Float32Array;
      evalLogits
        .flat()
        .forEach((v, k) => assert.ok(close(y[k]!, v, 1e-5), `logit ${k}: ${y[k]} vs ${v}`));
    } finally {
      await s.release();
    }
    // dlm predict on the raw CSV: the same probabilities
    const p = dlm(['predict', 'std.dlm', '--weights', fin.runDir, '--input', 'pts.csv'], ws);
    assert.equal(p.code, 0, p.stderr);
    const lines = p.stdout.trim().split('\n').slice(1);
    assert.equal(lines.length, rows.length);
    lines.forEach((l, i) => {
      const ps = l.split(',').slice(1).map(Number);
      const z = evalLogits[i]!;
      const m = Math.max(...z);
      const ez = z.map((v) => Math.exp(v - m));
      const sum = ez[0]! + ez[1]!;
      ps.forEach((v, c) =>
        assert.ok(Math.abs(v - ez[c]! / sum) < 2e-5, `row ${i}: ${v} vs ${ez[c]! / sum}`),
      );
    });
  });
});
