/** Engine datasets: RNG, generators, bundled sets, file readers, split/batching, fit checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Rng } from '../../src/engine/rng';
import {
  adaptSampleShape,
  batchRanges,
  checkDataFits,
  epochOrder,
  gatherBatch,
  loadDataset,
  resolveDataPath,
  relabelMessage,
  splitDataset,
  summarize,
  type Dataset,
} from '../../src/engine/datasets';
import { SYNTHETIC } from '../../src/engine/datasets/synthetic';
import { parseCsvRecords, readCsv, readCsvFile } from '../../src/engine/datasets/csv';
import { encodeIdx } from '../../src/engine/datasets/idx';
import { encodeNpy } from '../../src/engine/datasets/npy';
import { readText } from '../../src/engine/datasets/text';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'dlm-data-'));

test('rng: reproducible from a seed, state round-trips, uniform/normal moments', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => new Rng(43).nextU32()),
  );
  a.normal();
  const st = a.getState();
  const c = new Rng(st);
  assert.deepEqual([a.normal(), a.next(), a.int(7)], [c.normal(), c.next(), c.int(7)]);
  const r = new Rng(1);
  let s = 0;
  let s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 0.03 && Math.abs(s2 / n - 1) < 0.05);
  const p = new Rng(5).permutation(50);
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test('synthetic generators: deterministic by seed, balanced classes, shapes', () => {
  for (const [name, gen] of Object.entries(SYNTHETIC)) {
    const d1 = gen({ points: 101, seed: 7 });
    const d2 = gen({ points: 101, seed: 7 });
    const d3 = gen({ points: 101, seed: 8 });
    assert.equal(d1.n, 101, name);
    assert.deepEqual(d1.x, d2.x, name);
    assert.notDeepEqual(d1.x, d3.x, name);
    assert.equal(d1.x.length, 101 * d1.xShape.reduce((a, b) => a * b, 1), name);
    if (d1.task === 'classification') {
      const counts = new Array<number>(d1.classes!).fill(0);
      for (const y of d1.y) counts[y]!++;
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${name} balance ${counts}`);
    } else if (d1.task === 'sequence') {
      // Sequences: one label per step, ids below the vocabulary.
      assert.equal(d1.y.length, 101 * d1.yShape[0]!, name);
      assert.ok(
        [...d1.y].every((v) => v >= 0 && v < d1.classes!),
        name,
      );
    } else assert.deepEqual(d1.yShape, [1]);
  }
  assert.equal(SYNTHETIC.Spiral!({ classes: 5, points: 50 }).classes, 5);
  const sine = SYNTHETIC.Sine!({ points: 500, noise: 0 });
  for (let i = 0; i < sine.n; i++) {
    assert.ok(Math.abs(sine.x[i]!) <= Math.PI);
    assert.ok(Math.abs(sine.y[i]! - Math.sin(sine.x[i]!)) < 1e-6);
  }
  const xor = SYNTHETIC.Xor!({ noise: 0 });
  for (let i = 0; i < xor.n; i++)
    assert.equal(xor.y[i], xor.x[2 * i]! * xor.x[2 * i + 1]! > 0 ? 1 : 0);
  const circ = SYNTHETIC.Circles!({ noise: 0, factor: 0.3 });
  const r = Math.hypot(circ.x[circ.x.length - 2]!, circ.x[circ.x.length - 1]!);
  assert.ok(Math.abs(r - 0.3) < 1e-6);
});

test('bundled Digits (1,797 × 64, 10 classes) and Iris (150 × 4, 3 classes)', () => {
  const ctx = { root: '/', baseFile: '/m.dlm' };
  const d = loadDataset({ name: 'Digits' }, ctx);
  assert.equal(d.n, 1797);
  assert.deepEqual(d.xShape, [64]);
  assert.equal(d.x.length, 1797 * 64);
  assert.equal(d.classes, 10);
  assert.ok(d.x.every((v) => v >= 0 && v <= 1));
  assert.equal(Math.max(...d.x), 1);
  const i = loadDataset({ name: 'Iris' }, ctx);
  assert.equal(i.n, 150);
  assert.deepEqual(i.xShape, [4]);
  assert.deepEqual(i.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.ok(Math.abs(i.x[0]! - 5.1) < 1e-6);
  assert.ok(i.standardize);
  // digits [64] → [1, 8, 8] when the model wants it
  const fit = checkDataFits(d, ['B', 1, 8, 8], ['B', 10], 'classification', 'Conv');
  assert.ok(fit.ok);
  assert.deepEqual(fit.sampleShape, [1, 8, 8]);
});

test('CSV: bad rows name the line and column; categorical targets; missing values', () => {
  const text = 'a,b,label\n1,2,cat\n3,4,dog\n\n5,x,cat\n';
  assert.throws(
    () => readCsv(text, 'pets.csv'),
    /pets\.csv line 5, column 'b': 'x' is not a number/,
  );
  assert.throws(
    () => readCsv('a,b,y\n1,2,3\n4,,5\n', 'm.csv'),
    /line 3, column 'b': missing value/,
  );
  assert.throws(
    () => readCsv('a,b,y\n1,2,3\n4,5\n', 'm.csv'),
    /line 3 has 2 fields, but the header has 3/,
  );
  assert.throws(
    () => readCsv('a,b,y\n1,2,3\n', 'm.csv', { target: 'z' }),
    /no column 'z'; columns: 'a', 'b', 'y'/,
  );
  const ok = readCsv('a,"b, quoted",label\r\n1,2,dog\r\n3,4,cat\r\n5,6,dog\r\n', 'p.csv');
  assert.equal(ok.task, 'classification');
  assert.deepEqual(ok.classNames, ['cat', 'dog']);
  assert.deepEqual([...ok.y], [1, 0, 1]);
  assert.deepEqual(ok.featureNames, ['a', 'b, quoted']);
  const reg = readCsv('price,rooms,size\n100,3,50\n200,4,80\n', 'h.csv', { target: 'price' });
  assert.equal(reg.task, 'regression');
  assert.deepEqual([...reg.x], [3, 50, 4, 80]);
  assert.deepEqual([...reg.y], [100, 200]);
  const cat = readCsv('a,y\n1,2\n2,10\n3,2\n', 'c.csv', { categorical: true });
  assert.deepEqual(cat.classNames, ['2', '10']);
});

test('CSV without a header row: a numeric first row is data, and the note says so', () => {
  const ds = readCsv('1.5,2,0\n3,4,1\n5,6,0\n', 'nohead.csv');
  assert.equal(ds.n, 3, 'the first row is a sample, not lost as a header');
  assert.deepEqual([...ds.x], [1.5, 2, 3, 4, 5, 6]);
  assert.deepEqual(ds.featureNames, ['column 1', 'column 2']);
  assert.match(
    ds.notes!.join('\n'),
    /line 1 \(1\.5,2,0\) is all numbers.*no header row.*header=true/,
  );
  // header=true keeps it as column names, but says that it is all numbers
  const kept = readCsv('1.5,2,0\n3,4,1\n5,6,0\n', 'nohead.csv', { header: true });
  assert.equal(kept.n, 2);
  assert.match(kept.notes!.join('\n'), /header row.*is all numbers.*set header=false/);
  // header=false: no note; a named target in a numeric header keeps the header
  assert.ok(!/all numbers/.test(readCsv('1,2\n3,4\n', 'a.csv', { header: false }).notes!.join()));
  assert.equal(readCsv('1,2\n3,4\n5,6\n', 'a.csv', { target: '2' }).n, 2);
});

test('CSV integer targets with a classification loss: the fix is categorical=true', () => {
  const ds = readCsv('a,b,digit\n1,2,3\n3,4,7\n5,6,3\n', 'd.csv');
  assert.equal(ds.task, 'regression');
  const errors = checkDataFits(ds, ['B', 2], ['B', 2], 'classification', 'Net').errors;
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /target column 'digit' holds whole numbers.*add categorical=true/);
  // real-valued targets keep the regression advice
  const real = readCsv('a,b,y\n1,2,0.5\n3,4,7\n', 'r.csv');
  assert.match(
    checkDataFits(real, ['B', 2], ['B', 2], 'classification').errors[0]!,
    /real-valued targets.*use MSE, MAE or Huber/,
  );
});

test('CSV numeric labels renumbered to class ids: the mapping is kept and told', () => {
  const rows = ['a,y'];
  for (let i = 1; i <= 10; i++) rows.push(`${i},${i}`);
  const ds = readCsv(rows.join('\n'), 'ten.csv', { categorical: true });
  assert.deepEqual(ds.relabelled, {
    column: 'y',
    labels: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'],
  });
  assert.deepEqual([...ds.y], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(
    relabelMessage(ds.relabelled!),
    "the labels in target column 'y' are not the class ids 0..9, so they were renumbered: 1→0, 2→1, 3→2, 4→3, 5→4, 6→5, 7→6, 8→7, 9→8, 10→9; the model predicts these class ids (config.json records the mapping under dataset.relabelled)",
  );
  const gap = readCsv('a,y\n1,0\n2,8\n3,10\n', 'gap.csv', { categorical: true });
  assert.deepEqual(gap.relabelled?.labels, ['0', '8', '10']);
  // recorded in the summary that config.json and the started event carry
  assert.deepEqual(summarize(gap, splitDataset(gap, 0, 0)).relabelled, gap.relabelled);
  // labels that already are 0..k-1 are not renumbered
  assert.equal(
    readCsv('a,y\n1,0\n2,1\n3,2\n', 'ok.csv', { categorical: true }).relabelled,
    undefined,
  );
});

test('CSV files are read as a stream: any chunk size gives the same dataset, with progress', () => {
  const ws = tmp();
  try {
    const text =
      '\ufeffa,"b ""q""",label\r\n1,2,café\r\n3,4,"dog\nline"\n\n5,  6 ,café\r7,8,"dog\nline"';
    const file = path.join(ws, 'pets.csv');
    writeFileSync(file, text);
    const whole = readCsv(text, 'pets.csv');
    assert.deepEqual(whole.classNames, ['café', 'dog\nline']);
    assert.deepEqual([...whole.y], [0, 1, 0, 1]);
    assert.deepEqual([...whole.x], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(whole.featureNames, ['a', 'b "q"']);
    const total = Buffer.byteLength(text);
    for (const chunk of [1, 2, 3, 5, 7, 64]) {
      const seen: number[] = [];
      const ds = readCsvFile(
        file,
        'pets.csv',
        {},
        (done, all) => {
          assert.equal(all, total);
          seen.push(done);
        },
        chunk,
      );
      assert.deepEqual(ds, whole, `chunks of ${chunk} bytes`);
      assert.equal(seen.at(-1), total);
      assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]!));
    }
    // the lines of errors are right across chunks
    writeFileSync(file, 'a,b,y\n1,"2\n",3\n4,x,5\n');
    assert.throws(
      () => readCsvFile(file, 'm.csv', {}, undefined, 3),
      /m\.csv line 4, column 'b': 'x'/,
    );
    writeFileSync(file, 'a,b,y\n1,"2,3\n');
    assert.throws(
      () => readCsvFile(file, 'm.csv', {}, undefined, 4),
      /line 2: unterminated quoted field/,
    );
    // records with their lines, as before
    assert.deepEqual(parseCsvRecords('x,y\n\n"1\n2",3\n4,5'), [
      { line: 1, fields: ['x', 'y'] },
      { line: 3, fields: ['1\n2', '3'] },
      { line: 5, fields: ['4', '5'] },
    ]);
    // the memory the dataset takes is stated
    assert.match(whole.notes!.join('\n'), /4 rows × 2 features: 0\.0 KiB in memory/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('CSV standardization uses training-split statistics only', () => {
  const rows = ['x,y'];
  for (let i = 0; i < 100; i++) rows.push(`${i},${i % 2 ? 'a' : 'b'}`);
  const ds = readCsv(rows.join('\n'), 's.csv');
  const split = splitDataset(ds, 0.3, 1);
  const st = split.standardization!;
  const trainRaw = [...split.train.x].map((v) => v * st.std[0]! + st.mean[0]!);
  const mean = trainRaw.reduce((a, b) => a + b, 0) / trainRaw.length;
  assert.ok(Math.abs(mean - st.mean[0]!) < 1e-3);
  const tm = [...split.train.x].reduce((a, b) => a + b, 0) / split.train.n;
  assert.ok(Math.abs(tm) < 1e-5, 'train split has mean 0');
  const vm = [...split.validation!.x].reduce((a, b) => a + b, 0) / split.validation!.n;
  assert.ok(Math.abs(vm) > 1e-4, 'validation is standardized with train statistics, not its own');
});

test('idx (+ .gz) and .npy round trips through files in the workspace', () => {
  const ws = tmp();
  try {
    const n = 5;
    const img = Uint8Array.from({ length: n * 4 * 3 }, (_, i) => (i * 7) % 256);
    writeFileSync(path.join(ws, 'im.idx3-ubyte.gz'), gzipSync(encodeIdx([n, 4, 3], img)));
    writeFileSync(path.join(ws, 'lb.idx1-ubyte'), encodeIdx([n], Uint8Array.from([0, 1, 2, 9, 1])));
    const ctx = { root: ws, baseFile: path.join(ws, 'm.dlm') };
    const d = loadDataset(
      { name: 'Idx', args: { images: 'im.idx3-ubyte.gz', labels: 'lb.idx1-ubyte' } },
      ctx,
    );
    assert.deepEqual(d.xShape, [1, 4, 3]);
    assert.equal(d.classes, 10);
    assert.ok(Math.abs(d.x[5]! - 35 / 255) < 1e-7);
    writeFileSync(path.join(ws, 'bad.idx'), encodeIdx([n + 1], new Uint8Array(n + 1)));
    assert.throws(
      () =>
        loadDataset({ name: 'Idx', args: { images: 'im.idx3-ubyte.gz', labels: 'bad.idx' } }, ctx),
      /5 images but bad\.idx has 6 labels/,
    );

    const xs = Array.from({ length: 12 }, (_, i) => i / 4);
    for (const [dt, ver] of [
      ['<f4', 1],
      ['<f8', 2],
      ['<i4', 3],
      ['|u1', 1],
    ] as const) {
      writeFileSync(
        path.join(ws, 'x.npy'),
        encodeNpy([3, 4], dt === '<i4' || dt === '|u1' ? xs.map(Math.floor) : xs, dt, ver),
      );
      writeFileSync(path.join(ws, 'y.npy'), encodeNpy([3], [0, 2, 1], '<i8', ver));
      const nd = loadDataset({ name: 'Npy', args: { x: 'x.npy', y: 'y.npy' } }, ctx);
      assert.deepEqual(nd.xShape, [4]);
      assert.equal(nd.x[5], dt === '<i4' || dt === '|u1' ? 1 : 1.25);
      assert.equal(nd.task, 'classification');
      assert.equal(nd.classes, 3);
    }
    writeFileSync(path.join(ws, 'y.npy'), encodeNpy([3, 1], [0.5, 1, 2], '<f4'));
    const rd = loadDataset({ name: 'Npy', args: { x: 'x.npy', y: 'y.npy' } }, ctx);
    assert.equal(rd.task, 'regression');
    assert.deepEqual(rd.yShape, [1]);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('text: vocabulary and next-character windows', () => {
  const d = readText('abcabd', 't.txt', 3);
  assert.deepEqual(d.classNames, ['a', 'b', 'c', 'd']);
  assert.equal(d.n, 3);
  assert.deepEqual([...d.x.subarray(0, 3)], [0, 1, 2]);
  assert.deepEqual([...d.y.subarray(0, 3)], [1, 2, 0]);
  assert.deepEqual([...d.y.subarray(6, 9)], [0, 1, 3]);
  assert.throws(() => readText('ab', 't.txt', 3), /needs at least 4/);
});

test('split, per-epoch shuffle, batching with drop_last, gather', () => {
  const ds = SYNTHETIC.Gaussians!({ points: 103, seed: 1 });
  const s1 = splitDataset(ds, 0.2, 9);
  const s2 = splitDataset(ds, 0.2, 9);
  assert.equal(s1.validation!.n, 20);
  assert.equal(s1.train.n, 83);
  assert.deepEqual(s1.train.x, s2.train.x);
  assert.notDeepEqual(splitDataset(ds, 0.2, 10).train.x, s1.train.x);
  assert.deepEqual(batchRanges(10, 4, false), [
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  assert.deepEqual(batchRanges(10, 4, true), [
    [0, 4],
    [4, 8],
  ]);
  const rng = new Rng(3);
  const o1 = epochOrder(10, true, rng);
  const o2 = epochOrder(10, true, rng);
  assert.notDeepEqual(o1, o2);
  assert.deepEqual([...epochOrder(4, false, rng)], [0, 1, 2, 3]);
  const xb = new Float32Array(4);
  const yb = new BigInt64Array(2);
  const tiny: Dataset = {
    name: 't',
    n: 3,
    x: Float32Array.from([1, 2, 3, 4, 5, 6]),
    xShape: [2],
    y: Int32Array.from([7, 8, 9]),
    yShape: [],
    task: 'classification',
  };
  gatherBatch(tiny, [2, 0, 1], 0, 2, xb, yb);
  assert.deepEqual([...xb], [5, 6, 1, 2]);
  assert.deepEqual([...yb], [9n, 7n]);
  assert.deepEqual(adaptSampleShape([64], ['B' as unknown as number, 8, 8].slice(1)), [8, 8]);
  assert.equal(adaptSampleShape([64], [63]), undefined);
});

test('checkDataFits: precise messages before training', () => {
  const csv = readCsv('a,b,c,d,e,f,g,price\n' + '1,2,3,4,5,6,7,8\n', 'houses.csv', {
    target: 'price',
  });
  const r = checkDataFits(csv, ['B', 8], ['B', 1], 'regression', 'House');
  assert.deepEqual(r.errors, [
    "Csv 'houses.csv' has 7 feature columns, but model House takes [B, 8]",
  ]);
  const sp = SYNTHETIC.Spiral!({});
  assert.deepEqual(checkDataFits(sp, ['B', 2], ['B', 4], 'classification', 'Net').errors, [
    'Spiral has 3 classes but model Net outputs [B, 4]',
  ]);
  assert.match(
    checkDataFits(sp, ['B', 2], ['B', 3], 'regression').errors[0]!,
    /classification dataset.*CrossEntropy/,
  );
  assert.ok(checkDataFits(sp, ['B', 2], ['B', 3], 'classification').ok);
  assert.match(
    checkDataFits(SYNTHETIC.Sine!({}), ['B', 1], ['B', 2], 'regression', 'R').errors[0]!,
    /Sine has 1 target per sample, but model R outputs \[B, 2\]/,
  );
});

test('data paths stay inside the workspace (.., absolute, symlink escapes)', () => {
  const ws = tmp();
  const outside = tmp();
  try {
    mkdirSync(path.join(ws, 'sub'));
    writeFileSync(path.join(ws, 'sub', 'ok.csv'), 'a,b\n1,2\n');
    writeFileSync(path.join(outside, 'secret.csv'), 'a,b\n1,2\n');
    symlinkSync(path.join(outside, 'secret.csv'), path.join(ws, 'link.csv'));
    const base = path.join(ws, 'sub', 'm.dlm');
    assert.equal(resolveDataPath(ws, base, 'ok.csv'), path.join(ws, 'sub', 'ok.csv'));
    assert.equal(resolveDataPath(ws, base, '../sub/ok.csv'), path.join(ws, 'sub', 'ok.csv'));
    assert.throws(() => resolveDataPath(ws, base, '../../x.csv'), /outside the workspace/);
    assert.throws(
      () => resolveDataPath(ws, base, path.join(outside, 'secret.csv')),
      /absolute path/,
    );
    assert.throws(() => resolveDataPath(ws, base, 'C:\\data\\x.csv'), /absolute path/);
    assert.throws(() => resolveDataPath(ws, base, '../link.csv'), /link that leads outside/);
    assert.throws(() => resolveDataPath(ws, base, 'missing.csv'), /does not exist/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});
