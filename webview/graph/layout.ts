/**
 * From GraphData and the collapse state to what the layout worker lays out: collapsed groups
 * become single nodes, the edges they hide are dropped and the parallel ones merged. Pure; runs
 * on the UI thread (cheap) and in the benchmark.
 */
import {
  MAX_SAVED_LAYOUT_CHARS,
  type GraphData,
  type GraphGroup,
  type GraphNode,
} from '../protocol';

export interface LayoutNode {
  readonly id: string;
  readonly w: number;
  readonly h: number;
  readonly parent?: string;
}

export interface LayoutGroup {
  readonly id: string;
  readonly parent?: string;
  /** Space above the children for the title. */
  readonly header: number;
  /** Minimum width so the title fits. */
  readonly minW: number;
  /** A `repeat` container's iterations may be laid out in invisible runs (nested.ts). */
  readonly repeat?: boolean;
}

export interface LayoutEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly label: string;
  readonly labelW: number;
  readonly labelH: number;
  readonly parent?: string;
}

export interface LayoutRequest {
  readonly id: number;
  readonly nodes: readonly LayoutNode[];
  readonly groups: readonly LayoutGroup[];
  readonly edges: readonly LayoutEdge[];
  /** Lay out without the worker's cache of container layouts (benchmarks, tests). */
  readonly clearCache?: boolean;
}

