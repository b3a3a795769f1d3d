/**
 * Bottom-up layout of nested groups with ELK's layered algorithm, one flat graph per container,
 * with a cache of container layouts.
 *
 * Instead of one ELK run over the whole compound graph (`hierarchyHandling: INCLUDE_CHILDREN`,
 * whose cost grows much faster than the graph), each expanded group is laid out on its own,
 * innermost first, as a flat graph: its direct layers, and its child groups as fixed-size nodes
 * with fixed port positions. An edge that crosses group borders is cut into segments, one per
 * container it passes through, joined at ports on the borders (inputs on the top side, outputs
 * on the bottom side). Edges from the same value share their ports, so a value feeding two
 * layers of the next block enters the block once and forks inside it. The shape label goes on
 * the segment in the edges' lowest common container, between the two sibling items.
 *
 * A container's flat graph is described canonically (sizes, port sides and positions, edges by
 * local index; no ids), and that description is the cache key: repeated instances of one block
 * (ResNet stages, transformer layers) are laid out once, and so is every container a collapse or
 * expand leaves unchanged. ELK is deterministic, so a cached layout equals a fresh one.
 *
 * Pure apart from the cache; `layout` is a synchronous ELK call (see layout.worker.ts).
 */
import type { ElkExtendedEdge, ElkNode, ElkPort } from 'elkjs/lib/elk-api';
import type { Box, LaidEdge, LayoutRequest, LayoutResult } from './layout';

export type ElkSync = (graph: ElkNode) => ElkNode;

type Pt = readonly [number, number];
type Side = 'NORTH' | 'SOUTH';
interface LabelBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A container's layout in its own coordinates (top-left corner at 0,0), by local index. */
export interface Laid {
  readonly w: number;
  readonly h: number;
  readonly kids: readonly Pt[];
  /** The container's own border ports, in creation order. */
  readonly ports: readonly Pt[];
  readonly segs: readonly { readonly pts: readonly Pt[]; readonly label?: LabelBox }[];
}

/** Container layouts by canonical description; insertion order is recency (LRU). */
export class LayoutCache {
  private readonly map = new Map<string, Laid>();
  hits = 0;
  misses = 0;
  constructor(private readonly capacity = 2000) {}
  get(key: string): Laid | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
      this.hits++;
    } else this.misses++;
    return v;
  }
  set(key: string, v: Laid): void {
    this.map.set(key, v);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
  }
}

const BASE_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
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
  'elk.layered.nodePlacement.favorStraightEdges': 'false',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.thoroughness': '4',
  'elk.portConstraints': 'FIXED_SIDE',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
};

/** A container with more children than this gets cheaper settings and no ELK label dummies. */
export const LARGE = 250;
const LARGE_OPTIONS: Record<string, string> = {
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.considerModelOrder.strategy': 'NONE',
};

const ROOT_PAD = 16;
/** A repeat with more iterations than this is laid out in runs. */
const MIN_RUNS = 12;
const GROUP_PAD = 12;

/** One end of a segment in a container: a child (a leaf, or a port of a child group) or a port of
 * the container itself. */
type End = { readonly kid: string; readonly port?: string } | { readonly ext: string };

interface Seg {
  readonly from: End;
  readonly to: End;
  readonly label?: readonly [number, number];
}

interface Container {
  readonly id: string | undefined;
  readonly header: number;
  readonly minW: number;
  /** A run of a repeat's iterations: no box, no padding, not drawn. */
  readonly run: boolean;
  kids: string[];
  /** Port key → side, in creation order. */
  readonly ports: Map<string, Side>;
  readonly segs: Seg[];
  readonly segIndex: Map<string, number>;
  /** Results, after widening to minW. */
  laid?: Laid;
  portIndex?: Map<string, number>;
  /** Absolute position of the container's corner. */
  x?: number;
  y?: number;
}

