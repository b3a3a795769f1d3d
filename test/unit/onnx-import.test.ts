/**
 * `dlm import`: the torch-exported fixtures (test/fixtures/onnx/gen_onnx.py) become `.dlm` files
 * that check with zero errors and torch's parameter counts; `dlm export --weights` of the imported
 * model gives onnxruntime's outputs on the original file; bad input is a one-line message.
 * The round trip (`dlm export --onnx` of the examples, imported again) keeps the summary.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { formatShape } from '../../src/core';
import { importOnnx, OnnxImportError, repeats } from '../../src/interop/onnx/import';
import { encode } from '../../src/interop/safetensors';
import { checkText, memoryHost } from '../../src/language/program';
import { ROOT, TORCH_COUNTS, onnxFixture, type OnnxFixture } from './helpers/onnx-fixtures';
import { runDlm } from './helpers/cli';

const dlm = (args: string[], cwd: string) => runDlm(args, cwd, 300_000);

const ws = mkdtempSync(path.join(tmpdir(), 'dlm-onnx-import-'));
after(() => rmSync(ws, { recursive: true, force: true }));

function check(text: string) {
  const r = checkText('/m.dlm', text, memoryHost({ '/m.dlm': text }));
  return { r, m: r.models[0]!, errors: r.diagnostics.filter((d) => d.severity === 'error') };
}

/** Seeded inputs for every graph input (ids for int inputs). */
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
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rand() * 1000))),
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

const CONVERTED: OnnxFixture[] = ['resnet18', 'mobilenetv2', 'unet', 'vae', 'lstm'];

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
      const { m, errors } = check(text);
      assert.deepEqual(errors, []);
      assert.equal(m.totals.trainable, TORCH_COUNTS[name].trainable);
      assert.equal(m.totals.nonTrainable, TORCH_COUNTS[name].buffers);
      // Our export graph with the imported weights, as `dlm export --weights` builds it.
      const ex = dlm(
        ['export', `${name}.dlm`, '--onnx', 'ours.onnx', '--weights', `${name}.safetensors`],
        dir,
      );
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

  it('the transformer stops with a message naming the node, its op type and the reason', () => {
    assert.throws(
      () => importOnnx(readFileSync(onnxFixture('transformer')), { file: 'transformer.onnx' }),
      (e: unknown) =>
        e instanceof OnnxImportError &&
        /^DLM226: node '\/encoder\/layers\.0\/self_attn\/\S+' \(\w+\): /.test(e.message),
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

describe('round trip: dlm export --onnx of the examples, imported again', () => {
  const examples = readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.dlm'));
  for (const ex of ROUND_TRIP) {
    it(`${ex}: the same layers, shapes and counts`, () => {
      assert.ok(examples.includes(ex));
      const dir = mkdtempSync(path.join(ws, 'rt-'));
      writeFileSync(
        path.join(dir, 'm.dlm'),
        readFileSync(path.join(ROOT, 'examples', ex), 'utf8')
          .replace(/^data .*$/gm, '')
          .replace(/^train [\s\S]*?^}/gm, ''),
      );
      const e = dlm(['export', 'm.dlm', '--onnx', 'm.onnx'], dir);
      assert.equal(e.code, 0, e.stderr);
      const back = importOnnx(readFileSync(path.join(dir, 'm.onnx')), { file: 'm.onnx' });
      const original = summaryOf(readFileSync(path.join(dir, 'm.dlm'), 'utf8'));
      const imported = summaryOf(back.text);
      assert.deepEqual(imported, original);
      writeFileSync(path.join(dir, 'w.safetensors'), encode(back.weights));
    });
  }
});
