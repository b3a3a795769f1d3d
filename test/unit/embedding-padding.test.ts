/**
 * Embedding `padding_idx` against nn.Embedding (test/fixtures/torch/embedding_padding.json, from
 * gen_embedding_padding.py with torch 1.13): PyTorch zeroes the padding row at construction and
 * its gradient is zero, so it stays zero through training (AdamW with weight decay included).
 * Our initial weights and a trained checkpoint must agree; the exported model and `dlm predict`
 * use the raw weights, so a zero row is what makes them agree with training.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import '../../src/engine/compile';
import { initParams } from '../../src/compiler/init';
import { checkFile, memoryHost } from '../../src/language/program';
import { runTraining, type EmitEvent } from '../../src/engine/loop';
import type { EventOf } from '../../src/engine/protocol';
import { loadCheckpoint } from '../../src/engine/runs';

interface Case {
  vocab: number;
  dim: number;
  padding_idx: number;
  row: number;
  init_row: number[];
  other_rows_all_zero: boolean;
  grad_row: number[];
  trained_row: number[];
}
const fx = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/torch/embedding_padding.json'), 'utf8'),
) as { cases: Case[] };

const rows = (w: Float32Array, dim: number, r: number) =>
  Array.from(w.subarray(r * dim, (r + 1) * dim));

for (const c of fx.cases)
  test(`Embedding(${c.vocab}, ${c.dim}, padding_idx=${c.padding_idx}) starts with PyTorch's zero row ${c.row}`, () => {
    const r = checkFile(
      '/ws/m.dlm',
      memoryHost(
        {
          '/ws/m.dlm': `model M(x: [B, T]) { x |> Embedding(${c.vocab}, ${c.dim}, padding_idx=${c.padding_idx}) }`,
        },
        '/ws',
      ),
    );
    assert.deepEqual(
      r.diagnostics.map((d) => d.message),
      [],
    );
    const node = r.models[0]!.nodes.find((n) => n.def.name === 'Embedding')!;
    for (const seed of [0, 1, 7]) {
      const [w] = initParams(node.params, seed);
      assert.deepEqual(rows(w!, c.dim, c.row), c.init_row, `seed ${seed}: padding row`);
      for (let i = 0; i < c.vocab; i++)
        if (i !== c.row)
          assert.equal(
            rows(w!, c.dim, i).every((v) => v === 0),
            c.other_rows_all_zero,
            `row ${i}`,
          );
    }
  });

test('training keeps the padding row at zero (AdamW with weight decay), as PyTorch does', async () => {
  const c = fx.cases.find((k) => k.padding_idx < 0)!;
  assert.ok(c.grad_row.every((v) => v === 0) && c.trained_row.every((v) => v === 0));
  const ws = mkdtempSync(path.join(tmpdir(), 'dlm-pad-'));
  try {
    // 6 distinct characters: ids 0..5; padding_idx=-2 is id 4 ('e'), which the text contains.
    writeFileSync(path.join(ws, 't.txt'), 'abcdef'.repeat(1) + 'eeabcfed'.repeat(30));
    writeFileSync(
      path.join(ws, 'model.dlm'),
      `data text = Text("t.txt", seq_len=8)
model Net(x: [B, T]) -> [B, T, ${c.vocab}] {
  x |> Embedding(${c.vocab}, ${c.dim}, padding_idx=${c.padding_idx}) |> Dense(${c.vocab})
}
train Net {
  data = text
  loss = CrossEntropy
  optimizer = AdamW(lr=0.1, weight_decay=0.1)
  epochs = 2
  batch = 4
  validation = 0
}
`,
    );
    const events: EmitEvent[] = [];
    await runTraining(
      {
        type: 'start',
        v: 1,
        workspaceRoot: ws,
        modelPath: 'model.dlm',
        model: 'Net',
        threads: 1,
        stepEventInterval: 0,
      },
      { paused: false, stopRequested: false, waitWhilePaused: () => Promise.resolve() },
      (e) => events.push(e),
    );
    const err = events.find((e) => e.type === 'error');
    if (err) assert.fail(`training failed: ${JSON.stringify(err)}`);
    const fin = events.find((e): e is EventOf<'finished'> => e.type === 'finished')!;
    assert.ok(fin.step > 10, `trained ${fin.step} steps`);
    const ck = loadCheckpoint(path.join(fin.runDir, 'last.safetensors'), ws);
    const w = ck.tensors.find((t) => /embedding.*\.weight$/i.test(t.name));
    assert.ok(w, `no embedding weight in ${ck.tensors.map((t) => t.name).join(', ')}`);
    assert.deepEqual(rows(w.data, c.dim, c.row), c.trained_row, 'padding row after training');
    assert.ok(
      rows(w.data, c.dim, 0).some((v) => v !== 0),
      'other rows train',
    );
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