/** A label beside the longest vertical segment (large containers: labels are not laid out by ELK). */
export function labelBeside(points: readonly Pt[], w: number, h: number): LabelBox | undefined {
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

const endKey = (e: End): string =>
  'ext' in e ? `x:${e.ext}` : e.port === undefined ? `n:${e.kid}` : `p:${e.kid}:${e.port}`;

export function layoutNested(
  req: LayoutRequest,
  layout: ElkSync,
  cache: LayoutCache,
): LayoutResult {
  const t0 = performance.now();
  const containers = new Map<string | undefined, Container>();
  const make = (id: string | undefined, header: number, minW: number, run = false): Container => {
    const c: Container = {
      id,
      header,
      minW,
      run,
      kids: [],
      ports: new Map(),
      segs: [],
      segIndex: new Map(),
    };
    containers.set(id, c);
    return c;
  };
  const root = make(undefined, 0, 0);
  const parentOf = new Map<string, string | undefined>();
  const groupIds = new Set<string>();
  for (const g of req.groups) {
    make(g.id, g.header, g.minW);
    groupIds.add(g.id);
  }
  for (const g of req.groups) parentOf.set(g.id, containers.has(g.parent) ? g.parent : undefined);
  const order = new Map<string, number>();
  req.nodes.forEach((n, i) => {
    parentOf.set(n.id, containers.has(n.parent) ? n.parent : undefined);
    order.set(n.id, i);
    // A group sorts where its first layer is (model order for ELK).
    for (let g = parentOf.get(n.id); g !== undefined; g = parentOf.get(g))
      if (!order.has(g) || order.get(g)! > i) order.set(g, i);
  });
  for (const g of req.groups) containers.get(parentOf.get(g.id))!.kids.push(g.id);
  for (const n of req.nodes) containers.get(parentOf.get(n.id))!.kids.push(n.id);
  for (const c of containers.values())
    c.kids.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));

  // A long repeat is laid out in runs of about √n iterations: ELK's cost grows with the graph
  // (and each call has a fixed cost of several ms), and identical runs come from the cache, so
  // 285 iterations cost three small layouts (a run, the last shorter run, the chain of runs).
  for (const g of req.groups) {
    const c = containers.get(g.id)!;
    const n = c.kids.length;
    if (!g.repeat || n <= MIN_RUNS || !c.kids.every((k) => groupIds.has(k))) continue;
    const size = Math.ceil(Math.sqrt(n));
    const runs: string[] = [];
    for (let i = 0; i < n; i += size) {
      const id = `${g.id}\u0000run${runs.length}`;
      const r = make(id, 0, 0, true);
      r.kids = c.kids.slice(i, i + size);
      for (const k of r.kids) parentOf.set(k, id);
      parentOf.set(id, g.id);
      order.set(id, order.get(r.kids[0]!) ?? Infinity);
      runs.push(id);
    }
    c.kids = runs;
  }

  const repeatIds = new Set(req.groups.filter((g) => g.repeat).map((g) => g.id));
  // A long run of layers (a container with many children, a deep flat model) is cut into runs
  // too, of about √n children, but only between two children where a single value flows from
  // the part above to the part below (so branches, skips and parallel paths stay in one ELK
  // graph and are laid out as before).
  let cutCount = 0;
  const work = [...containers.values()];
  for (let c = work.pop(); c !== undefined; c = work.pop()) {
    const n = c.kids.length;
    if (n <= MIN_RUNS || (c.id !== undefined && repeatIds.has(c.id))) continue;
    const index = new Map(c.kids.map((k, i) => [k, i]));
    /** The child of c that holds `id`: its index, or -1 / n when `id` is outside c. */
    const at = (id: string, outside: number): number => {
      for (let x: string | undefined = id; x !== undefined; x = parentOf.get(x)) {
        if (parentOf.get(x) === c.id && index.has(x)) return index.get(x)!;
      }
      return outside;
    };
    const spans = new Map<string, [number, number]>();
    for (const e of req.edges) {
      const si = at(e.source, -1);
      const ti = at(e.target, n);
      if (si === ti || (si === -1 && ti === n)) continue;
      const key = `${e.source}|${e.label}`;
      const lo = Math.min(si, ti);
      const hi = Math.max(si, ti);
      const sp = spans.get(key);
      spans.set(key, sp ? [Math.min(sp[0], lo), Math.max(sp[1], hi)] : [lo, hi]);
    }
    // crossing[p]: values flowing across the cut above child p.
    const crossing = new Array<number>(n + 1).fill(0);
    for (const [lo, hi] of spans.values()) {
      crossing[Math.max(0, lo + 1)]!++;
      crossing[Math.min(n, hi + 1)]!--;
    }
    for (let p = 1; p <= n; p++) crossing[p]! += crossing[p - 1]!;
    const size = Math.ceil(Math.sqrt(n));
    const cuts: number[] = [];
    let start = 0;
    for (let p = 1; p < n; p++)
      if (p - start >= size && crossing[p]! <= 1 && n - p >= 2) {
        cuts.push(p);
        start = p;
      }
    if (cuts.length === 0) continue;
    const runs: string[] = [];
    [0, ...cuts].forEach((from, i) => {
      const id = `${c.id ?? ''}\u0000cut${cutCount++}.${i}`;
      const r = make(id, 0, 0, true);
      r.kids = c.kids.slice(from, cuts[i] ?? n);
      for (const k of r.kids) parentOf.set(k, id);
      parentOf.set(id, c.id);
      order.set(id, order.get(r.kids[0]!) ?? Infinity);
      runs.push(id);
    });
    c.kids = runs;
    // Runs of runs, and runs within runs, until every graph is small.
    for (const id of runs) work.push(containers.get(id)!);
    work.push(c);
  }

  // Containers innermost first.
  const depth = (id: string | undefined): number => {
    let d = 0;
    for (let g = id; g !== undefined; g = parentOf.get(g)) d++;
    return d;
  };
  const chain = (id: string): (string | undefined)[] => {
    const out: (string | undefined)[] = [];
    for (let g = parentOf.get(id); ; g = parentOf.get(g)) {
      out.push(g);
      if (g === undefined) return out;
    }
  };

  // Cut every edge into segments.
  const addSeg = (
    c: Container,
    from: End,
    to: End,
    label?: readonly [number, number],
    text = '',
  ): number => {
    const key = `${endKey(from)}>${endKey(to)}|${text}`;
    let i = c.segIndex.get(key);
    if (i === undefined) {
      i = c.segs.length;
      c.segs.push({ from, to, ...(label ? { label } : {}) });
      c.segIndex.set(key, i);
    }
    return i;
  };
  const edgeSegs: [Container, number][][] = [];
  const labelOf = new Map<string, string>();
  for (const e of req.edges) {
    const sc = chain(e.source);
    const tc = chain(e.target);
    const tset = new Set(tc);
    const lca = sc.find((g) => tset.has(g));
    const path: [Container, number][] = [];
    const down: [Container, number][] = [];
    const portKey = `${e.source}|${e.label}`;
    let a: End = { kid: e.source };
    for (const g of sc) {
      if (g === lca) break;
      const c = containers.get(g)!;
      const key = `o:${portKey}`;
      if (!c.ports.has(key)) c.ports.set(key, 'SOUTH');
      path.push([c, addSeg(c, a, { ext: key })]);
      a = { kid: g!, port: key };
    }
    let b: End = { kid: e.target };
    for (const g of tc) {
      if (g === lca) break;
      const c = containers.get(g)!;
      const key = `i:${portKey}`;
      if (!c.ports.has(key)) c.ports.set(key, 'NORTH');
      down.push([c, addSeg(c, { ext: key }, b)]);
      b = { kid: g!, port: key };
    }
    const lc = containers.get(lca)!;
    const li = addSeg(lc, a, b, [e.labelW, e.labelH], e.label);
    const labelKey = `${lc.id ?? ''}#${li}`;
    if (!labelOf.has(labelKey)) labelOf.set(labelKey, e.id);
    path.push([lc, li]);
    edgeSegs.push([...path, ...down.reverse()]);
  }

  // Lay out containers innermost first.
  let elkRuns = 0;
  let cached = 0;
  const sorted = [...containers.values()].sort((x, y) => depth(y.id) - depth(x.id));
  for (const c of sorted) layoutContainer(c);

  function layoutContainer(c: Container): void {
    const isRoot = c.id === undefined;
    const kidIndex = new Map(c.kids.map((k, i) => [k, i]));
    const portIndex = new Map([...c.ports.keys()].map((k, i) => [k, i]));
    c.portIndex = portIndex;
    const ref = (e: End): string => {
      if ('ext' in e) return `x${portIndex.get(e.ext)!}`;
      const i = kidIndex.get(e.kid)!;
      if (e.port === undefined) return `n${i}`;
      return `n${i}p${containers.get(e.kid)!.portIndex!.get(e.port)!}`;
    };
    const large = c.kids.length > LARGE;
    const kidSpec = c.kids.map((k) => {
      const g = containers.get(k);
      if (g) {
        const sides = [...g.ports.values()];
        return [
          g.laid!.w,
          g.laid!.h,
          g.laid!.ports.map(([x, y], j) => [x, y, sides[j] === 'NORTH' ? 0 : 1]),
        ];
      }
      const n = req.nodes[order.get(k)!]!;
      return [n.w, n.h];
    });
    const sides = [...c.ports.values()];
    const segSpec = c.segs.map((s) => [
      ref(s.from),
      ref(s.to),
      ...(s.label && !large ? s.label : []),
    ]);
    const key = JSON.stringify([
      isRoot ? 'root' : c.run ? 'run' : c.header,
      large ? 1 : 0,
      kidSpec,
      sides.map((s) => (s === 'NORTH' ? 0 : 1)),
      segSpec,
    ]);
    let laid = cache.get(key);
    if (laid) cached++;
    else {
      laid = runElk(c, isRoot, large, kidSpec, sides, segSpec);
      if (c.run) laid = trimRun(laid, kidSpec, sides, c.segs, c.ports);
      cache.set(key, laid);
      elkRuns++;
    }
    // Widen to fit the title; the content stays centred.
    if (laid.w < c.minW) {
      const dx = (c.minW - laid.w) / 2;
      const sh = ([x, y]: Pt): Pt => [x + dx, y];
      laid = {
        w: c.minW,
        h: laid.h,
        kids: laid.kids.map(sh),
        ports: laid.ports.map(sh),
        segs: laid.segs.map((s) => ({
          pts: s.pts.map(sh),
          ...(s.label ? { label: { ...s.label, x: s.label.x + dx } } : {}),
        })),
      };
    }
    c.laid = laid;
  }

  function runElk(
    c: Container,
    isRoot: boolean,
    large: boolean,
    kidSpec: readonly (readonly unknown[])[],
    sides: readonly Side[],
    segSpec: readonly (readonly (string | number)[])[],
  ): Laid {
    const pad = isRoot
      ? `[top=${ROOT_PAD},left=${ROOT_PAD},bottom=${ROOT_PAD},right=${ROOT_PAD}]`
      : c.run
        ? '[top=0,left=0,bottom=0,right=0]'
        : `[top=${c.header + 10},left=${GROUP_PAD},bottom=${GROUP_PAD},right=${GROUP_PAD}]`;
    const children: ElkNode[] = kidSpec.map((s, i) => {
      const [w, h, ports] = s as [number, number, [number, number, number][] | undefined];
      if (!ports) return { id: `n${i}`, width: w, height: h };
      return {
        id: `n${i}`,
        width: w,
        height: h,
        layoutOptions: { 'elk.portConstraints': 'FIXED_POS' },
        ports: ports.map(([x, y, side], j): ElkPort => ({
          id: `n${i}p${j}`,
          x,
          y,
          width: 0,
          height: 0,
          layoutOptions: { 'elk.port.side': side === 0 ? 'NORTH' : 'SOUTH' },
        })),
      };
    });
    const edges: ElkExtendedEdge[] = segSpec.map(([from, to, lw, lh], i) => ({
      id: `e${i}`,
      sources: [from as string],
      targets: [to as string],
      ...(lw !== undefined
        ? { labels: [{ id: `l${i}`, text: ' ', width: lw as number, height: lh as number }] }
        : {}),
    }));
    const graph: ElkNode = {
      id: 'c',
      layoutOptions: {
        ...BASE_OPTIONS,
        ...(large ? LARGE_OPTIONS : {}),
        'elk.padding': pad,
      },
      ports: sides.map((side, j): ElkPort => ({
        id: `x${j}`,
        width: 0,
        height: 0,
        layoutOptions: { 'elk.port.side': side },
      })),
      children,
      edges,
    };
    // ELK does not lay out ports of the top graph: wrap it (the wrapper only places it at 0,0).
    const top: ElkNode = {
      id: 'top',
      layoutOptions: {
        'elk.algorithm': 'fixed',
        'elk.padding': '[top=0,left=0,bottom=0,right=0]',
        'elk.json.edgeCoords': 'ROOT',
        'elk.json.shapeCoords': 'ROOT',
      },
      children: [graph],
    };
    const out = layout(top).children![0]!;
    const ox = out.x ?? 0;
    const oy = out.y ?? 0;
    const rel = (x: number | undefined, y: number | undefined): Pt => [
      (x ?? 0) - ox,
      (y ?? 0) - oy,
    ];
    const byId = new Map((out.children ?? []).map((k) => [k.id, k]));
    const portById = new Map((out.ports ?? []).map((p) => [p.id, p]));
    const segById = new Map((out.edges ?? []).map((e) => [e.id, e]));
    return {
      w: out.width ?? 0,
      h: out.height ?? 0,
      kids: kidSpec.map((_, i) => {
        const k = byId.get(`n${i}`);
        return rel(k?.x, k?.y);
      }),
      ports: sides.map((_, j) => {
        const p = portById.get(`x${j}`);
        return rel(p?.x, p?.y);
      }),
      segs: segSpec.map((_, i) => {
        const e = segById.get(`e${i}`);
        const pts: Pt[] = [];
        for (const sec of e?.sections ?? []) {
          pts.push(rel(sec.startPoint.x, sec.startPoint.y));
          for (const b of sec.bendPoints ?? []) pts.push(rel(b.x, b.y));
          pts.push(rel(sec.endPoint.x, sec.endPoint.y));
        }
        const l = e?.labels?.[0];
        if (!l) return { pts };
        const [x, y] = rel(l.x, l.y);
        return { pts, label: { x, y, w: l.width ?? 0, h: l.height ?? 0 } };
      }),
    };
  }

  // Absolute positions, outermost first.
  root.x = 0;
  root.y = 0;
  const nodes: Box[] = [];
  const groups: Box[] = [];
  const leafSize = new Map(req.nodes.map((n) => [n.id, n]));
  for (const c of [...sorted].reverse()) {
    const laid = c.laid!;
    c.kids.forEach((k, i) => {
      const [x, y] = laid.kids[i]!;
      const ax = c.x! + x;
      const ay = c.y! + y;
      const g = containers.get(k);
      if (g) {
        g.x = ax;
        g.y = ay;
        if (!g.run) groups.push({ id: k, x: ax, y: ay, w: g.laid!.w, h: g.laid!.h });
      } else {
        const n = leafSize.get(k)!;
        nodes.push({ id: k, x: ax, y: ay, w: n.w, h: n.h });
      }
    });
  }
  // Groups in the order ELK used to list them: parents before children.
  groups.sort((a, b) => depth(a.id) - depth(b.id));

  const edges: LaidEdge[] = req.edges.map((e, i) => {
    const points: [number, number][] = [];
    let label: LabelBox | undefined;
    for (const [c, si] of edgeSegs[i]!) {
      const s = c.laid!.segs[si]!;
      for (const [x, y] of s.pts) {
        const p: [number, number] = [c.x! + x, c.y! + y];
        const last = points[points.length - 1];
        if (last && Math.abs(last[0] - p[0]) < 0.01 && Math.abs(last[1] - p[1]) < 0.01) continue;
        points.push(p);
      }
      // The label of a shared segment is drawn once, by the first edge through it.
      if (labelOf.get(`${c.id ?? ''}#${si}`) === e.id) {
        if (s.label) label = { ...s.label, x: c.x! + s.label.x, y: c.y! + s.label.y };
        else if (c.kids.length > LARGE) {
          const abs = s.pts.map(([x, y]): Pt => [c.x! + x, c.y! + y]);
          label = labelBeside(abs, e.labelW, e.labelH);
        }
      }
    }
    return { id: e.id, points: simplify(points), ...(label ? { label } : {}) };
  });

  return {
    id: req.id,
    nodes,
    groups,
    edges,
    width: root.laid!.w,
    height: root.laid!.h,
    ms: performance.now() - t0,
    elkRuns,
    cached,
  };
}

