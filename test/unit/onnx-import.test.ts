/**
 * `dlm import`: the torch-exported fixtures (test/fixtures/onnx/gen_onnx.py) become `.dlm` files
 * that check with zero diagnostics (their `weights from` file included) and torch's parameter
 * counts; `dlm export` of the imported model (no --weights: it initializes from its weights file)
 * gives onnxruntime's outputs on the original file; bad input is a one-line message.
 * The round trip (`dlm export --onnx` of the examples, imported again) keeps the summary.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
import { checkFile, checkText, memoryHost } from '../../src/language/program';
import { ROOT, TORCH_COUNTS, onnxFixture, type OnnxFixture } from './helpers/onnx-fixtures';
import { runDlm } from './helpers/cli';

const dlm = (args: string[], cwd: string) => runDlm(args, cwd, 300_000);

const ws = mkdtempSync(path.join(tmpdir(), 'dlm-onnx-import-'));
after(() => rmSync(ws, { recursive: true, force: true }));

function check(text: string) {
  const r = checkText('/m.dlm', text, memoryHost({ '/m.dlm': text }));
  return { r, m: r.models[0]!, errors: r.diagnostics.filter((d) => d.severity === 'error') };
}

/** Seeded inputs for every graph input (ids below 20 for int inputs: every vocabulary is larger). */
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
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 20))),
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

/**
 * Examples whose export is one native operator per layer. Not yet: alexnet and vgg16 (their
 * Dropout has no node in the export), vae (Reparameterize), weight_tying (shared layers), and the layers exported as
 * `dlm.layers` functions (docs/onnx-import.md).
 */
const ROUND_TRIP = [
  'resnet18.dlm',
  'autoencoder.dlm',
  'dcgan.dlm',
  'lenet5.dlm',
  'mlp.dlm',
  'separable.dlm',
  'shallow.dlm',
  'spiral.dlm',
  'unet.dlm',
];

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
      const ref = await ort.InferenceSession.create(bytes);
      const ours = await ort.InferenceSession.create(readFileSync(path.join(dir, 'ours.onnx')));
      const x = feeds(bytes, 2);
      const oursFeeds = Object.fromEntries(
        ours.inputNames.map((n, k) => [n, x[ref.inputNames[k]!]!]),
      );
      const a = await ref.run(x);
      const b = await ours.run(oursFeeds);
      assert.equal(ours.outputNames.length, ref.outputNames.length);
      ref.outputNames.forEach((n, k) => {
        const ya = a[n]!.data as Float32Array;
        const yb = b[ours.outputNames[k]!]!.data as Float32Array;
        assert.deepEqual(b[ours.outputNames[k]!]!.dims, a[n]!.dims);
        let worst = 0;
        for (let i = 0; i < ya.length; i++)
          worst = Math.max(worst, Math.abs(ya[i]! - yb[i]!) / Math.max(1, Math.abs(ya[i]!)));
        assert.ok(worst <= 1e-5, `${name} output ${n}: max difference ${worst}`);
      });
      await ref.release();
      await ours.release();
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
function summaryOf(text: string) {
  const { m, errors } = check(text);
  assert.deepEqual(errors, []);
  return {
    layers: m.nodes.map((n) => ({
      layer: n.def.name,
      out: n.outputs.map((o) => formatShape(m.values[o]!.shape!)).join(' '),
      params: n.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
      macs: n.macs.toString(),
    })),
    trainable: m.totals.trainable,
    nonTrainable: m.totals.nonTrainable,
  };
}

/**
 * Examples whose sequence length is known only from their data: the export needs a fixed length,
 * so the round trip runs with it written in the signature (T = 16), and checks that the imported
 * weights compute what the export computed (their layers are `dlm.layers` functions).
 */
const ROUND_TRIP_FIXED_T = ['bigru.dlm', 'charlstm.dlm', 'lstm_classifier.dlm', 'transformer.dlm'];

describe('round trip: dlm export --onnx of the examples, imported again', () => {
  const examples = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.dlm'));
  for (const ex of [...ROUND_TRIP, ...ROUND_TRIP_FIXED_T]) {
    const fixed = ROUND_TRIP_FIXED_T.includes(ex);
    it(`${ex}: the same layers, shapes and counts${fixed ? ' (T = 16), and outputs' : ''}`, async () => {
      assert.ok(examples.includes(ex));
      const dir = mkdtempSync(path.join(ws, 'rt-'));
      let src = readFileSync(path.join(ROOT, 'examples', ex), 'utf8')
        .replace(/^data .*$/gm, '')
        .replace(/^train [\s\S]*?^}/gm, '');
      if (fixed) src = src.replace(/^model .*$/m, (l) => l.replace(/\bT\b/g, '16'));
      writeFileSync(path.join(dir, 'm.dlm'), src);
      const e = dlm(['export', 'm.dlm', '--onnx', 'm.onnx'], dir);
      assert.equal(e.code, 0, e.stderr);
      const bytes = readFileSync(path.join(dir, 'm.onnx'));
      const back = importOnnx(bytes, { file: 'm.onnx', weightsFile: 'back.safetensors' });
      const original = summaryOf(src);
      const imported = summaryOf(back.text);
      assert.deepEqual(imported, original);
      if (!fixed) return;
      // The imported weights (recurrent gates, attention) compute what the export computed.
      writeFileSync(path.join(dir, 'back.dlm'), back.text);
      writeFileSync(path.join(dir, 'back.safetensors'), encode(back.weights));
      const e2 = dlm(['export', 'back.dlm', '--onnx', 'back.onnx'], dir);
      assert.equal(e2.code, 0, e2.stderr);
      const ref = await ort.InferenceSession.create(bytes);
      const ours = await ort.InferenceSession.create(readFileSync(path.join(dir, 'back.onnx')));
      const x = feeds(bytes, 2);
      const a = await ref.run(x);
      const b = await ours.run(
        Object.fromEntries(ours.inputNames.map((n, k) => [n, x[ref.inputNames[k]!]!])),
      );
      const ya = a[ref.outputNames[0]!]!.data as Float32Array;
      const yb = b[ours.outputNames[0]!]!.data as Float32Array;
      assert.equal(ya.length, yb.length);
      let worst = 0;
      for (let i = 0; i < ya.length; i++) worst = Math.max(worst, Math.abs(ya[i]! - yb[i]!));
      assert.ok(worst <= 1e-5, `${ex}: max difference ${worst}`);
      await ref.release();
      await ours.release();
    });
  }

  it('an example that does not come back is a message, not a crash (vit_tiny)', () => {
    const dir = mkdtempSync(path.join(ws, 'rt-'));
    writeFileSync(
      path.join(dir, 'm.dlm'),
      readFileSync(path.join(ROOT, 'examples', 'vit_tiny.dlm'), 'utf8')
        .replace(/^data .*$/gm, '')
        .replace(/^train [\s\S]*?^}/gm, ''),
    );
    const e = dlm(['export', 'm.dlm', '--onnx', 'm.onnx'], dir);
    assert.equal(e.code, 0, e.stderr);
    // Its shape plumbing divided a symbolic dim by itself, which recursed without end.
    assert.throws(
      () => importOnnx(readFileSync(path.join(dir, 'm.onnx')), { file: 'm.onnx' }),
      (err: unknown) =>
        err instanceof OnnxImportError &&
        /^DLM222: node 'expand0' \(Expand_expand0\)/.test(err.message),
    );
  });
});
