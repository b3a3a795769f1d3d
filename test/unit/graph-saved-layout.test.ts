/**
 * The graph view's saved layout (webview/graph/layout.ts): the key of a layout request, and the
 * layout kept in the view's state, read back. The view drawing it is tested in Chromium
 * (test/webview/graph.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_SAVED_LAYOUT_CHARS,
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
