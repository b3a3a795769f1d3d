/**
 * The layout worker: ELK's layered algorithm over the visible graph, with compound nodes for the
 * expanded groups, off the UI thread. Receives a LayoutRequest, answers a LayoutResult with
 * absolute coordinates. Bundled on its own (dist/webview/graph-layout.js) and started from a blob
 * URL, so it runs under the webview's CSP (`worker-src blob:`).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { Box, LaidEdge, LayoutRequest, LayoutResult } from './layout';

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.spacing.nodeNode': '28',
  'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  'elk.layered.spacing.edgeNodeBetweenLayers': '12',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '3',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.edgeLabels.sideSelection': 'ALWAYS_UP',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.crossingMinimization.semiInteractive': 'false',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.thoroughness': '4',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.padding': '[top=16,left=16,bottom=16,right=16]',
};

/** Above this many nodes, speed over polish: no label dummies, one crossing sweep. */
const LARGE = 250;
const LARGE_OPTIONS: Record<string, string> = {
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.considerModelOrder.strategy': 'NONE',
};

const elk = new ELK();

/** A label beside the longest vertical segment (large graphs: labels are not laid out by ELK). */
function labelBeside(
  points: readonly (readonly [number, number])[],
  w: number,
  h: number,
): { x: number; y: number; w: number; h: number } | undefined {
  let best: [number, number, number] | undefined;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    const len = Math.abs(y1 - y0);
    if (Math.abs(x1 - x0) < 0.5 && (!best || len > best[2])) best = [x0, (y0 + y1) / 2, len];
  }
  if (!best) return undefined;
  return { x: best[0] + 4, y: best[1] - h / 2, w, h };
}

export async function runLayout(req: LayoutRequest): Promise<LayoutResult> {
  const t0 = performance.now();
  const large = req.nodes.length > LARGE;
  const root: ElkNode = {
    id: '__root',
    layoutOptions: large ? { ...ROOT_OPTIONS, ...LARGE_OPTIONS } : ROOT_OPTIONS,
    children: [],
    edges: [],
  };
  const labelSize = new Map(req.edges.map((e) => [e.id, [e.labelW, e.labelH] as const]));
  const containers = new Map<string, ElkNode>([['__root', root]]);
  for (const g of req.groups) {
    containers.set(g.id, {
      id: g.id,
      children: [],
      edges: [],
      layoutOptions: {
        'elk.padding': `[top=${g.header + 10},left=12,bottom=12,right=12]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${g.minW}, ${g.header + 20})`,
      },
    });
  }
  for (const g of req.groups) {
    const parent = containers.get(g.parent ?? '__root') ?? root;
    parent.children!.push(containers.get(g.id)!);
  }
  for (const n of req.nodes) {
    const parent = containers.get(n.parent ?? '__root') ?? root;
    parent.children!.push({ id: n.id, width: n.w, height: n.h });
  }
  for (const e of req.edges) {
    const parent = containers.get(e.parent ?? '__root') ?? root;
    const edge: ElkExtendedEdge = {
      id: e.id,
      sources: [e.source],
      targets: [e.target],
      labels: large
        ? []
        : [{ id: `${e.id}#label`, text: e.label, width: e.labelW, height: e.labelH }],
    };
    parent.edges!.push(edge);
  }
  const laid = await elk.layout(root);
  const nodes: Box[] = [];
  const groups: Box[] = [];
  const edges: LaidEdge[] = [];
  const groupIds = new Set(req.groups.map((g) => g.id));
  const walk = (n: ElkNode): void => {
    for (const c of n.children ?? []) {
      const box = { id: c.id, x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 };
      (groupIds.has(c.id) ? groups : nodes).push(box);
      walk(c);
    }
    for (const e of n.edges ?? []) {
      const points: [number, number][] = [];
      for (const s of e.sections ?? []) {
        points.push([s.startPoint.x, s.startPoint.y]);
        for (const b of s.bendPoints ?? []) points.push([b.x, b.y]);
        points.push([s.endPoint.x, s.endPoint.y]);
      }
      const l = e.labels?.[0];
      const size = labelSize.get(e.id);
      const label = l
        ? { x: l.x ?? 0, y: l.y ?? 0, w: l.width ?? 0, h: l.height ?? 0 }
        : size
          ? labelBeside(points, size[0], size[1])
          : undefined;
      edges.push({ id: e.id, points, ...(label ? { label } : {}) });
    }
  };
  walk(laid);
  return {
    id: req.id,
    nodes,
    groups,
    edges,
    width: laid.width ?? 0,
    height: laid.height ?? 0,
    ms: performance.now() - t0,
  };
}

// In a worker: answer requests. (elk.bundled.js installs its own `self.onmessage` when it is
// evaluated inside a worker; assigning ours afterwards replaces it.)
declare const WorkerGlobalScope: unknown;
if (typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined') {
  const scope = self as unknown as {
    onmessage: ((ev: MessageEvent<LayoutRequest>) => void) | null;
    postMessage(msg: LayoutResult): void;
  };
  scope.onmessage = (ev: MessageEvent<LayoutRequest>): void => {
    const req = ev.data;
    runLayout(req).then(
      (r) => scope.postMessage(r),
      (err: unknown) =>
        scope.postMessage({
          id: req.id,
          nodes: [],
          groups: [],
          edges: [],
          width: 0,
          height: 0,
          ms: 0,
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  };
}
