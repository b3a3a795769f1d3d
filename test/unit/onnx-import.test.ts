/**
 * `dlm import`: the torch-exported fixtures (test/fixtures/onnx/gen_onnx.py) become `.dlm` files
 * that check with zero diagnostics (their `weights from` file included) and torch's parameter
 * counts; `dlm export` of the imported model (no --weights: it initializes from its weights file)
 * gives onnxruntime's outputs on the original file; bad input is a one-line message.
 * The round trip (`dlm export --onnx` of the examples, imported again) keeps the summary.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { formatShape } from '../../src/core';
import { importOnnx, OnnxImportError, repeats } from '../../src/interop/onnx/import';
import { decodeModel } from '../../src/interop/onnx/initializers';
import { encode } from '../../src/interop/safetensors';
import { DiskHost, toPosix } from '../../src/engine/host';
import { loadWeightSources } from '../../src/engine/weights';
import { decode, toFloat32 } from '../../src/interop/safetensors';
import { checkFile } from '../../src/language/program';
import { ROOT, TORCH_COUNTS, onnxFixture, type OnnxFixture } from './helpers/onnx-fixtures';
import { runDlm } from './helpers/cli';

const dlm = (args: string[], cwd: string) => runDlm(args, cwd, 300_000);

const ws = mkdtempSync(path.join(tmpdir(), 'dlm-onnx-import-'));
after(() => rmSync(ws, { recursive: true, force: true }));

/** Seeded inputs for every graph input (ids below 10 for int inputs: every vocabulary is at least 10). */
function feeds(file: Uint8Array, batch: number) {
  const g = importOnnx(file).graph;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: Record<string, ort.Tensor> = {};
  for (const i of g.inputs) {
    const dims = i.shape!.map((d, k) => (k === 0 ? batch : d.value!));
    const n = dims.reduce((a, b) => a * b, 1);
    out[i.name] =
      i.elem === 'int'
        ? new ort.Tensor(
            'int64',
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 10))),
            dims,
          )
        : new ort.Tensor(
            'float32',
            Float32Array.from({ length: n }, () => rand() * 2 - 1),
            dims,
          );
  }
  return out;
}

const CONVERTED: OnnxFixture[] = [
  'resnet18',
  'mobilenetv2',
  'unet',
  'vae',
  'lstm',
  'transformer',
  'mha',
  'prenorm',
];

