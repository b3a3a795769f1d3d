/**
 * CSV column groups (`Csv(…, inputs=("user: age..hours", "shop: shop"))`): a model with several
 * inputs trains on one CSV file, each group feeding the model input of its name. Checked here:
 * the group syntax and its diagnostics, the reader, the standardization (ids stay ids), and
 * `dlm train` → `dlm predict` end to end, against a forward pass written out by hand from the
 * run's checkpoint and config.json.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readCsv } from '../../src/engine/datasets/csv';
import { featureStats } from '../../src/engine/datasets/pipeline';
import { decode, toFloat32 } from '../../src/interop/safetensors';
import { parseColumnGroups, resolveColumnGroups } from '../../src/language/columns';
import { checkText, memoryHost } from '../../src/language/program';
import { runDlm } from './helpers/cli';

describe('column group syntax', () => {
  it('parses names, single columns and ranges', () => {
    const r = parseColumnGroups(['user: age..hours', ' shop : shop, extra ']);
    assert.ok(r.ok);
    assert.deepEqual(r.groups, [
      { name: 'user', items: [{ kind: 'range', from: 'age', to: 'hours' }] },
      {
        name: 'shop',
        items: [
          { kind: 'column', name: 'shop' },
          { kind: 'column', name: 'extra' },
        ],
      },
    ]);
    assert.ok(parseColumnGroups('x: a').ok);
  });

  for (const [value, message] of [
    [['user age'], /needs the form "name: columns"/],
    [['9x: a'], /needs the form "name: columns"/],
    [['a: x', 'a: y'], /'a' is given twice/],
    [['a: x,,y'], /empty column name/],
    [['a: x..'], /range 'x\.\.' needs a first and a last column/],
    [[3], /takes column groups as strings/],
    [[], /takes column groups as strings/],
  ] as const)
    it(`refuses ${JSON.stringify(value)}`, () => {
      const r = parseColumnGroups(value);
      assert.ok(!r.ok);
      assert.match(r.message, message);
    });

  it('resolves against a header: order, ranges, and every mistake named', () => {
    const header = ['age', 'income', 'hours', 'shop', 'extra', 'clicked'];
    const groups = (v: string[]) => {
      const r = parseColumnGroups(v);
      assert.ok(r.ok);
      return r.groups;
    };
    const ok = resolveColumnGroups(groups(['u: age..hours', 's: extra, shop']), header, 5, 'f.csv');
    assert.deepEqual(ok, {
      ok: true,
      columns: [
        [0, 1, 2],
        [4, 3],
      ],
    });
    const bad = (v: string[]) => {
      const r = resolveColumnGroups(groups(v), header, 5, 'f.csv');
      assert.ok(!r.ok);
      return r.message;
    };
    assert.match(
      bad(['u: incom']),
      /f\.csv has no column 'incom' \(column group 'u'\); did you mean 'income'\?/,
    );
    assert.match(bad(['u: hours..age']), /range 'hours\.\.age' runs backwards/);
    assert.match(bad(['u: age..clicked']), /includes the target column 'clicked'/);
    assert.match(
      bad(['u: age..hours', 'v: income']),
      /'income' is in two column groups, 'u' and 'v'/,
    );
  });
});

const MODEL = `data clicks = Csv("clicks.csv", target="clicked", categorical=true, inputs=("user: age..hours", "shop: shop"))

model Wide(user: [B, 3], shop: int[B, 1]) -> [B, 2] {
  s = shop |> Embedding(5, 4) |> Flatten
  (user |> Dense(8) |> ReLU, s) |> Concat |> Dense(2)
}

train Wide {
  data = clicks
  loss = CrossEntropy
  optimizer = Adam(lr=0.01)
  epochs = 3
  batch = 32
}
`;

function diagnostics(text: string) {
  const host = memoryHost({ '/ws/m.dlm': text, '/ws/clicks.csv': '' }, '/ws');
  return checkText('/ws/m.dlm', text, host).diagnostics.map((d) => ({
    code: d.code,
    at: text.slice(d.span.start, d.span.end),
    message: d.message,
  }));
}

describe('column groups in the checker', () => {
  it('a model fed by its column groups checks cleanly', () => {
    assert.deepEqual(diagnostics(MODEL), []);
  });

  it('DLM210 at the inputs value when a group is malformed', () => {
    const text = MODEL.replace('"user: age..hours"', '"user age..hours"');
    const d = diagnostics(text).filter((x) => x.code === 'DLM210');
    assert.equal(d.length, 1);
    assert.equal(d[0]!.at, '("user age..hours", "shop: shop")');
    assert.match(d[0]!.message, /needs the form "name: columns"/);
  });

  it('binds groups by name: a model input without a group, a group without an input', () => {
    const text = MODEL.replace('"shop: shop"', '"store: shop"');
    const d = diagnostics(text);
    assert.ok(
      d.some(
        (x) => x.code === 'DLM130' && /model input 'shop' of Wide gets no data/.test(x.message),
      ),
      JSON.stringify(d),
    );
    assert.ok(d.some((x) => x.code === 'DLM131' && /gives the input 'store'/.test(x.message)));
  });

  it('a listed group of the wrong width is DLM132; a range is left to the trainer', () => {
    const text = MODEL.replace('"user: age..hours"', '"user: age, income"');
    const d = diagnostics(text).filter((x) => x.code === 'DLM132');
    assert.equal(d.length, 1);
    assert.match(
      d[0]!.message,
      /gives 'user' as samples of shape \[2\], but Wide takes user: \[B, 3\]/,
    );
  });

  it('a several-input model on a Csv without groups says how to give them', () => {
    const text = MODEL.replace(', inputs=("user: age..hours", "shop: shop")', '');
    const d = diagnostics(text).filter((x) => x.code === 'DLM130');
    assert.equal(d.length, 1);
    assert.match(d[0]!.message, /Csv\(…, inputs=\(…\)\) with a column group per input/);
  });
});

const CSV_HEADER = 'age,income,hours,shop,extra,clicked';

/** A seeded table: the label depends on both inputs, so a model must use both to learn it. */
function table(n: number, seed = 1): string {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const rows = [CSV_HEADER];
  for (let i = 0; i < n; i++) {
    const a = rnd() * 3 + 40;
    const b = rnd() * 2;
    const h = rnd();
    const shop = Math.floor(((rnd() + 1) / 2) * 5);
    const y = a - 40 + 0.5 * b + (shop >= 3 ? 1 : 0) > 0.3 ? 1 : 0;
    rows.push(`${a.toFixed(4)},${b.toFixed(4)},${h.toFixed(4)},${shop},${rnd().toFixed(3)},${y}`);
  }
  return rows.join('\n') + '\n';
}

