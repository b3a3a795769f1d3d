/**
 * `weights from "file"` in the checker: files on a real disk through the confined host (the one
 * the language server and the CLI use), every mismatch a diagnostic at its place, and the header
 * read without the tensor data. Also `frozen`: summary counts and shared-layer agreement.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { DiskHost, toPosix } from '../../src/engine/host';
import { loadWeightSources } from '../../src/engine/weights';
import { encode, f32Tensor } from '../../src/interop/safetensors';
import type { CheckResult } from '../../src/language/checked';
import { checkFile } from '../../src/language/program';
import type { ModelItem } from '../../src/language/ast';
import { parse } from '../../src/language/parser';
import { summarize } from '../../src/language/summary';
import { codeLenses } from '../../src/ide/codelens';
import { hover } from '../../src/ide/hover';
import { buildGraphData } from '../../src/views/graphData';

const ws = mkdtempSync(path.join(tmpdir(), 'dlm-wfrom-'));
const outside = mkdtempSync(path.join(tmpdir(), 'dlm-wfrom-out-'));
after(() => {
  rmSync(ws, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const ones = (shape: number[], v = 1) =>
  f32Tensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v));

/** A 2-layer MLP 4 → 8 → 3 under our names (dense0, dense1). */
function mlpFile(extra: Record<string, number[]> = {}, wrongShape = false): Uint8Array {
  const t: [string, ReturnType<typeof ones>][] = [
    ['dense0.weight', ones([8, 4], 0.5)],
    ['dense0.bias', ones([8], 0.25)],
    ['dense1.weight', ones(wrongShape ? [3, 9] : [3, 8], 2)],
    ['dense1.bias', ones([3], 3)],
  ];
  for (const [k, s] of Object.entries(extra)) t.push([k, ones(s)]);
  return encode(t);
}

function check(name: string, src: string): CheckResult {
  const f = path.join(ws, name);
  writeFileSync(f, src);
  const host = new DiskHost(toPosix(ws));
  return checkFile(toPosix(f), host);
}

const codes = (r: CheckResult) => r.diagnostics.map((d) => d.code);
const at = (r: CheckResult, code: string) => {
  const d = r.diagnostics.find((x) => x.code === code);
  assert.ok(d, `no ${code} in ${JSON.stringify(r.diagnostics.map((x) => x.message))}`);
  const text = r.files.values().next().value!.text;
  return { d, text: text.slice(d.span.start, d.span.end) };
};

const MLP = (weights: string) => `model M(x: [B, 4]) -> [B, 3] {
  ${weights}
  x |> Dense(8) |> ReLU |> Dense(3)
}
`;

describe('weights from: parsing', () => {
  it('reads the path and the mapping; weights alone stays a name', () => {
    const f = parse(
      'model M(x: [B, 4]) {\n weights from "a.safetensors" { "features." -> "base0.", "fc." -> "dense0." }\n weights = x |> Dense(2)\n weights\n}\n',
      'a.dlm',
    );
    assert.deepEqual(f.errors, []);
    const body = (f.items[0] as ModelItem).body.stmts;
    assert.deepEqual(
      body.map((s) => s.kind),
      ['Weights', 'Bind', 'ExprStmt'],
    );
  });
  it('a missing arrow or path is a syntax error', () => {
    const f = parse('model M(x: [B, 4]) {\n weights from { "a." "b." }\n x\n}\n', 'a.dlm');
    assert.ok(f.errors.some((e) => /file path string after 'weights from'/.test(e.message)));
    assert.ok(f.errors.some((e) => /expected '->'/.test(e.message)));
  });
});