describe('dlm import of models exported by torch.onnx.export', () => {
  for (const name of CONVERTED)
    it(`${name}: checks cleanly, torch's counts, onnxruntime's outputs within 1e-5`, async () => {
      const src = onnxFixture(name);
      const bytes = readFileSync(src);
      const dir = mkdtempSync(path.join(ws, `${name}-`));
      writeFileSync(path.join(dir, `${name}.onnx`), bytes);
      const imp = dlm(['import', `${name}.onnx`, '-o', `${name}.dlm`], dir);
      assert.equal(imp.code, 0, imp.stderr);
      const text = readFileSync(path.join(dir, `${name}.dlm`), 'utf8');
      assert.match(text, new RegExp(`^  weights from "${name}\\.safetensors"$`, 'm'));
      // Checked on disk, with the weights file's header: no diagnostic at all, except the VAE's
      // true lint: its inference graph decodes mu directly (Dense(20) |> Dense(400)), since the
      // sampling step is not in the export.
      const file = toPosix(path.join(dir, `${name}.dlm`));
      const onDisk = checkFile(file, new DiskHost(toPosix(dir)));
      assert.deepEqual(
        onDisk.diagnostics.map((d) => d.code),
        name === 'vae' ? ['DLM300'] : [],
        onDisk.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'),
      );
      const m = onDisk.models[0]!;
      assert.equal(m.totals.trainable, TORCH_COUNTS[name].trainable);
      assert.equal(m.totals.nonTrainable, TORCH_COUNTS[name].buffers);
      // Training starts from the file (the trainer's loadWeightSources): every parameter.
      const init = loadWeightSources(m, toPosix(dir));
      const st = decode(readFileSync(path.join(dir, `${name}.safetensors`)));
      assert.equal(init.size, st.tensors.size);
      for (const [k, t] of st.tensors) assert.deepEqual(init.get(k), toFloat32(t), k);
      // Our export graph, initialized from the weights file by the .dlm itself (no --weights).
      const ex = dlm(['export', `${name}.dlm`, '--onnx', 'ours.onnx'], dir);
      assert.equal(ex.code, 0, ex.stderr);
      await sameOutputs(bytes, readFileSync(path.join(dir, 'ours.onnx')), name);
    });

  it('consecutive identical layers become repeat (the U-Net double convolutions)', () => {
    const r = importOnnx(readFileSync(onnxFixture('unet')), { file: 'unet.onnx' });
    assert.match(
      r.text,
      /h1 = x \|> repeat 2 \(Conv2d\(32, 3, padding=1, bias=false\) \|> BatchNorm2d \|> ReLU\)\n/,
    );
    assert.equal(r.text.match(/repeat 2 \(/g)?.length, 5);
    assert.ok(r.weights.has('repeat0.1.conv2d0.weight'), [...r.weights.keys()].join(' '));
    assert.deepEqual(repeats(['A', 'B', 'A', 'B', 'C', 'C', 'C', 'D']), [
      { start: 0, period: 2, count: 2 },
      { start: 4, period: 1, count: 3 },
      { start: 7, period: 1, count: 1 },
    ]);
  });

  it('residual subgraphs become blocks with parameters, consecutive uses repeat', () => {
    const r = importOnnx(readFileSync(onnxFixture('resnet18')), { file: 'resnet18.onnx' });
    assert.ok(
      r.text.includes(
        'block Residual(out: int)(x) {\n' +
          '  h1 = x |> Conv2d(out, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU\n' +
          '    |> Conv2d(out, 3, padding=1, bias=false) |> BatchNorm2d\n' +
          '  (h1, x) |> Add |> ReLU\n}\n',
      ),
      r.text,
    );
    assert.match(r.text, /\|> repeat 2 Residual\(64\) \|> Residual2\(128\) \|> Residual\(128\)/);
    assert.equal(
      r.text.match(/Residual2\(\d+\)/g)?.join(),
      'Residual2(128),Residual2(256),Residual2(512)',
    );
    assert.ok(r.weights.has('repeat0.1.residual0.batchnorm2d1.running_var'));
    const m = importOnnx(readFileSync(onnxFixture('mobilenetv2')), { file: 'mobilenetv2.onnx' });
    assert.match(m.text, /block Residual\(out: int, out2: int\)\(x\) \{\n/);
    assert.match(m.text, /Conv2d\(out, 3, padding=1, groups=out, bias=false\)/);
    assert.match(m.text, /\|> repeat 3 Residual\(384, 64\)/);
  });

  it('an attention pattern that differs is a message naming the node, op type and step', () => {
    // The mha fixture with q scaled by 3 instead of √8 (its head size): no longer attention.
    const model = decodeModel(readFileSync(onnxFixture('mha')));
    const nodes = model.graph!.node!;
    const div = nodes.find((n) => n.opType === 'Div' && n.input![0]!.includes('Transpose_1'))!;
    const c = nodes.find((n) => n.output![0] === div.input![1])!;
    c.attribute![0]!.t = { dataType: 1, dims: [], floatData: [3] };
    const bytes = onnx.ModelProto.encode(model).finish();
    assert.throws(
      () => importOnnx(bytes, { file: 'mha.onnx' }),
      (e: unknown) =>
        e instanceof OnnxImportError &&
        e.message ===
          `DLM226: node '/attn/Transpose' (Transpose): a transpose (perm 1, 0, 2) with no catalog ` +
            `layer around it (not nn.MultiheadAttention: '${div.name}' scales by 3, not √8 (the head size))`,
    );
  });

  it('bad input is a one-line message, exit 1', () => {
    const dir = mkdtempSync(path.join(ws, 'bad-'));
    writeFileSync(path.join(dir, 'notes.onnx'), 'not a model at all\n');
    writeFileSync(path.join(dir, 'cut.onnx'), readFileSync(onnxFixture('vae')).subarray(0, 5000));
    for (const f of ['notes.onnx', 'cut.onnx', 'missing.onnx']) {
      const r = dlm(['import', f], dir);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^dlm import: .*${f.replace('.', '\\.')}`));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});

/** The summary that must survive the round trip: per layer, its type, output shape and counts. */
function summaryOf(dir: string, file: string, total = false) {
  const r = checkFile(toPosix(path.join(dir, file)), new DiskHost(toPosix(dir)));
  const m = r.models[0]!;
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return {
    layers: m.nodes.map((n) => ({
      layer: n.def.name,
      out: n.outputs.map((o) => formatShape(m.values[o]!.shape!)).join(' '),
      params: n.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
      macs: n.macs.toString(),
    })),
    ...(total
      ? { total: m.totals.trainable + m.totals.nonTrainable }
      : { trainable: m.totals.trainable, nonTrainable: m.totals.nonTrainable }),
  };
}

interface RoundTrip {
  readonly file: string;
  /** Dims known only from data, written in the signature (`dlm export` needs them fixed). */
  readonly fixed?: Readonly<Record<string, number>>;
  /** Edits that make a large model light enough for a unit test (the same layers, smaller sizes). */
  readonly reduce?: readonly (readonly [RegExp, string])[];
  /** Also run the re-exported import against the export in onnxruntime (outputs within 1e-5). */
  readonly outputs?: boolean;
  /** `frozen` is not in ONNX: the import's parameters are all trainable; compare the total. */
  readonly total?: boolean;
  /** Files the example reads (its `import`, its `weights from`). */
  readonly files?: readonly string[];
}

/**
 * Every example in examples/ (the test checks the list is complete). `dlm export` needs every
 * non-batch dim fixed, so an example whose sequence length comes from its data runs with it
 * written in the signature; alexnet and vgg16 run with 256-wide classifiers instead of 4,096
 * (61M and 138M parameters: a 0.25 and 0.55 GB export), gpt2 with 2 layers of width 64 and a
 * vocabulary of 500 (124M parameters), the same model text otherwise.
 */
const ROUND_TRIPS: readonly RoundTrip[] = [
  { file: 'resnet18.dlm' },
  { file: 'autoencoder.dlm' },
  { file: 'dcgan.dlm' },
  { file: 'lenet5.dlm' },
  { file: 'mlp.dlm' },
  { file: 'separable.dlm' },
  { file: 'shallow.dlm' },
  { file: 'spiral.dlm' },
  { file: 'unet.dlm' },
  { file: 'bigru.dlm', fixed: { T: 16 }, outputs: true },
  { file: 'charlstm.dlm', fixed: { T: 16 }, outputs: true },
  { file: 'lstm_classifier.dlm', fixed: { T: 16 }, outputs: true },
  { file: 'transformer.dlm', fixed: { T: 16 }, outputs: true },
  { file: 'alexnet.dlm', reduce: [[/Dense\(4096\)/g, 'Dense(256)']], outputs: true },
  { file: 'vgg16.dlm', reduce: [[/Dense\(4096\)/g, 'Dense(256)']], outputs: true },
  { file: 'mobilenet_v2.dlm', outputs: true },
  { file: 'mobilenet_v3_block.dlm', outputs: true },
  { file: 'vae.dlm', outputs: true },
  { file: 'weight_tying.dlm', outputs: true },
  { file: 'chargpt.dlm', outputs: true },
  {
    file: 'gpt2.dlm',
    fixed: { T: 16 },
    reduce: [
      [/50257/g, '500'],
      [/768, 12, ff=3072/g, '64, 4, ff=256'],
      [/768/g, '64'],
      [/repeat 12/g, 'repeat 2'],
    ],
    outputs: true,
  },
  { file: 'seq2seq_gru.dlm', outputs: true },
  { file: 'vit_tiny.dlm', outputs: true },
  { file: 'wavenet.dlm', fixed: { L: 16 }, outputs: true },
  { file: 'finetune_base.dlm', outputs: true },
  {
    file: 'finetune.dlm',
    files: ['finetune_base.dlm', 'pretrained/fashion_base.safetensors'],
    total: true,
    outputs: true,
  },
];

/** Every output of `back` within 1e-5 of `ref`'s on the same seeded inputs. */
async function sameOutputs(refBytes: Uint8Array, backBytes: Uint8Array, what: string) {
  const ref = await ort.InferenceSession.create(refBytes);
  const ours = await ort.InferenceSession.create(backBytes);
  const x = feeds(refBytes, 2);
  const a = await ref.run(x);
  const b = await ours.run(
    Object.fromEntries(ours.inputNames.map((n, k) => [n, x[ref.inputNames[k]!]!])),
  );
  assert.equal(ours.outputNames.length, ref.outputNames.length);
  ref.outputNames.forEach((n, k) => {
    const ya = a[n]!.data as Float32Array;
    const yb = b[ours.outputNames[k]!]!.data as Float32Array;
    assert.deepEqual(b[ours.outputNames[k]!]!.dims, a[n]!.dims);
    let worst = 0;
    for (let i = 0; i < ya.length; i++)
      worst = Math.max(worst, Math.abs(ya[i]! - yb[i]!) / Math.max(1, Math.abs(ya[i]!)));
    assert.ok(worst <= 1e-5, `${what} output ${n}: max difference ${worst}`);
  });
  await ref.release();
  await ours.release();
}

const strip = (src: string) => src.replace(/^data .*$/gm, '').replace(/^train [\s\S]*?^}/gm, '');

/**
 * `dlm export --onnx` of `src` (written to dir/m.dlm), imported again: the same summary, and with
 * `outputs` the imported weights compute what the export computed. Returns the imported text.
 */
async function roundTrip(dir: string, src: string, rt: RoundTrip): Promise<string> {
  writeFileSync(path.join(dir, 'm.dlm'), src);
  const e = dlm(['export', 'm.dlm', '--onnx', 'm.onnx'], dir);
  assert.equal(e.code, 0, e.stderr);
  const bytes = readFileSync(path.join(dir, 'm.onnx'));
  const back = importOnnx(bytes, { file: 'm.onnx', weightsFile: 'back.safetensors' });
  writeFileSync(path.join(dir, 'back.dlm'), back.text);
  writeFileSync(path.join(dir, 'back.safetensors'), encode(back.weights));
  assert.deepEqual(summaryOf(dir, 'back.dlm', rt.total), summaryOf(dir, 'm.dlm', rt.total));
  if (rt.outputs) {
    // The imported weights compute what the export computed.
    const e2 = dlm(['export', 'back.dlm', '--onnx', 'back.onnx'], dir);
    assert.equal(e2.code, 0, e2.stderr);
    await sameOutputs(bytes, readFileSync(path.join(dir, 'back.onnx')), rt.file);
  }
  return back.text;
}

describe('round trip: dlm export --onnx of the examples, imported again', () => {
  const examples = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.dlm'));

  it('covers every example', () => {
    assert.deepEqual(ROUND_TRIPS.map((r) => r.file).sort(), [...examples].sort());
  });

  for (const rt of ROUND_TRIPS) {
    const notes = [
      rt.fixed &&
        `(${Object.entries(rt.fixed)
          .map(([k, n]) => `${k} = ${n}`)
          .join(', ')})`,
      rt.reduce && '(reduced sizes)',
      rt.total && '(total parameters: frozen is not in ONNX)',
      rt.outputs && 'and outputs',
    ].filter(Boolean);
    it(`${rt.file}: the same layers, shapes and counts ${notes.join(' ')}`, async () => {
      const dir = mkdtempSync(path.join(ws, 'rt-'));
      for (const f of rt.files ?? []) {
        mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        copyFileSync(path.join(ROOT, 'examples', f), path.join(dir, f));
      }
      let src = strip(readFileSync(path.join(ROOT, 'examples', rt.file), 'utf8'));
      for (const [re, to] of rt.reduce ?? []) src = src.replace(re, to);
      for (const [sym, n] of Object.entries(rt.fixed ?? {}))
        src = src.replace(/^model .*$/m, (l) =>
          l.replace(new RegExp(`\\b${sym}\\b`, 'g'), String(n)),
        );
      await roundTrip(dir, src, rt);
    });
  }

  it('attention with a key-padding mask (PaddingMask) and a causal encoder, and outputs', async () => {
    const src = `model Masked(ids: int[B, 12]) -> [B, 3] {
  mask = ids |> PaddingMask(0)
  h = ids |> Embedding(50, 32)
  a = (h, mask) |> MultiHeadAttention(32, heads=4)
  (a, mask) |> TransformerEncoder(32, 4, ff=64, dropout=0, causal=true) |> Mean(axis=1) |> Dense(3)
}
`;
    const back = await roundTrip(mkdtempSync(path.join(ws, 'rt-')), src, {
      file: 'masked',
      outputs: true,
    });
    assert.match(
      back,
      /= \(h\d, (h\d)\) \|> MultiHeadAttention\(32, heads=4\)\n.*= \(h\d, \1\) \|> TransformerEncoder\(.*causal=true\)/,
    );
  });
});