describe('the Csv reader with column groups', () => {
  it('packs the groups in order, as named inputs, and says which columns are not used', () => {
    const groups = parseColumnGroups(['user: age..hours', 'shop: shop']);
    assert.ok(groups.ok);
    const ds = readCsv(table(20), 'clicks.csv', {
      target: 'clicked',
      categorical: true,
      inputs: groups.groups,
    });
    assert.deepEqual(ds.parts, [
      { name: 'user', shape: [3], ids: false },
      { name: 'shop', shape: [1], ids: false },
    ]);
    assert.deepEqual(ds.xShape, [4]);
    assert.deepEqual(ds.featureNames, ['age', 'income', 'hours', 'shop']);
    const first = table(20).split('\n')[1]!.split(',').map(Number);
    assert.deepEqual(
      Array.from(ds.x.subarray(0, 4)),
      [first[0]!, first[1]!, first[2]!, first[3]!].map(Math.fround),
    );
    assert.ok(ds.notes?.some((n) => n === "column 'extra' is in no column group, so not used"));
  });

  it('a group naming a missing column fails when the file is read, naming both', () => {
    const groups = parseColumnGroups(['user: age..hours', 'shop: shops']);
    assert.ok(groups.ok);
    assert.throws(
      () => readCsv(table(5), 'clicks.csv', { target: 'clicked', inputs: groups.groups }),
      /clicks\.csv has no column 'shops' \(column group 'shop'\); did you mean 'shop'\?/,
    );
  });

  it('standardization leaves the values of an ids input as they are', () => {
    const groups = parseColumnGroups(['user: age..hours', 'shop: shop']);
    assert.ok(groups.ok);
    const ds = readCsv(table(50), 'clicks.csv', { target: 'clicked', inputs: groups.groups });
    const st = featureStats({
      ...ds,
      parts: ds.parts!.map((p) => ({ ...p, ids: p.name === 'shop' })),
    });
    assert.equal(st.mean[3], 0);
    assert.equal(st.std[3], 1);
    assert.ok(Math.abs(st.mean[0]! - 40) < 1.5, `age mean ${st.mean[0]}`);
    assert.notEqual(st.std[0], 1);
  });
});

