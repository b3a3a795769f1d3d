import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkFile, checkText } from '../../src/language/program';
import type { CheckResult } from '../../src/language/checked';
import { buildGraphData, compactCost, type GraphOptions } from '../../src/views/graphData';
import { Dim } from '../../src/core';
import type { GraphData } from '../../webview/protocol';

const root = join(__dirname, '..', '..');
const host = {
  root,
  readFile: (p: string): string | undefined => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};
const example = (name: string): CheckResult => checkFile(join(root, 'examples', name), host);
const opts = (r: CheckResult, extra: Partial<GraphOptions> = {}): GraphOptions => ({
  shapeStyle: 'brackets',
  macsOrFlops: 'macs',
  files: r.files,
  ...extra,
});
const graphOf = (name: string, extra: Partial<GraphOptions> = {}): GraphData => {
  const r = example(name);
  return buildGraphData(r.models[0]!, r.diagnostics, opts(r, extra));
};

function assertWellFormed(g: GraphData): void {
  const ids = new Set(g.nodes.map((n) => n.id));
  assert.equal(ids.size, g.nodes.length, 'node ids are unique');
  const gids = new Set(g.groups.map((x) => x.id));
  assert.equal(gids.size, g.groups.length, 'group ids are unique');
  for (const e of g.edges) {
    assert.ok(ids.has(e.source), `edge source ${e.source}`);
    assert.ok(ids.has(e.target), `edge target ${e.target}`);
  }
  for (const n of g.nodes) if (n.group) assert.ok(gids.has(n.group), `group of ${n.id}`);
  for (const x of g.groups) if (x.parent) assert.ok(gids.has(x.parent), `parent of ${x.id}`);
  assert.equal(new Set(g.edges.map((e) => e.id)).size, g.edges.length, 'edge ids are unique');
}

describe('graph data: ResNet-18', () => {
  const r = example('resnet18.dlm');
  const model = r.models[0]!;
  const g = buildGraphData(model, r.diagnostics, opts(r));

  it('has one node per layer plus the signature', () => {
    assertWellFormed(g);
    assert.equal(g.nodes.filter((n) => n.kind === 'layer').length, model.nodes.length);
    assert.equal(g.nodes.filter((n) => n.kind === 'input').length, 1);
    assert.equal(g.nodes.filter((n) => n.kind === 'output').length, 1);
    assert.equal(g.nodes.length, model.nodes.length + 2);
  });

  it('labels edges with shapes and counts ports', () => {
    const first = g.edges.find((e) => e.source === 'ResNet18/in:x')!;
    assert.equal(first.label, '[B, 3, 224, 224]');
    assert.ok(g.edges.some((e) => e.label === '[B, 64, 56, 56]'));
    const add = g.nodes.find((n) => n.type === 'Add')!;
    assert.equal(add.inPorts, 2);
    assert.equal(add.outPorts, 1);
    // Each Add has two incoming edges on ports 0 and 1.
    const into = g.edges.filter((e) => e.target === add.id).map((e) => e.targetPort);
    assert.deepEqual(into.sort(), [0, 1]);
  });

  it('shows key attributes, params and MACs badges', () => {
    const conv = g.nodes.find((n) => n.id === 'ResNet18/Conv2d#0')!;
    assert.equal(conv.attrs, '64, k=7, s=2, p=3');
    assert.equal(conv.params?.trainable, 9408);
    assert.equal(conv.params?.text, '9.41K');
    assert.equal(conv.macs, '118M·B');
    const bn = g.nodes.find((n) => n.id === 'ResNet18/BatchNorm2d#0')!;
    assert.deepEqual([bn.params?.trainable, bn.params?.nonTrainable], [128, 128]);
    assert.equal(g.totals.params.trainable, 11_689_512);
    assert.equal(g.totals.params.nonTrainable, 9_600);
  });

  it('groups blocks and the repeat with aggregated params', () => {
    const rep = g.groups.filter((x) => x.kind === 'repeat');
    assert.equal(rep.length, 1);
    assert.equal(rep[0]!.label, 'repeat × 2');
    assert.equal(rep[0]!.count, 2);
    const inRepeat = g.groups.filter((x) => x.parent === rep[0]!.id);
    assert.equal(inRepeat.length, 2);
    assert.match(inRepeat[0]!.label, /^BasicBlock\(c=64\) · 1\/2$/);
    const blocks = g.groups.filter((x) => x.kind === 'block');
    assert.equal(blocks.length, 8);
    const sum = blocks.reduce((a, b) => a + b.params.trainable, 0);
    const stem = g.nodes
      .filter((n) => !n.group)
      .reduce((a, n) => a + (n.params?.trainable ?? 0), 0);
    assert.equal(sum + stem, 11_689_512);
    assert.equal(rep[0]!.params.trainable, 2 * inRepeat[0]!.params.trainable);
    assert.equal(rep[0]!.nodeCount, 14);
  });

  it('maps spans to line/character ranges', () => {
    const conv = g.nodes.find((n) => n.id === 'ResNet18/Conv2d#0')!;
    const text = readFileSync(join(root, 'examples', 'resnet18.dlm'), 'utf8');
    const line = text.split('\n')[conv.source.range.start.line]!;
    assert.ok(
      line.slice(conv.source.range.start.character).startsWith('Conv2d(64, 7'),
      `range points at the stage: ${line}`,
    );
    assert.equal(text.slice(conv.source.span.start, conv.source.span.end).slice(0, 6), 'Conv2d');
    // Nodes inside a block point into the block's definition.
    const inner = g.nodes.find((n) => n.group && n.type === 'Conv2d')!;
    assert.ok(inner.source.range.start.line < 15);
  });

  it('keeps ids stable when text above the model changes', () => {
    const file = join(root, 'examples', 'resnet18.dlm');
    const text = readFileSync(file, 'utf8');
    const edited = '// a new comment line\n\n' + text.replace('Conv2d(64, 7', 'Conv2d(64,  7');
    const r2 = checkText(file, edited, host);
    const g2 = buildGraphData(r2.models[0]!, r2.diagnostics, opts(r2));
    assert.deepEqual(
      g2.nodes.map((n) => n.id),
      g.nodes.map((n) => n.id),
    );
    assert.deepEqual(
      g2.groups.map((n) => n.id),
      g.groups.map((n) => n.id),
    );
    assert.notDeepEqual(g2.nodes[1]!.source.range, g.nodes[1]!.source.range);
  });

  it('FLOPs option doubles the cost and `times` shape style', () => {
    const f = graphOf('resnet18.dlm', { macsOrFlops: 'flops', shapeStyle: 'times' });
    assert.equal(f.costUnit, 'FLOPs');
    assert.equal(f.nodes.find((n) => n.id === 'ResNet18/Conv2d#0')!.macs, '236M·B');
    assert.equal(f.edges[0]!.label, 'B×3×224×224');
  });
});