/**
 * A run has no box: cuts the empty rows ELK leaves between its border ports and its first and
 * last rows of children, so the gap between two runs matches the gap between two iterations in
 * a run. Only where every border segment runs straight down to the children (else that side
 * keeps its rows).
 */
function trimRun(
  laid: Laid,
  kidSpec: readonly (readonly unknown[])[],
  sides: readonly Side[],
  segs: readonly Seg[],
  ports: ReadonlyMap<string, Side>,
): Laid {
  if (laid.kids.length === 0) return laid;
  let top = Infinity;
  let bottom = -Infinity;
  laid.kids.forEach(([, y], i) => {
    top = Math.min(top, y);
    bottom = Math.max(bottom, y + (kidSpec[i]![1] as number));
  });
  const portIdx = new Map([...ports.keys()].map((k, i) => [k, i]));
  const sideOf = (s: Seg): Side | undefined =>
    'ext' in s.from
      ? sides[portIdx.get(s.from.ext)!]
      : 'ext' in s.to
        ? sides[portIdx.get(s.to.ext)!]
        : undefined;
  const straight = (pts: readonly Pt[], beyond: (y: number) => boolean, x: number): boolean =>
    pts.every(([px, py]) => !beyond(py) || Math.abs(px - x) < 0.01);
  let okTop = true;
  let okBottom = true;
  segs.forEach((s, i) => {
    const side = sideOf(s);
    const pts = laid.segs[i]!.pts;
    if (side === 'NORTH') okTop &&= straight(pts, (y) => y < top, pts[0]?.[0] ?? NaN);
    if (side === 'SOUTH')
      okBottom &&= straight(pts, (y) => y > bottom, pts[pts.length - 1]?.[0] ?? NaN);
  });
  const y0 = okTop ? top : 0;
  const y1 = okBottom ? bottom : laid.h;
  const clamp = ([x, y]: Pt): Pt => [x, Math.min(Math.max(y, y0), y1) - y0];
  return {
    w: laid.w,
    h: y1 - y0,
    kids: laid.kids.map(([x, y]) => [x, y - y0]),
    ports: laid.ports.map(([x], j) => [x, sides[j] === 'NORTH' ? 0 : y1 - y0]),
    segs: laid.segs.map((s) => {
      const pts: Pt[] = [];
      for (const p of s.pts.map(clamp)) {
        const last = pts[pts.length - 1];
        if (!last || Math.abs(last[0] - p[0]) > 0.01 || Math.abs(last[1] - p[1]) > 0.01)
          pts.push(p);
      }
      return {
        pts,
        ...(s.label ? { label: { ...s.label, y: s.label.y - y0 } } : {}),
      };
    }),
  };
}

/** Drops points in the middle of a straight run (where segments meet at a port). */
function simplify(points: [number, number][]): [number, number][] {
  if (points.length < 3) return points;
  const out: [number, number][] = [points[0]!];
  for (let i = 1; i < points.length - 1; i++) {
    const [ax, ay] = out[out.length - 1]!;
    const [bx, by] = points[i]!;
    const [cx, cy] = points[i + 1]!;
    const between = (p: number, q: number, r: number): boolean => (q - p) * (r - q) >= 0;
    const straight =
      (Math.abs(ax - bx) < 0.01 && Math.abs(bx - cx) < 0.01 && between(ay, by, cy)) ||
      (Math.abs(ay - by) < 0.01 && Math.abs(by - cy) < 0.01 && between(ax, bx, cx));
    if (!straight) out.push(points[i]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}