describe('weights from: checker diagnostics', () => {
  it('a file that matches exactly gives no diagnostic', () => {
    writeFileSync(path.join(ws, 'good.safetensors'), mlpFile());
    const r = check('good.dlm', MLP('weights from "good.safetensors"'));
    assert.deepEqual(codes(r), []);
  });

  it('missing file: DLM060 on the path', () => {
    const r = check('missing.dlm', MLP('weights from "nope.safetensors"'));
    const { d, text } = at(r, 'DLM060');
    assert.equal(text, '"nope.safetensors"');
    assert.match(d.message, /does not exist/);
  });

  it('damaged file: DLM061 on the path, naming the problem', () => {
    const good = mlpFile();
    writeFileSync(path.join(ws, 'cut.safetensors'), good.subarray(0, 20));
    const r = check('cut.dlm', MLP('weights from "cut.safetensors"'));
    const { d, text } = at(r, 'DLM061');
    assert.equal(text, '"cut.safetensors"');
    assert.match(d.message, /truncated|neither a safetensors file nor an ONNX model/);
    writeFileSync(path.join(ws, 'text.safetensors'), 'hello, I am not weights');
    const r2 = check('text.dlm', MLP('weights from "text.safetensors"'));
    assert.match(at(r2, 'DLM061').d.message, /neither a safetensors file nor an ONNX model/);
  });

  it('outside the workspace: DLM203 for ../, DLM207 for a link leading out', () => {
    writeFileSync(path.join(outside, 'w.safetensors'), mlpFile());
    const rel = path.relative(ws, path.join(outside, 'w.safetensors'));
    const r = check('out.dlm', MLP(`weights from "${rel}"`));
    assert.equal(at(r, 'DLM203').text, `"${rel}"`);
    mkdirSync(path.join(ws, 'linked'), { recursive: true });
    symlinkSync(path.join(outside, 'w.safetensors'), path.join(ws, 'linked', 'w.safetensors'));
    const r2 = check('link.dlm', MLP('weights from "linked/w.safetensors"'));
    assert.equal(at(r2, 'DLM207').text, '"linked/w.safetensors"');
    mkdirSync(path.join(ws, 'adir.safetensors'), { recursive: true });
    const r3 = check('dir.dlm', MLP('weights from "adir.safetensors"'));
    assert.equal(at(r3, 'DLM208').text, '"adir.safetensors"');
  });

  it('shape mismatch: DLM062 on the layer, related to the file reference', () => {
    writeFileSync(path.join(ws, 'shape.safetensors'), mlpFile({}, true));
    const r = check('shape.dlm', MLP('weights from "shape.safetensors"'));
    const { d, text } = at(r, 'DLM062');
    assert.equal(text, 'Dense(3)');
    assert.match(d.message, /'dense1\.weight' in shape\.safetensors is \[3, 9\] but .*\[3, 8\]/);
    assert.equal(d.related?.[0]?.message, "weights from 'shape.safetensors'");
  });

  it('name mismatch: unused tensors listed (DLM063), missing parameters on their layer (DLM064)', () => {
    writeFileSync(
      path.join(ws, 'names.safetensors'),
      encode([
        ['dense0.weight', ones([8, 4])],
        ['dense0.bias', ones([8])],
        ['fc.weight', ones([3, 8])],
        ['fc.bias', ones([3])],
        ['bn.num_batches_tracked', ones([1])],
      ]),
    );
    const r = check('names.dlm', MLP('weights from "names.safetensors"'));
    const unused = at(r, 'DLM063');
    assert.equal(unused.text, '"names.safetensors"');
    assert.match(unused.d.message, /2 tensors .* 'fc\.weight', 'fc\.bias'/);
    assert.doesNotMatch(unused.d.message, /num_batches_tracked/);
    const missing = at(r, 'DLM064');
    assert.equal(missing.text, 'Dense(3)');
    assert.match(missing.d.message, /no 'dense1\.weight', 'dense1\.bias'/);
    // The mapping fixes it.
    const r2 = check(
      'names2.dlm',
      MLP('weights from "names.safetensors" { "dense0." -> "dense0.", "fc." -> "dense1." }'),
    );
    assert.deepEqual(codes(r2), []);
  });

  it('a mapping that matches nothing, and two files for one parameter: DLM065', () => {
    writeFileSync(path.join(ws, 'good2.safetensors'), mlpFile());
    const r = check(
      'dead.dlm',
      MLP('weights from "good2.safetensors" { "features." -> "dense0.", "dense1." -> "dense1." }'),
    );
    const { d, text } = at(r, 'DLM065');
    assert.equal(text, '"features." -> "dense0."');
    assert.match(d.message, /no tensor of good2\.safetensors starts with "features\."/);
    const r2 = check(
      'twice.dlm',
      MLP(
        'weights from "good.safetensors"\n  weights from "good2.safetensors" { "dense1." -> "dense1." }',
      ),
    );
    assert.match(at(r2, 'DLM065').d.message, /'dense1\.(weight|bias)' is also given by/);
  });

  it('weights from in a block or an if branch: DLM065', () => {
    const r = check(
      'block.dlm',
      'block B(x) {\n  weights from "good.safetensors"\n  x |> Dense(3)\n}\nmodel M(x: [B, 4]) { x |> B }\n',
    );
    assert.match(at(r, 'DLM065').d.message, /belongs in a model body/);
  });

  it('reads only the header: tensor data beyond it is never needed', () => {
    // The checker's result does not change when every data byte is overwritten (the file's
    // checksum then fails): it never looked at them.
    const bytes = mlpFile();
    const f = path.join(ws, 'hdr.safetensors');
    writeFileSync(f, bytes);
    const r = check('hdr.dlm', MLP('weights from "hdr.safetensors"'));
    assert.deepEqual(codes(r), []);
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const damaged = Uint8Array.from(bytes);
    damaged.fill(0xff, 8 + n); // the tensor data (its checksum no longer matches)
    writeFileSync(f, damaged);
    const r2 = check('hdr2.dlm', MLP('weights from "hdr.safetensors"'));
    assert.deepEqual(codes(r2), []);
    // Loading the values does read the data, and the checksum catches it.
    assert.throws(() => loadWeightSources(r2.models[0]!, ws), /damaged: checksum/);
  });

  it('ONNX initializers are matched too', () => {
    const init = (name: string, dims: number[]) =>
      onnx.TensorProto.create({
        name,
        dims,
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5).buffer),
      });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      graph: onnx.GraphProto.create({
        name: 'g',
        initializer: [
          init('dense0.weight', [8, 4]),
          init('dense0.bias', [8]),
          init('dense1.weight', [3, 7]),
          init('dense1.bias', [3]),
        ],
      }),
    });
    writeFileSync(path.join(ws, 'm.onnx'), onnx.ModelProto.encode(model).finish());
    const r = check('onnx.dlm', MLP('weights from "m.onnx"'));
    assert.deepEqual(codes(r), ['DLM062']);
    assert.match(at(r, 'DLM062').d.message, /'dense1\.weight' in m\.onnx is \[3, 7\]/);
  });
});