export interface Box {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface LaidEdge {
  readonly id: string;
  readonly points: readonly (readonly [number, number])[];
  readonly label?: {
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
}

export interface LayoutResult {
  readonly id: number;
  readonly nodes: readonly Box[];
  readonly groups: readonly Box[];
  readonly edges: readonly LaidEdge[];
  readonly width: number;
  readonly height: number;
  /** Time spent in the worker, ms. */
  readonly ms: number;
  /** Containers laid out by ELK, and taken from the cache. */
  readonly elkRuns?: number;
  readonly cached?: number;
  readonly error?: string;
  /** On the worker's first result only: how its start went (WorkerStartup). */
  readonly startup?: WorkerStartup;
}

/**
 * The layout worker's start, as times since the epoch (`performance.timeOrigin + now()`, the
 * same clock in the page and the worker): when its script (ELK's code included) had been
 * evaluated, and ELK's first layout, a warm-up's or a request's, whichever came first. V8
 * compiles ELK's code during that layout, so it is the slow one.
 */
export interface WorkerStartup {
  readonly evaluatedAt: number;
  readonly firstLayout?: { readonly start: number; readonly end: number; readonly warmUp: boolean };
}

/** A visible item: a layer/IO node, or a collapsed group drawn as a node. */
export type VisibleItem =
  | { readonly kind: 'node'; readonly node: GraphNode }
  | { readonly kind: 'collapsed'; readonly group: GraphGroup };

export interface VisibleEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly label: string;
  /** Underlying GraphData edge ids. */
  readonly edges: readonly string[];
}

export interface VisibleGraph {
  readonly items: ReadonlyMap<string, VisibleItem>;
  /** Expanded groups that are drawn as containers. */
  readonly groups: readonly GraphGroup[];
  readonly edges: readonly VisibleEdge[];
  /** GraphData node id → id of the visible item that shows it. */
  readonly shownAs: ReadonlyMap<string, string>;
  /** Visible item id → its container group (expanded) or undefined. */
  readonly parentOf: ReadonlyMap<string, string | undefined>;
}

export function visibleGraph(data: GraphData, collapsed: ReadonlySet<string>): VisibleGraph {
  const groupById = new Map(data.groups.map((g) => [g.id, g]));
  /** The outermost collapsed ancestor (including itself), if any. */
  const collapsedAncestor = new Map<string, string | undefined>();
  const outermostCollapsed = (gid: string | undefined): string | undefined => {
    if (gid === undefined) return undefined;
    if (collapsedAncestor.has(gid)) return collapsedAncestor.get(gid);
    const g = groupById.get(gid);
    const above = outermostCollapsed(g?.parent);
    const r = above ?? (collapsed.has(gid) ? gid : undefined);
    collapsedAncestor.set(gid, r);
    return r;
  };
  const items = new Map<string, VisibleItem>();
  const shownAs = new Map<string, string>();
  const parentOf = new Map<string, string | undefined>();
  const groups: GraphGroup[] = [];
  for (const g of data.groups) {
    const c = outermostCollapsed(g.id);
    if (c === g.id) {
      items.set(g.id, { kind: 'collapsed', group: g });
      parentOf.set(g.id, g.parent);
    } else if (c === undefined) groups.push(g);
  }
  for (const n of data.nodes) {
    const c = outermostCollapsed(n.group);
    if (c !== undefined) shownAs.set(n.id, c);
    else {
      items.set(n.id, { kind: 'node', node: n });
      shownAs.set(n.id, n.id);
      parentOf.set(n.id, n.group);
    }
  }
  const edges: VisibleEdge[] = [];
  const merged = new Map<string, { e: VisibleEdge; ids: string[] }>();
  for (const e of data.edges) {
    const s = shownAs.get(e.source);
    const t = shownAs.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    if (s === e.source && t === e.target) {
      edges.push({ id: e.id, source: s, target: t, label: e.label, edges: [e.id] });
      continue;
    }
    const key = `${s}->${t}|${e.label}`;
    const m = merged.get(key);
    if (m) m.ids.push(e.id);
    else {
      const ids = [e.id];
      const ve = {
        id: `${s}->${t}#${merged.size}`,
        source: s,
        target: t,
        label: e.label,
        edges: ids,
      };
      merged.set(key, { e: ve, ids });
      edges.push(ve);
    }
  }
  return { items, groups, edges, shownAs, parentOf };
}

/** Lowest common expanded ancestor group of two visible items (where ELK routes the edge). */
export function commonParent(
  v: VisibleGraph,
  groups: ReadonlyMap<string, GraphGroup>,
  a: string,
  b: string,
): string | undefined {
  const chain = (id: string): string[] => {
    const out: string[] = [];
    for (let g = v.parentOf.get(id); g !== undefined; g = groups.get(g)?.parent) out.push(g);
    return out;
  };
  const ca = chain(a);
  const cb = new Set(chain(b));
  return ca.find((g) => cb.has(g));
}

export type FontKind = 'type' | 'attr' | 'badge' | 'label' | 'title';

export interface Measure {
  /** Width of `text` in one of the view's fonts. */
  text(text: string, font: FontKind): number;
  node(item: VisibleItem): { w: number; h: number };
  group(g: GraphGroup): { header: number; minW: number };
  label(text: string): { w: number; h: number };
}

export function layoutRequest(
  id: number,
  data: GraphData,
  v: VisibleGraph,
  m: Measure,
): LayoutRequest {
  const groupById = new Map(data.groups.map((g) => [g.id, g]));
  const nodes: LayoutNode[] = [];
  for (const [itemId, item] of v.items) {
    const size = m.node(item);
    const parent = v.parentOf.get(itemId);
    nodes.push({ id: itemId, w: size.w, h: size.h, ...(parent !== undefined ? { parent } : {}) });
  }
  const groups: LayoutGroup[] = v.groups.map((g) => ({
    id: g.id,
    ...(g.parent !== undefined ? { parent: g.parent } : {}),
    ...m.group(g),
    ...(g.kind === 'repeat' ? { repeat: true } : {}),
  }));
  const edges: LayoutEdge[] = v.edges.map((e) => {
    const size = m.label(e.label);
    const parent = commonParent(v, groupById, e.source, e.target);
    return {
      id: e.id,
      source: e.source,
      target: e.target,
      label: e.label,
      labelW: size.w,
      labelH: size.h,
      ...(parent !== undefined ? { parent } : {}),
    };
  });
  return { id, nodes, groups, edges };
}

// --------------------------------------------------------------------------------- saved layout

/** The part of a LayoutResult that a view keeps in its state: positions only. */
export type SavedLayout = Pick<LayoutResult, 'nodes' | 'groups' | 'edges' | 'width' | 'height'>;

/**
 * A key of what a request asks ELK to lay out (its nodes, groups and edges with their sizes;
 * not its id): equal keys ask for the same layout, since the layout is a function of the
 * request alone. Two 32-bit hashes of the request's JSON text and its length.
 */
export function requestKey(req: LayoutRequest): string {
  const text = JSON.stringify([req.nodes, req.groups, req.edges]);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${text.length.toString(36)}-${(h1 >>> 0).toString(36)}-${(h2 >>> 0).toString(36)}`;
}

/** The saved layout's JSON text, or undefined when it is over MAX_SAVED_LAYOUT_CHARS. */
export function saveLayout(r: LayoutResult): string | undefined {
  const { nodes, groups, edges, width, height } = r;
  const saved: SavedLayout = { nodes, groups, edges, width, height };
  const json = JSON.stringify(saved);
  return json.length <= MAX_SAVED_LAYOUT_CHARS ? json : undefined;
}

/**
 * A saved layout read back as the answer to request `id`, or undefined when the text is not a
 * saved layout (a state written by another version of the view).
 */
export function restoreLayout(json: string, id: number): LayoutResult | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  const s = v as Partial<SavedLayout> | null;
  if (
    !s ||
    !Array.isArray(s.nodes) ||
    !Array.isArray(s.groups) ||
    !Array.isArray(s.edges) ||
    typeof s.width !== 'number' ||
    typeof s.height !== 'number'
  )
    return undefined;
  return {
    id,
    nodes: s.nodes,
    groups: s.groups,
    edges: s.edges,
    width: s.width,
    height: s.height,
    ms: 0,
  };
}
