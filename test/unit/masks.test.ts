/**
 * Attention masks: `PaddingMask(pad)` from token ids, a key-padding mask as the last input of
 * MultiHeadAttention and TransformerEncoder (ids or floats, from the ids or a model input),
 * combined with `causal=true`; the checker's rules and messages; then the forward pass in real
 * PyTorch (the exported model.py: `key_padding_mask` / `src_key_padding_mask`) against our eval
 * graph within 1e-5, on ids padded at the end. The loss side (`ignore_index`) and training parity
 * are in losses-ignore.test.ts and pytorch-train.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatShape } from '../../src/core';
import { checkText, memoryHost } from '../../src/language/program';
import { PY, runTorchCases, writeTorchCase } from './helpers/torchExport';

const F = '/w/a.dlm';
const check = (text: string) => checkText(F, text, memoryHost({ [F]: text }, '/w'));
const codes = (text: string) => check(text).diagnostics.map((d) => d.code);

/** Ids padded with 0 at the end: sample 0 keeps `a` tokens, sample 1 keeps `b`. */
function padded(t: number, a: number, b: number, vocab: number): number[] {
  return [a, b].flatMap((keep, s) =>
    Array.from({ length: t }, (_, j) => (j < keep ? 1 + ((5 * j + 3 * s + 1) % (vocab - 1)) : 0)),
  );
}

const ENCODER = (extra: string) => `model Enc(x: int[B, 8]) -> [B, 8, 11] {
  m = x |> PaddingMask(0)
  h = x |> Embedding(11, 12, padding_idx=0)
  (h, m) |> TransformerEncoder(12, 3, ff=16, dropout=0${extra}) |> Dense(11)
}
`;

describe('key-padding masks in the checker', () => {
  it('PaddingMask maps ids [N, T] to a mask [N, T] with no parameters', () => {
    const r = check(ENCODER(''));
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      [],
    );
    const m = r.models[0]!;
    const pm = m.nodes.find((n) => n.def.name === 'PaddingMask')!;
    assert.equal(formatShape(m.values[pm.outputs[0]!]!.shape!), '[B, 8]');
    // Embedding 11·12, encoder 4·(144 + 12) + 2·12·16 + 16 + 12 + 4·12, Dense 12·11 + 11
    assert.equal(m.totals.trainable, 132 + 624 + 384 + 28 + 48 + 143);
    const enc = m.nodes.find((n) => n.def.name === 'TransformerEncoder')!;
    assert.equal(enc.inputs.length, 2);
  });

  it('self-attention and cross-attention take the mask last; an int mask input is no DLM110', () => {
    assert.deepEqual(
      codes(`model M(x: [B, T, 16], mask: int[B, T]) -> [B, T, 16] {
  (x, mask) |> MultiHeadAttention(16, heads=4)
}
`),
      [],
    );
    assert.deepEqual(
      codes(`model M(q: [B, 5, 16], kv: [B, 7, 16], mask: [B, 7]) -> [B, 5, 16] {
  (q, kv, kv, mask) |> MultiHeadAttention(16, heads=4, causal=true)
}
`),
      [],
    );
  });

  it('a mask of the wrong length is DLM104 at the layer, naming both sizes', () => {
    const r = check(`model M(x: [B, 10, 16], mask: [B, 9]) -> [B, 10, 16] {
  (x, mask) |> MultiHeadAttention(16, heads=4)
}
`);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['DLM104'],
    );
    assert.match(r.diagnostics[0]!.message, /key-padding mask \[B, 9\] must be .*\[B, 10\]/);
    const cross = check(`model M(q: [B, 5, 16], kv: [B, 7, 16], mask: [B, 5]) -> [B, 5, 16] {
  (q, kv, kv, mask) |> MultiHeadAttention(16)
}
`);
    assert.match(cross.diagnostics[0]!.message, /\[B, 5\] must be .*\[B, 7\]/);
  });

  it('two sequences stay DLM020 and mention the mask; a rank-3 second input to the encoder is DLM101', () => {
    const two = check(`model M(x: [B, 4, 8], y: [B, 4, 8]) -> [B, 4, 8] {
  (x, y) |> MultiHeadAttention(8)
}
`);
    assert.deepEqual(
      two.diagnostics.map((d) => d.code),
      ['DLM020'],
    );
    assert.match(two.diagnostics[0]!.message, /key-padding mask/);
    assert.deepEqual(
      codes(`model M(x: [B, 4, 8], y: [B, 4, 8]) -> [B, 4, 8] {
  (x, y) |> TransformerEncoder(8, 2)
}
`),
      ['DLM101'],
    );
  });

  it('PaddingMask takes ids: float features are DLM110, a rank-3 input DLM101', () => {
    assert.deepEqual(
      codes(`model M(x: float[B, 4]) -> [B, 4] {
  x |> PaddingMask(0)
}
`),
      ['DLM110'],
    );
    assert.deepEqual(
      codes(`model M(x: int[B, 4, 2]) -> [B, 4, 2] {
  x |> PaddingMask(0)
}
`),
      ['DLM101'],
    );
  });
});

const hasTorch = spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
describe(
  'key-padding masks in real PyTorch',
  { skip: hasTorch ? false : `${PY} has no torch` },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-masks-'));
    after(() => (process.env['KEEP'] ? undefined : rmSync(dir, { recursive: true, force: true })));
    it('equal torch’s forward within 1e-5, alone and with causal=true (post-norm and pre-norm)', async () => {
      const ids = { 0: { data: padded(8, 5, 7, 11), ids: true } };
      const post = check(ENCODER(''));
      const causal = check(ENCODER(', causal=true, norm_first=true'));
      const mha = check(`model Mha(x: int[B, 8]) -> [B, 8, 12] {
  m = x |> PaddingMask(0)
  h = x |> Embedding(11, 12)
  (h, m) |> MultiHeadAttention(12, heads=3, causal=true)
}
`);
      const cross = check(`model Cross(q: [B, 3, 8], kv: [B, 5, 8], mask: int[B, 5]) -> [B, 3, 8] {
  (q, kv, kv, mask) |> MultiHeadAttention(8, heads=2)
}
`);
      const mask = [0, 0, 0, 1, 1, 0, 0, 0, 0, 1];
      const cases = [
        await writeTorchCase(dir, 'post', post, post.models[0]!, ids),
        await writeTorchCase(dir, 'causal', causal, causal.models[0]!, ids),
        await writeTorchCase(dir, 'mha', mha, mha.models[0]!, ids),
        await writeTorchCase(dir, 'cross', cross, cross.models[0]!, {
          2: { data: mask, ids: true },
        }),
      ];
      const results = runTorchCases(dir, cases);
      for (const c of cases) {
        const r = results.get(c.id)!;
        assert.equal(r['error'], undefined, `${c.id}: ${r['error']}`);
        assert.equal(r['trainable'], c.model.totals.trainable, `${c.id}: trainable`);
        assert.ok((r['worst'] as number) <= 1, `${c.id}: forward differs (${r['worst']})`);
      }
    });
  },
);