describe('weights from: loading the values', () => {
  it('the mapped tensors become the parameters, the rest keep their initializers', () => {
    const r = check('load.dlm', MLP('weights from "good.safetensors" { "dense1." -> "dense1." }'));
    assert.deepEqual(codes(r), []);
    const v = loadWeightSources(r.models[0]!, ws);
    assert.deepEqual([...v.keys()].sort(), ['dense1.bias', 'dense1.weight']);
    assert.ok(v.get('dense1.weight')!.every((x) => x === 2));
    assert.ok(v.get('dense1.bias')!.every((x) => x === 3));
  });
});

describe('frozen: counts', () => {
  it('frozen parameters are non-trainable; buffers stay apart', () => {
    const r = check(
      'frozen.dlm',
      `block Base(x) {
  x |> Conv2d(4, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU
}
model F(x: [B, 1, 8, 8]) -> [B, 10] {
  x |> frozen Base |> Flatten |> Dense(10)
}
model T(x: [B, 1, 8, 8]) -> [B, 10] {
  x |> Base |> Flatten |> Dense(10)
}
`,
    );
    assert.deepEqual(codes(r), []);
    const [f, t] = r.models;
    // Conv 1·4·9 = 36, BN weight/bias 8 (+ 8 running stats), Dense 256·10 + 10 = 2,570.
    assert.deepEqual(
      {
        trainable: t!.totals.trainable,
        nonTrainable: t!.totals.nonTrainable,
        frozen: t!.totals.frozen,
      },
      { trainable: 2614, nonTrainable: 8, frozen: 0 },
    );
    assert.deepEqual(
      {
        trainable: f!.totals.trainable,
        nonTrainable: f!.totals.nonTrainable,
        frozen: f!.totals.frozen,
      },
      { trainable: 2570, nonTrainable: 52, frozen: 44 },
    );
    assert.deepEqual(
      f!.nodes.map((n) => [n.def.name, n.frozen]),
      [
        ['Conv2d', true],
        ['BatchNorm2d', true],
        ['ReLU', true],
        ['Flatten', false],
        ['Dense', false],
      ],
    );
    // The block template is shared between the frozen and the trained use: T stays unfrozen.
    assert.ok(t!.nodes.every((n) => !n.frozen));
  });

  it('a frozen use of a block after a trained one (template cache) freezes only that use', () => {
    const r = check(
      'frozen2.dlm',
      `block Base(x) { x |> Dense(4) |> ReLU }
model M(x: [B, 4]) { x |> Base |> frozen Base |> (Base |> Dense(2)) }
`,
    );
    assert.deepEqual(codes(r), []);
    assert.deepEqual(
      r.models[0]!.nodes.filter((n) => n.def.name === 'Dense').map((n) => n.frozen),
      [false, true, false, false],
    );
  });

  it('frozen model, frozen group, frozen repeat, frozen layer', () => {
    const r = check(
      'frozen3.dlm',
      `frozen model A(x: [B, 4]) { x |> Dense(4) |> ReLU |> Dense(2) }
model G(x: [B, 4]) { x |> frozen (Dense(4) |> ReLU) |> frozen repeat 2 (Dense(4) |> ReLU) |> Dense(2) }
model L(x: [B, 4]) {
  frozen layer enc = Dense(4)
  x |> enc |> ReLU |> enc |> ReLU |> Dense(2)
}
`,
    );
    assert.deepEqual(codes(r), []);
    const [a, g, l] = r.models;
    assert.equal(a!.totals.trainable, 0);
    assert.equal(a!.totals.frozen, 30);
    assert.deepEqual(
      g!.nodes.filter((n) => n.def.name === 'Dense').map((n) => n.frozen),
      [true, true, true, false],
    );
    assert.equal(l!.totals.frozen, 20); // counted once
    assert.equal(l!.totals.trainable, 10);
  });

  it('a shared layer frozen at one use and trained at another: DLM066', () => {
    const r = check(
      'frozen4.dlm',
      `model M(x: [B, 4]) {
  layer enc = Dense(4)
  x |> frozen enc |> ReLU |> enc
}
`,
    );
    const { d, text } = at(r, 'DLM066');
    assert.equal(text, 'enc');
    assert.match(d.message, /trained here but frozen at its first use/);
  });

  it('a train section on a model with nothing to train: DLM067', () => {
    const r = check(
      'frozen5.dlm',
      `frozen model A(x: [B, 2]) -> [B, 3] { x |> Dense(3) }
train A {
  data = Spiral(points=60)
  loss = CrossEntropy
}
`,
    );
    assert.equal(at(r, 'DLM067').text, 'A');
  });
});