describe('dlm train and dlm predict on column groups', () => {
  it('trains, and predicts from raw rows by column name as the checkpoint computes by hand', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'dlm-groups-'));
    writeFileSync(path.join(ws, 'clicks.csv'), table(300));
    writeFileSync(path.join(ws, 'm.dlm'), MODEL);
    const tr = runDlm(['train', 'm.dlm', '--json'], ws, 180_000);
    assert.equal(tr.code, 0, tr.stderr);
    const run = path.join(ws, '.dlm', 'runs', readdirSync(path.join(ws, '.dlm', 'runs'))[0]!);
    // New rows, with the columns in another order and a column the model does not use.
    const rows = table(6, 7)
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    const shuffled = [
      'clicked,shop,extra,hours,income,age',
      ...rows.map((r) => [r[5], r[3], r[4], r[2], r[1], r[0]].join(',')),
    ];
    writeFileSync(path.join(ws, 'new.csv'), shuffled.join('\n') + '\n');
    const pr = runDlm(['predict', 'm.dlm', '--weights', run, '--input', 'new.csv'], ws);
    assert.equal(pr.code, 0, pr.stderr);
    const out = pr.stdout.trim().split('\n');
    assert.equal(out[0], 'class,p_0,p_1');

    // The same forward pass by hand: standardize user with config.json, look shop up, Dense/ReLU,
    // Concat, Dense, softmax.
    const cfg = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')) as {
      dataset: { standardization: { mean: number[]; std: number[] } };
    };
    const { mean, std } = cfg.dataset.standardization;
    assert.equal(mean[3], 0);
    assert.equal(std[3], 1);
    const w = decode(readFileSync(path.join(run, 'best.safetensors'))).tensors;
    const get = (name: string) => Array.from(toFloat32(w.get(name)!));
    const emb = get('embedding0.weight');
    const w1 = get('dense0.weight');
    const b1 = get('dense0.bias');
    const w2 = get('dense1.weight');
    const b2 = get('dense1.bias');
    rows.forEach((r, i) => {
      const u = [0, 1, 2].map((j) => (r[j]! - mean[j]!) / std[j]!);
      const h = b1.map((b, o) => Math.max(0, b + u.reduce((a, x, j) => a + x * w1[o * 3 + j]!, 0)));
      const z = [...h, ...emb.slice(r[3]! * 4, r[3]! * 4 + 4)];
      const logits = b2.map((b, o) => b + z.reduce((a, x, j) => a + x * w2[o * 12 + j]!, 0));
      const m = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - m));
      const p = e.map((x) => x / (e[0]! + e[1]!));
      const got = out[i + 1]!.split(',').map(Number);
      assert.equal(got[0], p[1]! > p[0]! ? 1 : 0, `row ${i}`);
      assert.ok(
        Math.abs(got[1]! - p[0]!) < 1e-5 && Math.abs(got[2]! - p[1]!) < 1e-5,
        `row ${i}: ${got} vs ${p}`,
      );
    });
  });
});