describe('graph data: U-Net', () => {
  const g = graphOf('unet.dlm');
  it('nests repeats inside blocks and keeps the skip concatenations', () => {
    assertWellFormed(g);
    assert.equal(g.nodes.filter((n) => n.kind === 'layer').length, 37);
    assert.equal(g.groups.filter((x) => x.kind === 'block').length, 5);
    assert.equal(g.groups.filter((x) => x.kind === 'repeat').length, 5);
    assert.equal(g.groups.filter((x) => x.kind === 'iteration').length, 10);
    const concats = g.nodes.filter((n) => n.type === 'Concat');
    assert.equal(concats.length, 2);
    for (const c of concats) {
      assert.equal(g.edges.filter((e) => e.target === c.id).length, 2);
      assert.equal(c.attrs, 'axis=1');
    }
    assert.equal(g.totals.params.trainable, 466_626);
    assert.ok(g.edges.some((e) => e.label === '[B, 128, 16, 16]'));
    const out = g.nodes.find((n) => n.kind === 'output')!;
    assert.equal(out.attrs, '[B, 2, 64, 64]');
  });
});

describe('graph data: VAE', () => {
  const g = graphOf('vae.dlm');
  it('has three outputs and named edges', () => {
    assertWellFormed(g);
    assert.deepEqual(
      g.nodes.filter((n) => n.kind === 'output').map((n) => n.label),
      ['recon', 'mu', 'logvar'],
    );
    assert.equal(g.groups.length, 0);
    const rep = g.nodes.find((n) => n.type === 'Reparameterize')!;
    assert.equal(rep.inPorts, 2);
    const muOut = g.edges.find((e) => e.target === 'VAE/out:mu')!;
    assert.equal(muOut.label, '[B, 20]');
    assert.equal(muOut.name, 'mu');
    // `h` fans out to mu and logvar.
    const relu = g.nodes.find((n) => n.type === 'ReLU')!;
    assert.equal(g.edges.filter((e) => e.source === relu.id).length, 2);
    assert.equal(g.totals.params.trainable, 652_824);
  });
});

describe('graph data: symbolic shapes and errors', () => {
  it('labels edges with symbolic dims', () => {
    const text = `model Down(x: [B, 3, H, W]) -> [B, 16, H/2, W/2] {
  x |> Conv2d(16, 3, stride=2, padding=1) |> ReLU
}`;
    const r = checkText('/m/a.dlm', text, { root: '/m', readFile: () => text });
    const g = buildGraphData(r.models[0]!, r.diagnostics, opts(r));
    assert.ok(
      g.edges.some((e) => /^\[B, 16, .*H.*, .*W.*\]$/.test(e.label)),
      g.edges.map((e) => e.label).join(' | '),
    );
  });

  it('marks the node a diagnostic touches', () => {
    const text = `model Bad(x: [B, 3, 32, 32]) -> [B, 10] {
  x |> Conv2d(16, 3) |> Dense(10)
}`;
    const r = checkText('/m/b.dlm', text, { root: '/m', readFile: () => text });
    const g = buildGraphData(r.models[0]!, r.diagnostics, opts(r));
    const errs = g.nodes.filter((n) => n.error);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
    assert.ok(errs.length >= 1, JSON.stringify(r.diagnostics.map((d) => d.message)));
    assert.ok(!g.nodes.find((n) => n.type === 'Conv2d')!.error);
  });

  it('formats costs compactly', () => {
    assert.equal(compactCost(Dim.const(1234)), '1.23K');
    assert.equal(compactCost(Dim.sym('B').mul(5_000_000)), '5.00M·B');
    assert.equal(compactCost(Dim.const(0)), '0');
  });
});