describe('frozen: summary, hover, code lens and graph', () => {
  const src = `block Base(x) {
  x |> Conv2d(4, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU
}
model F(x: [B, 1, 8, 8]) -> [B, 10] {
  x |> frozen Base |> Flatten |> Dense(10)
}
`;
  it('summary rows and totals count frozen parameters as non-trainable', () => {
    const r = check('view.dlm', src);
    const s = summarize(r.models[0]!, { batch: 1 });
    assert.equal(s.totals.trainable, 2570);
    assert.equal(s.totals.nonTrainable, 52);
    const conv = s.rows.find((row) => row.layer === 'Conv2d')!;
    assert.deepEqual(conv.params, { trainable: 0, nonTrainable: 36 });
  });
  it('the code lens shows params + frozen + buffers; hover says frozen and gives the names', () => {
    const r = check('view2.dlm', src);
    const file = r.files.keys().next().value!;
    const lens = codeLenses(r, file, 'file:///view2.dlm');
    assert.ok(
      lens.some((l) => l.title.startsWith('2,570 params + 44 frozen + 8 buffers')),
      JSON.stringify(lens.map((l) => l.title)),
    );
    const text = r.files.get(file)!.text;
    const h = hover(r, file, text.indexOf('Conv2d') + 1)!;
    assert.match(h.markdown, /❄ \*\*Frozen\*\*: its 36 parameters are not trained/);
    assert.match(h.markdown, /`base0\.conv2d0\.weight`/);
    assert.match(h.markdown, /weight` 4·1·3·3 = 36 \(frozen\)/);
    assert.match(h.markdown, /\*\*Parameters\*\* 36 \(frozen: none trained\)/);
  });
  it('hover on a frozen block use counts its parameters as non-trainable', () => {
    const r = check('view4.dlm', src);
    const file = r.files.keys().next().value!;
    const text = r.files.get(file)!.text;
    const h = hover(r, file, text.indexOf('frozen Base') + 'frozen '.length + 1)!;
    // Conv 36 + BatchNorm 8 frozen, its 8 running statistics: none of the 52 trained.
    assert.match(
      h.markdown,
      /\*\*This use\*\*: 3 layers, 52 parameters \(0 trainable, 52 non-trainable\), frozen/,
    );
  });
  it('graph data marks frozen nodes and the frozen block instance', () => {
    const r = check('view3.dlm', src);
    const g = buildGraphData(r.models[0]!, [], {
      shapeStyle: 'brackets',
      macsOrFlops: 'macs',
    });
    const byType = new Map(g.nodes.map((n) => [n.type, n]));
    assert.equal(byType.get('Conv2d')!.frozen, true);
    assert.equal(byType.get('BatchNorm2d')!.frozen, true);
    assert.equal(byType.get('Dense')!.frozen, undefined);
    assert.deepEqual(byType.get('Conv2d')!.params, {
      trainable: 0,
      nonTrainable: 36,
      text: '36',
    });
    assert.equal(g.groups[0]!.frozen, true);
  });
});

describe('examples/finetune.dlm', () => {
  it('checks clean against the committed pretrained base: 330 trained, 4,848 frozen, 96 buffers', () => {
    const root = path.join(__dirname, '..', '..');
    const host = new DiskHost(toPosix(root));
    const r = checkFile(toPosix(path.join(root, 'examples/finetune.dlm')), host);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.code} ${d.message}`),
      [],
    );
    const m = r.models.find((x) => x.name === 'DigitsFinetune')!;
    assert.deepEqual(
      [m.totals.trainable, m.totals.frozen, m.totals.nonTrainable - m.totals.frozen],
      [330, 4848, 96],
    );
    const v = loadWeightSources(m, root);
    assert.deepEqual([...v.keys()].sort(), [
      'base0.batchnorm2d0.bias',
      'base0.batchnorm2d0.running_mean',
      'base0.batchnorm2d0.running_var',
      'base0.batchnorm2d0.weight',
      'base0.batchnorm2d1.bias',
      'base0.batchnorm2d1.running_mean',
      'base0.batchnorm2d1.running_var',
      'base0.batchnorm2d1.weight',
      'base0.conv2d0.weight',
      'base0.conv2d1.weight',
    ]);
  });
});
