/**
 * Learned tensors (`param cls = Parameter([1, 1, D])`, `Expand`) and weight tying across layer
 * kinds (`Dense(V, tie=embed)`): counts, qualified names, diagnostics, hover, graph data and the
 * summary; then the forward pass in real PyTorch (the exported model.py with strict loading)
 * against our eval graph within 1e-5, for a learned tensor that broadcasts and expands to the
 * batch, and for an output layer tied to an Embedding. Training parity of the tied model is in
 * pytorch-train.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lowerModel, nodePrefixes, tiedAliases } from '../../src/compiler/forward';
import { hover } from '../../src/ide/hover';
import { checkText, memoryHost } from '../../src/language/program';
import { formatSummaryText, summarize } from '../../src/language/summary';
import { buildGraphData } from '../../src/views/graphData';
import { pathToFileURL } from 'node:url';
import type { GraphData } from '../../webview/protocol';
import { StdioServer } from './helpers/stdioServer';
import { PY, runTorchCases, writeTorchCase } from './helpers/torchExport';

const F = '/w/a.dlm';
const check = (text: string) => checkText(F, text, memoryHost({ [F]: text }, '/w'));
const OPTS = { shapeStyle: 'brackets', macsOrFlops: 'macs' } as const;
const at = (text: string, needle: string, k = 0): number => {
  let i = -1;
  for (let n = 0; n <= k; n++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  return i + 1;
};

const TOKENS = `model Tokens(x: [B, 4, 8]) -> [B, 5, 8] {
  param cls = Parameter([1, 1, 8], init="zeros")
  param pos = Parameter([1, 5, 8], std=0.5)
  c = (cls, x) |> Expand
  h = (c, x) |> Concat(axis=1)
  (h, pos) |> Add |> Dense(8)
}
`;

const TIED = `model TiedLM(x: int[B, T]) -> [B, T, 20] {
  layer embed = Embedding(20, 8)
  x |> embed
    |> TransformerEncoder(8, 2, ff=16, dropout=0, causal=true)
    |> Dense(20, tie=embed)
}
`;

describe('learned tensors', () => {
  it('are counted under their binding and shaped as declared; Expand takes the batch', () => {
    const r = check(TOKENS);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      [],
    );
    const m = r.models[0]!;
    // 8 (cls) + 40 (pos) + 8·8 + 8 (Dense)
    assert.equal(m.totals.trainable, 120);
    const prefixes = nodePrefixes(m);
    const fw = lowerModel(m, { training: true, dims: { B: 3 } });
    assert.deepEqual(
      fw.params.map((p) => `${p.name} [${p.shape.join(', ')}]`),
      ['cls [1, 1, 8]', 'pos [1, 5, 8]', 'dense0.weight [8, 8]', 'dense0.bias [8]'],
    );
    assert.deepEqual(
      m.nodes.filter((n) => n.binding).map((n) => prefixes[n.id]),
      ['cls', 'pos'],
    );
    const expand = m.nodes.find((n) => n.def.name === 'Expand')!;
    assert.equal(m.values[expand.outputs[0]!]!.shape!.join(','), 'B,1,8');
  });

  it('inside a block: one tensor per block instance, named by the block path', () => {
    const src = `block Tok(d: int)(x: [B, T, D]) {
  param cls = Parameter([1, 1, D])
  ((cls, x) |> Expand, x) |> Concat(axis=1)
}
model M(x: [B, 3, 4]) { x |> Tok(1) |> Tok(2) }
`;
    const r = check(src);
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const m = r.models[0]!;
    assert.equal(m.totals.trainable, 8);
    const fw = lowerModel(m, { training: false, dims: { B: 1 } });
    assert.deepEqual(
      fw.params.map((p) => p.name),
      ['tok0.cls', 'tok1.cls'],
    );
  });

  it('report a param that is not a Parameter (DLM040), a bad shape and a wrong Expand', () => {
    const r = check(`model M(x: [B, 4, 8]) {
  param a = Dense(3)
  param b = Parameter([1, 0, 8])
  param c = Parameter([2, 1, 8])
  (c, x) |> Expand
}
`);
    const codes = r.diagnostics.map((d) => d.code);
    assert.ok(codes.includes('DLM040'), codes.join());
    assert.ok(codes.includes('DLM109'), codes.join());
    const e = r.diagnostics.find((d) => d.code === 'DLM104')!;
    assert.match(e.message, /size 1 on axis 0/);
  });

  it('hover shows a learned tensor’s shape and count; graph and summary show it', () => {
    const r = check(TOKENS);
    const md = hover(r, F, at(TOKENS, 'pos', 1), OPTS)?.markdown ?? '';
    assert.match(md, /\*\*learned tensor\*\* `?pos`?: `?\[1, 5, 8\]/);
    assert.match(md, /\*\*Parameters\*\* 40 \(1·5·8, trainable; init `?N\(0, 0\.5²\)/);
    const g = buildGraphData(r.models[0]!, r.diagnostics, { ...OPTS, files: r.files });
    const node = g.nodes.find((n) => n.label.startsWith('pos:'))!;
    assert.equal(node.type, 'Parameter');
    assert.equal(node.params?.trainable, 40);
    assert.ok(
      g.edges.some((e) => e.source === node.id),
      'the learned tensor feeds the Add',
    );
    const text = formatSummaryText(summarize(r.models[0]!));
    assert.match(text, /cls: Parameter\(\(1, 1, 8\), init="zeros"\)\s+\[1, 1, 8\]\s+8\b/);
  });
});

describe('weight tying across layer kinds', () => {
  it('counts the tied weight once and names it after its owner', () => {
    const r = check(TIED);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      [],
    );
    const m = r.models[0]!;
    // embedding 160 + encoder 600 + output bias 20; the [20, 8] weight is embed.weight
    assert.equal(m.totals.trainable, 780);
    const fw = lowerModel(m, { training: true, dims: { B: 2, T: 3 } });
    assert.equal(fw.params.filter((p) => p.name === 'embed.weight').length, 1);
    assert.ok(!fw.params.some((p) => p.name === 'dense0.weight'));
    assert.ok(fw.params.some((p) => p.name === 'dense0.bias'));
    assert.deepEqual([...tiedAliases(m)], [['dense0.weight', 'embed.weight']]);
  });

  it('ties a shared layer declaration too (layer head = Dense(V, tie=embed))', () => {
    const r = check(`model L(x: int[B, 8]) -> [B, 8, 20] {
  layer embed = Embedding(20, 16)
  layer head = Dense(20, tie=embed)
  x |> embed |> head
}
`);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      [],
    );
    const m = r.models[0]!;
    assert.equal(m.totals.trainable, 320 + 20);
    const fw = lowerModel(m, { training: true, dims: { B: 2 } });
    assert.deepEqual(
      fw.params.map((p) => p.name),
      ['embed.weight', 'head.bias'],
    );
    assert.deepEqual([...tiedAliases(m)], [['head.weight', 'embed.weight']]);
  });

  it('shows "shared with embed.weight" in hover, graph and summary', () => {
    const r = check(TIED);
    const md = hover(r, F, at(TIED, 'Dense'), OPTS)?.markdown ?? '';
    assert.match(md, /weight`? 20·8: shared with `?embed\.weight`? \(counted there/);
    assert.match(md, /\*\*Parameters\*\* 20\b/);
    const g = buildGraphData(r.models[0]!, r.diagnostics, { ...OPTS, files: r.files });
    const dense = g.nodes.find((n) => n.type === 'Dense')!;
    assert.deepEqual(dense.params?.sharedWith, ['embed.weight']);
    assert.equal(dense.params?.trainable, 20);
    const s = summarize(r.models[0]!);
    const row = s.rows.find((x) => x.layer === 'Dense')!;
    assert.equal(row.params.trainable, 20);
    assert.equal(row.paramDetail.find((p) => p.name === 'weight')?.sharedWith, 'embed.weight');
    assert.match(formatSummaryText(s), /20 \+ shared with embed\.weight/);
  });

  it('reports a tie that does not fit (DLM041), at the tie argument', () => {
    const src = `model M(x: int[B, T]) {
  layer embed = Embedding(20, 8)
  layer later = Embedding(20, 8)
  h = x |> embed
  a = h |> Dense(21, tie=embed)
  b = h |> Dense(20, tie=nothing)
  c = h |> Dense(20, tie=later)
  (a, b, c) |> Concat(axis=2)
}
`;
    const r = check(src);
    const d = r.diagnostics.filter((x) => x.code === 'DLM041');
    assert.equal(d.length, 3, d.map((x) => x.message).join('\n'));
    assert.match(d[0]!.message, /\[21, 8\] but embed\.weight .* is \[20, 8\].*Dense\(20\) on 8/);
    assert.equal(src.slice(d[0]!.span.start, d[0]!.span.end), 'tie=embed');
    assert.match(d[1]!.message, /no shared layer 'nothing'/);
    assert.match(d[2]!.message, /not used before this layer/);
  });
});

describe('the language server (stdio) shows learned tensors and tied weights', () => {
  it('hover, dlm/graph and dlm/summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-tied-lsp-'));
    const server = await StdioServer.start({ root: dir, cwd: dir });
    try {
      const file = join(dir, 'm.dlm');
      const text = TOKENS + TIED;
      writeFileSync(file, text);
      const uri = pathToFileURL(file).href;
      const published = await server.open(file, text);
      assert.deepEqual(published.diagnostics, []);
      const pos = (needle: string, k = 0) => {
        const off = at(text, needle, k);
        const before = text.slice(0, off);
        const line = before.split('\n').length - 1;
        return { line, character: off - before.lastIndexOf('\n') - 1 };
      };
      const hoverAt = async (needle: string, k = 0) =>
        (
          await server.request<{ contents: { value: string } } | null>('textDocument/hover', {
            textDocument: { uri },
            position: pos(needle, k),
          })
        )?.contents.value ?? '';
      assert.match(await hoverAt('pos', 1), /learned tensor\*\* `?pos`?: `?\[1, 5, 8\][\s\S]*40/);
      assert.match(await hoverAt('Dense(20'), /shared with `?embed\.weight/);
      const g = await server.request<{ model?: { graph?: GraphData } }>('dlm/graph', {
        uri,
        model: 'TiedLM',
      });
      const dense = g.model?.graph?.nodes.find((n) => n.type === 'Dense');
      assert.deepEqual(dense?.params?.sharedWith, ['embed.weight']);
      const sm = await server.request<{ markdown: string }>('dlm/summary', {
        uri,
        model: 'Tokens',
      });
      assert.match(sm.markdown, /cls: Parameter/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hasTorch = spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
describe(
  'learned tensors and tied weights in real PyTorch',
  { skip: hasTorch ? false : `${PY} has no torch` },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-tied-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    it('load strict, count the same and compute the same forward (1e-5); norms honour eps', async () => {
      const tokens = check(TOKENS);
      const tied = check(TIED.replace('Dense(20, tie=embed)', 'Dense(20, bias=false, tie=embed)'));
      // Large epsilons, so a norm that ignored its eps would differ far beyond 1e-5.
      const eps = check(`model Eps(x: [B, 4, 3, 3]) {
  x |> GroupNorm(2, eps=0.5) |> Flatten |> Reshape((4, 9))
    |> LayerNorm(eps=0.3)
    |> TransformerEncoder(9, 3, ff=8, dropout=0, eps=0.2)
}
`);
      const cases = [
        await writeTorchCase(dir, 'tokens', tokens, tokens.models[0]!),
        await writeTorchCase(dir, 'tied', tied, tied.models[0]!),
        await writeTorchCase(dir, 'eps', eps, eps.models[0]!),
      ];
      const results = runTorchCases(dir, cases);
      for (const c of cases) {
        const r = results.get(c.id)!;
        assert.equal(r['error'], undefined, `${c.id}: ${r['error']}`);
        assert.deepEqual(r['keys'], [...c.names].sort(), `${c.id}: state_dict keys`);
        assert.equal(r['trainable'], c.model.totals.trainable, `${c.id}: trainable`);
        assert.ok((r['worst'] as number) <= 1, `${c.id}: forward differs (${r['worst']})`);
      }
      assert.deepEqual(results.get('tied')!['keys'], [
        'dense0.weight',
        'embed.weight',
        'transformerencoder0.linear1.bias',
        'transformerencoder0.linear1.weight',
        'transformerencoder0.linear2.bias',
        'transformerencoder0.linear2.weight',
        'transformerencoder0.norm1.bias',
        'transformerencoder0.norm1.weight',
        'transformerencoder0.norm2.bias',
        'transformerencoder0.norm2.weight',
        'transformerencoder0.self_attn.in_proj_bias',
        'transformerencoder0.self_attn.in_proj_weight',
        'transformerencoder0.self_attn.out_proj.bias',
        'transformerencoder0.self_attn.out_proj.weight',
      ]);
      assert.equal(results.get('tied')!['trainable'], 760);
    });
  },
);
