/**
 * The graph view's saved layout (webview/graph/layout.ts): the key of a layout request, and the
 * layout kept in the view's state, read back; and the layouts the extension host remembers for
 * the next view of a model (src/extension/layoutMemory.ts). The view drawing it is tested in Chromium
 * (test/webview/graph.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LayoutMemory } from '../../src/extension/layoutMemory';
import { MAX_SAVED_LAYOUT_CHARS } from '../../webview/protocol';
import {
  requestKey,
  restoreLayout,
  saveLayout,
  type LayoutRequest,
  type LayoutResult,
} from '../../webview/graph/layout';

const request = (w = 100): LayoutRequest => ({
  id: 1,
  nodes: [
    { id: 'a', w, h: 30 },
    { id: 'b', w: 100, h: 44, parent: 'g' },
  ],
  groups: [{ id: 'g', header: 22, minW: 80 }],
  edges: [{ id: 'e0', source: 'a', target: 'b', label: '[B, 16]', labelW: 50, labelH: 13 }],
});

const result: LayoutResult = {
  id: 7,
  nodes: [
    { id: 'a', x: 10, y: 12, w: 100, h: 30 },
    { id: 'b', x: 10, y: 90, w: 100, h: 44 },
  ],
  groups: [{ id: 'g', x: 0, y: 70, w: 120, h: 80 }],
  edges: [
    {
      id: 'e0',
      points: [
        [60, 42],
        [60, 90],
      ],
      label: { x: 62, y: 60, w: 50, h: 13 },
    },
  ],
  width: 130,
  height: 160,
  ms: 41.5,
  elkRuns: 2,
  cached: 0,
  startup: { evaluatedAt: 1 },
};

describe('graph view: saved layout', () => {
  it('a request key ignores the id and changes with what is laid out', () => {
    assert.equal(requestKey(request()), requestKey({ ...request(), id: 99, clearCache: true }));
    assert.notEqual(requestKey(request()), requestKey(request(101)));
    const relabelled = request();
    const e = { ...relabelled.edges[0]!, label: '[B, 32]' };
    assert.notEqual(requestKey(request()), requestKey({ ...relabelled, edges: [e] }));
    const moved = { ...request(), nodes: [request().nodes[0]!, { ...request().nodes[1]! }] };
    delete (moved.nodes[1] as { parent?: string }).parent;
    assert.notEqual(requestKey(request()), requestKey(moved));
  });

  it('keeps positions only, and reads them back as the answer to a new request', () => {
    const json = saveLayout(result)!;
    const saved = JSON.parse(json) as Record<string, unknown>;
    assert.deepEqual(Object.keys(saved).sort(), ['edges', 'groups', 'height', 'nodes', 'width']);
    const back = restoreLayout(json, 3)!;
    assert.equal(back.id, 3);
    assert.equal(back.ms, 0);
    assert.deepEqual(back.nodes, result.nodes);
    assert.deepEqual(back.groups, result.groups);
    assert.deepEqual(back.edges, result.edges);
    assert.equal(back.startup, undefined);
  });

  it('a layout too large for the state is not saved', () => {
    const nodes = Array.from({ length: 60_000 }, (_, i) => ({
      id: `n${i}`,
      x: i,
      y: i,
      w: 100,
      h: 30,
    }));
    assert.ok(JSON.stringify(nodes).length > MAX_SAVED_LAYOUT_CHARS);
    assert.equal(saveLayout({ ...result, nodes }), undefined);
  });

  it('text that is not a saved layout is refused', () => {
    for (const text of [
      '',
      '[1,2',
      'null',
      '[]',
      '{}',
      '{"nodes":[],"groups":[],"edges":[]}',
      '{"nodes":1,"groups":[],"edges":[],"width":1,"height":1}',
    ])
      assert.equal(restoreLayout(text, 1), undefined, text);
  });
});

describe('graph panel: the layouts the host remembers', () => {
  const layout = (n: number, chars = 10) => ({ key: `k${n}`, json: '{'.padEnd(chars, ' ') });

  it('keeps the last layout per document and model', () => {
    const m = new LayoutMemory();
    assert.ok(m.set('file:///a.dlm', 'Net', layout(1)));
    assert.ok(m.set('file:///a.dlm', 'Net', layout(2)));
    assert.ok(m.set('file:///a.dlm', 'Other', layout(3)));
    assert.equal(m.get('file:///a.dlm', 'Net')?.key, 'k2');
    assert.equal(m.get('file:///a.dlm', 'Other')?.key, 'k3');
    assert.equal(m.get('file:///b.dlm', 'Net'), undefined);
    assert.ok(m.has('file:///a.dlm', 'Net'));
    assert.ok(!m.has('file:///b.dlm', 'Net'));
    assert.equal(m.size, 2);
  });

  it('drops the least recently used past its entries or its characters', () => {
    const m = new LayoutMemory(3, 100);
    for (const n of [1, 2, 3]) m.set('u', `M${n}`, layout(n, 30));
    m.get('u', 'M1'); // now the most recent
    assert.ok(m.has('u', 'M2')); // asking does not make it recent
    m.set('u', 'M4', layout(4, 30));
    assert.deepEqual(
      ['M1', 'M2', 'M3', 'M4'].map((x) => m.get('u', x)?.key),
      ['k1', undefined, 'k3', 'k4'],
    );
    m.set('u', 'M5', layout(5, 60)); // 30 + 30 + 30 + 60 > 100: two go
    assert.equal(m.size, 2);
    assert.ok(m.get('u', 'M5'));
  });

  it('refuses what is not a layout of sane size', () => {
    const m = new LayoutMemory(8, 1000);
    const bad: unknown[][] = [
      [1, 'M', layout(1)],
      ['u', undefined, layout(1)],
      ['u', 'M', null],
      ['u', 'M', { key: 1, json: '{}' }],
      ['u', 'M', { key: 'k', json: 2 }],
      ['u', 'M', { key: '', json: '{}' }],
      ['u', 'M', { key: 'k'.repeat(5000), json: '{}' }],
      ['u', 'M', { key: 'k', json: '' }],
      ['u', 'M', layout(1, 1001)],
    ];
    for (const [u, model, l] of bad)
      assert.equal(m.set(u, model, l), false, JSON.stringify([u, model]));
    assert.equal(m.size, 0);
  });
});
