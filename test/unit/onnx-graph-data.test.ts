/**
 * The read-only ONNX editor's graph (src/views/onnxGraphData.ts): every ONNX node becomes a layer
 * node with its parameters and MACs, edges carry the inferred shapes with symbolic dims, and
 * node-name scopes become collapsible groups (`/layer1/layer1.0/conv1/Conv` → layer1 › 0), and
 * shape plumbing is one node per value a real node reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readOnnxGraph } from '../../src/interop/onnx/graph';
import { onnxGraphData } from '../../src/views/onnxGraphData';
import { TORCH_COUNTS, onnxFixture } from './helpers/onnx-fixtures';

function load(name: 'resnet18' | 'lstm') {
  const file = onnxFixture(name);
  const g = readOnnxGraph(readFileSync(file), { file });
  return { g, d: onnxGraphData(g, { file }) };
}

describe('onnxGraphData', () => {
  it('ResNet-18: one layer node per ONNX node, scope groups, shapes on edges', () => {
    const { g, d } = load('resnet18');
    const layers = d.nodes.filter((n) => n.kind === 'layer');
    assert.equal(layers.length, g.nodes.length);
    assert.equal(layers.length, 69);
    assert.deepEqual(
      d.nodes.filter((n) => n.kind !== 'layer').map((n) => n.label),
      ['x: [B, 3, 224, 224]', 'y: [B, 1000]'],
    );
    const byId = new Map(d.groups.map((gr) => [gr.id, gr]));
    const block = byId.get('scope:layer1/layer1.0');
    assert.ok(block, d.groups.map((gr) => gr.id).join(', '));
    assert.equal(block.label, '0');
    assert.equal(block.parent, 'scope:layer1');
    assert.equal(block.nodeCount, 7); // conv, bn, relu, conv, bn, add, relu
    assert.equal(byId.get('scope:layer1')?.nodeCount, 14);
    // A one-node scope (`/conv1/Conv`) is no group.
    assert.equal(byId.has('scope:conv1'), false);
    const conv = layers.find((n) => n.label === '/layer1/layer1.0/conv1/Conv');
    assert.equal(conv?.group, 'scope:layer1/layer1.0');
    assert.equal(conv?.type, 'Conv');
    assert.equal(conv?.params?.trainable, 64 * 64 * 9);
    assert.equal(conv?.macs, '116M·B');
    const into = d.edges.filter((e) => e.target === conv?.id);
    assert.deepEqual(
      into.map((e) => e.label),
      ['[B, 64, 56, 56]'],
    );
    assert.equal(d.totals.params.trainable, TORCH_COUNTS.resnet18.trainable);
    assert.equal(d.totals.params.nonTrainable, TORCH_COUNTS.resnet18.buffers);
    assert.equal(d.totals.macs, '1.81G·B');
    // Every edge joins known nodes.
    const ids = new Set(d.nodes.map((n) => n.id));
    for (const e of d.edges) assert.ok(ids.has(e.source) && ids.has(e.target), e.id);
    for (const n of layers) if (n.group) assert.ok(byId.has(n.group), n.group);
  });

  it('LSTM: groups by module, the sequence dims kept symbolic, shape plumbing as one node', () => {
    const { g, d } = load('lstm');
    // The initial state's shape [1, B, 64] is 8 ONNX nodes (Shape, Gather, Unsqueeze, Concat and
    // their constants): one node here, feeding the ConstantOfShape that makes h0 and c0.
    assert.equal(g.nodes.length, 18);
    assert.equal(d.nodes.filter((n) => n.kind === 'layer').length, 11);
    const shape = d.nodes.find((n) => n.type === 'Shape ops');
    assert.equal(shape?.label, '[1, B, 64]');
    assert.match(shape?.attrs ?? '', /^8 ops: Shape, Constant, Gather, Unsqueeze, Concat$/);
    const into = d.edges.filter((e) => e.source === shape?.id);
    assert.deepEqual(
      into.map((e) => d.nodes.find((n) => n.id === e.target)?.type),
      ['ConstantOfShape'],
    );
    const ids = new Set(d.nodes.map((n) => n.id));
    for (const e of d.edges) assert.ok(ids.has(e.source) && ids.has(e.target), e.id);
    // `emb` holds one drawn node once its constant is folded into the plumbing: no group.
    assert.deepEqual(
      d.groups.map((gr) => gr.label),
      ['lstm'],
    );
    const lstm = d.nodes.find((n) => n.type === 'LSTM');
    assert.equal(lstm?.category, 'recurrent');
    assert.equal(lstm?.group, 'scope:lstm');
    assert.ok(d.edges.some((e) => e.label === '[B, 16, 32]'));
    assert.equal(d.totals.params.trainable, TORCH_COUNTS.lstm.trainable);
  });
});
