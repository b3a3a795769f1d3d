/**
 * Several inputs from NumPy: `Npy(x="pairs.npz", y="pairs_y.npy")`, each array of the archive a
 * named input. The fixtures are written by NumPy itself (test/fixtures/npz/gen_npz.py): `np.savez`
 * (stored members with ZIP64 extra fields) and `np.savez_compressed` (deflated).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseNpz, readNpy } from '../../src/engine/datasets/npy';
import { DataError } from '../../src/engine/datasets/types';
import { checkText, memoryHost } from '../../src/language/program';
import { runDlm } from './helpers/cli';

const DIR = path.join(__dirname, '..', 'fixtures', 'npz');
const bytes = (f: string) => new Uint8Array(readFileSync(path.join(DIR, f)));

describe('.npz archives written by NumPy', () => {
  it('np.savez and np.savez_compressed give the same named arrays', () => {
    const stored = parseNpz(bytes('pairs.npz'), 'pairs.npz');
    const deflated = parseNpz(bytes('pairs_compressed.npz'), 'pairs_compressed.npz');
    assert.deepEqual(
      stored.map((a) => [a.name, a.array.kind, a.array.shape]),
      [
        ['src', 'i', [256, 4]],
        ['tgt_in', 'i', [256, 4]],
        ['scale', 'f', [256, 2]],
      ],
    );
    assert.deepEqual(deflated, stored);
  });

  it('an archive is several named inputs: ids for integer arrays, packed one row per sample', () => {
    const ds = readNpy(bytes('pairs.npz'), bytes('pairs_y.npy'), { x: 'pairs.npz', y: 'y.npy' });
    assert.deepEqual(ds.parts, [
      { name: 'src', shape: [4], ids: true },
      { name: 'tgt_in', shape: [4], ids: true },
      { name: 'scale', shape: [2], ids: false },
    ]);
    assert.deepEqual(ds.xShape, [10]);
    assert.equal(ds.task, 'sequence');
    assert.deepEqual(ds.yShape, [4]);
    // The generator's task: y is src reversed, tgt_in is 5 then y shifted right.
    for (let s = 0; s < ds.n; s++) {
      const row = Array.from(ds.x.subarray(s * 10, s * 10 + 10));
      const y = Array.from(ds.y.subarray(s * 4, s * 4 + 4));
      assert.deepEqual(y, row.slice(0, 4).reverse());
      assert.deepEqual(row.slice(4, 8), [5, ...y.slice(0, 3)]);
    }
    assert.match(ds.featureDescription!, /inputs src \[4\], tgt_in \[4\], scale \[2\]/);
  });

  it('damaged archives are clear messages', () => {
    const whole = bytes('pairs_compressed.npz');
    const cases: [Uint8Array, RegExp][] = [
      [whole.subarray(0, whole.length - 40), /pairs\.npz is not an \.npz file|damaged/],
      [
        new TextEncoder().encode('a,b\n1,2\n'),
        /pairs\.npz is not an \.npz file \(no zip directory found\)/,
      ],
      [bytes('pairs_y.npy'), /pairs\.npz is not an \.npz file/],
    ];
    for (const [buf, re] of cases)
      assert.throws(
        () => parseNpz(buf, 'pairs.npz'),
        (e: unknown) => e instanceof DataError && re.test(e.message),
      );
    // A member cut short: the data runs past the end of the file.
    const cut = new Uint8Array(whole);
    const dv = new DataView(cut.buffer);
    // Find the first central directory entry and enlarge its compressed size.
    let p = cut.length - 22;
    while (dv.getUint32(p, true) !== 0x06054b50) p--;
    const dir = dv.getUint32(p + 16, true);
    dv.setUint32(dir + 20, 1 << 20, true);
    assert.throws(() => parseNpz(cut, 'pairs.npz'), /'src\.npy' is cut short/);
  });
});

const MODEL = `data pairs = Npy(x="seq.npz", y="pairs_y.npy")

model Rev(src: int[B, 4], tgt_in: int[B, 4]) -> [B, 4, 5] {
  (_enc, h) = src |> Embedding(5, 16) |> GRU(32, return_state=true)
  (tgt_in |> Embedding(6, 16), h) |> GRU(32) |> Dense(5)
}

train Rev {
  data = pairs
  loss = CrossEntropy
  optimizer = Adam(lr=0.02)
  epochs = 12
  batch = 32
  validation = 0.1
  seed = 1
  metrics = [accuracy]
}
`;

describe('an encoder–decoder on an .npz archive', () => {
  it('checks without binding errors (the names are in the file)', () => {
    const host = memoryHost({ '/w/m.dlm': MODEL, '/w/seq.npz': '', '/w/pairs_y.npy': '' }, '/w');
    assert.deepEqual(
      checkText('/w/m.dlm', MODEL, host).diagnostics.map((d) => `${d.code} ${d.message}`),
      [],
    );
  });

  it('trains from the CLI: inputs bound by name, accuracy well above chance', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'dlm-npz-'));
    for (const f of ['seq.npz', 'pairs_y.npy']) cpSync(path.join(DIR, f), path.join(ws, f));
    writeFileSync(path.join(ws, 'm.dlm'), MODEL);
    const r = runDlm(['train', 'm.dlm', '--json', '--threads', '2'], ws, 240_000);
    assert.equal(r.code, 0, r.stderr);
    const epochs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; valAcc?: number; trainLoss?: number })
      .filter((e) => e.type === 'epoch');
    assert.equal(epochs.length, 12);
    // Chance is 1/5 per step; reversing 4 symbols from the encoder state is learnable.
    assert.ok(epochs.at(-1)!.valAcc! > 0.6, `validation accuracy ${epochs.at(-1)!.valAcc}`);
    assert.ok(epochs.at(-1)!.trainLoss! < epochs[0]!.trainLoss!);
  });

  it('an archive array no model input takes stops the run, naming it', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'dlm-npz-'));
    for (const f of ['pairs.npz', 'pairs_y.npy']) cpSync(path.join(DIR, f), path.join(ws, f));
    writeFileSync(path.join(ws, 'm.dlm'), MODEL.replace('seq.npz', 'pairs.npz'));
    const r = runDlm(['train', 'm.dlm'], ws, 120_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /gives the input 'scale', but Rev has no input of that name/);
  });
});
