/**
 * The graph view's data: a pure function of the checked model (no vscode, no Node APIs). The
 * webview only lays out and renders what this produces.
 *
 * Ids are stable across re-checks. A group's id is its parent's id plus `kind:name#ordinal`
 * (ordinal among same-named siblings), a repeat iteration adds its index, and a node's id is
 * its group's id plus `type#ordinal` among same-typed siblings. Text offsets are not part of
 * ids, so typing above a layer keeps its id and the view keeps its collapse state and viewport.
 */
import { Dim, LineIndex, formatShape, type Diagnostic, type ShapeStyle, type Span } from '../core';
import type { CheckedModel, Group, LayerNode } from '../language/checked';
import type { AttrValue } from '../layers/types';
import type {
  GraphData,
  GraphEdge,
  GraphGroup,
  GraphNode,
  ParamBadge,
  SourceRef,
} from '../../webview/protocol';

export interface GraphOptions {
  readonly shapeStyle: ShapeStyle;
  readonly macsOrFlops: 'macs' | 'flops';
  /** File texts (a CheckResult's `files` fits), for line/character ranges. */
  readonly files?: ReadonlyMap<string, { readonly text: string }>;
}

const ATTR_ALIASES: Readonly<Record<string, string>> = {
  kernel: 'k',
  stride: 's',
  padding: 'p',
  dilation: 'd',
  bidirectional: 'bi',
};

/** `1813561344` → `1.81G`; below 1000 as is. */
export function compactNumber(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(n) >= scale) {
      const v = n / scale;
      return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}${unit}`;
    }
  }
  return String(n);
}

const B = Dim.sym('B');

/** Compact cost text: `118M·B` when linear in the batch, a number when constant. */
export function compactCost(d: Dim): string {
  const v = d.value;
  if (v !== undefined) return compactNumber(v);
  const syms = d.symbols();
  if (syms.size === 1 && syms.has('B')) {
    const perSample = d.subst(new Map([['B', Dim.const(1)]]));
    const pv = perSample.value;
    if (pv !== undefined && perSample.mul(B).equals(d)) return `${compactNumber(pv)}·B`;
  }
  const s = d.toString();
  return s.length > 24 ? `${s.slice(0, 23)}…` : s;
}

function formatValue(v: AttrValue | undefined): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) {
    const xs = v as readonly AttrValue[];
    return xs.length > 0 && xs.every((x) => x === xs[0])
      ? formatValue(xs[0])
      : `(${xs.map(formatValue).join(', ')})`;
  }
  if (typeof v === 'string') return v;
  return String(v);
}

/** Key attributes of a layer, short: `64, k=3, s=2, p=1` (defaults of 1/0 for stride/padding dropped). */
export function keyAttrs(node: LayerNode): string {
  const names = node.def.display ?? [];
  const out: string[] = [];
  names.forEach((name, i) => {
    const v = node.attrs[name];
    if (v === undefined || v === false) return;
    const text = formatValue(v);
    if (text === '') return;
    if ((name === 'stride' || name === 'dilation') && text === '1') return;
    if (name === 'padding' && text === '0') return;
    const positionalFirst = i === 0 && node.def.positional[0] === name;
    if (positionalFirst) out.push(text);
    else if (v === true) out.push(ATTR_ALIASES[name] ?? name);
    else out.push(`${ATTR_ALIASES[name] ?? name}=${text}`);
  });
  return out.join(', ');
}

function paramBadge(
  trainable: number,
  nonTrainable: number,
  extra?: { shared?: boolean; sharedRepeat?: boolean; sharedWith?: readonly string[] },
): ParamBadge {
  const total = trainable + nonTrainable;
  let text = compactNumber(total);
  if (extra?.sharedRepeat) text = 'shared';
  else if (extra?.sharedWith?.length) text += ` + ${extra.sharedWith.join(', ')}`;
  return {
    trainable,
    nonTrainable,
    text,
    ...(extra?.shared ? { shared: true } : {}),
    ...(extra?.sharedRepeat ? { sharedRepeat: true } : {}),
    ...(extra?.sharedWith?.length ? { sharedWith: extra.sharedWith } : {}),
  };
}

function nodeParams(n: LayerNode): { trainable: number; nonTrainable: number } {
  let trainable = 0;
  let nonTrainable = 0;
  if (n.sharedRepeat) return { trainable, nonTrainable };
  for (const p of n.params) {
    if (n.tied?.some((t) => t.param === p.name)) continue; // counted with its owner
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (p.trainable && !n.frozen) trainable += size;
    else nonTrainable += size;
  }
  return { trainable, nonTrainable };
}

function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
}

function within(inner: Span, outer: Span): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

export function buildGraphData(
  model: CheckedModel,
  diagnostics: readonly Diagnostic[],
  opts: GraphOptions,
): GraphData {
  const indexes = new Map<string, LineIndex>();
  const lineIndex = (file: string): LineIndex => {
    let ix = indexes.get(file);
    if (!ix) {
      ix = new LineIndex(opts.files?.get(file)?.text ?? '');
      indexes.set(file, ix);
    }
    return ix;
  };
  const ref = (file: string, span: Span): SourceRef => ({
    file,
    span: { start: span.start, end: span.end },
    range: lineIndex(file).range(span),
  });
  const cost = (d: Dim): string => compactCost(opts.macsOrFlops === 'flops' ? d.mul(2) : d);

  // ---------------------------------------------------------------- groups
  // Repeat iterations that share a parent and a use site are gathered under one synthetic
  // `repeat` container; an iteration holding a single group and no layers is not drawn.
  const childGroups = new Map<number | undefined, Group[]>();
  for (const g of model.groups) {
    const list = childGroups.get(g.parent) ?? [];
    list.push(g);
    childGroups.set(g.parent, list);
  }
  const directNodes = new Map<number | undefined, LayerNode[]>();
  for (const n of model.nodes) {
    const list = directNodes.get(n.group) ?? [];
    list.push(n);
    directNodes.set(n.group, list);
  }

  /** Id of each checker group, and the drawn container its children attach to. */
  const groupKey = new Map<number, string>();
  /** Where a checker group's content goes in the drawn hierarchy (undefined = top level). */
  const drawnParent = new Map<number, string | undefined>();
  const groups: GraphGroup[] = [];
  const groupIndex = new Map<string, number>();
  const containerOf = (g: number | undefined): string | undefined =>
    g === undefined ? undefined : drawnParent.get(g);

  const visit = (parent: number | undefined, parentKey: string): void => {
    const kids = childGroups.get(parent) ?? [];
    const ordinals = new Map<string, number>();
    const repeatContainers = new Map<string, string>(); // use-site span → container id
    for (const g of kids) {
      if (g.kind === 'block') {
        const base = `block:${g.name ?? '?'}`;
        const ord = ordinals.get(base) ?? 0;
        ordinals.set(base, ord + 1);
        const id = `${parentKey}/${base}#${ord}`;
        groupKey.set(g.id, id);
        const dp = parent === undefined ? undefined : containerOf(parent);
        pushGroup({
          id,
          kind: 'block',
          label: g.label,
          collapsedLabel: g.label,
          parent: dp,
          source: ref(g.file, g.span),
        });
        drawnParent.set(g.id, id);
      } else {
        const siteKey = `${g.file}:${g.span.start}:${g.span.end}`;
        let container = repeatContainers.get(siteKey);
        if (!container) {
          const ord = ordinals.get('repeat') ?? 0;
          ordinals.set('repeat', ord + 1);
          container = `${parentKey}/repeat#${ord}`;
          repeatContainers.set(siteKey, container);
          pushGroup({
            id: container,
            kind: 'repeat',
            label: 'repeat',
            collapsedLabel: 'repeat',
            parent: parent === undefined ? undefined : containerOf(parent),
            source: ref(g.file, g.span),
          });
        }
        const id = `${container}/${g.index ?? 0}`;
        groupKey.set(g.id, id);
        const onlyGroup =
          (directNodes.get(g.id)?.length ?? 0) === 0 && (childGroups.get(g.id)?.length ?? 0) === 1;
        const count = Number(/\/(\d+)/.exec(g.label)?.[1] ?? '0');
        const c = groups[groupIndex.get(container)!]!;
        const label = `repeat × ${count || '?'}`;
        groups[groupIndex.get(container)!] = { ...c, label, collapsedLabel: label, count };
        if (onlyGroup) drawnParent.set(g.id, container);
        else {
          pushGroup({
            id,
            kind: 'iteration',
            label: `${(g.index ?? 0) + 1}/${count || '?'}`,
            collapsedLabel: `iteration ${(g.index ?? 0) + 1}/${count || '?'}`,
            parent: container,
            source: ref(g.file, g.span),
          });
          drawnParent.set(g.id, id);
        }
      }
      visit(g.id, groupKey.get(g.id)!);
    }
  };
  function pushGroup(
    g: Omit<GraphGroup, 'params' | 'nodeCount' | 'macs'> & { parent: string | undefined },
  ): void {
    const { parent, ...rest } = g;
    groupIndex.set(g.id, groups.length);
    groups.push({
      ...rest,
      ...(parent !== undefined ? { parent } : {}),
      params: paramBadge(0, 0),
      nodeCount: 0,
    });
  }
  visit(undefined, model.name);
  // Repeat iterations of a flattened single-group iteration: show the iteration on the child.
  for (const g of model.groups) {
    if (g.kind !== 'repeat') continue;
    const kids = childGroups.get(g.id) ?? [];
    if (drawnParent.get(g.id) !== groupKey.get(g.id) && kids.length === 1) {
      const child = groupKey.get(kids[0]!.id)!;
      const i = groupIndex.get(child)!;
      const c = groups[i]!;
      const count = Number(/\/(\d+)/.exec(g.label)?.[1] ?? '0');
      const suffix = ` · ${(g.index ?? 0) + 1}/${count || '?'}`;
      groups[i] = { ...c, label: c.label + suffix, collapsedLabel: c.collapsedLabel + suffix };
    }
  }

  // ---------------------------------------------------------------- nodes
  // Only diagnostics that reach this model's nodes can touch one: one pass over the file's
  // diagnostics per model, instead of one per node (which made a large file's graph data
  // quadratic: every node of every model scanned every diagnostic).
  const extent = new Map<string, { start: number; end: number }>();
  for (const n of model.nodes) {
    const start = Math.min(n.span.start, n.nameSpan.start);
    const end = Math.max(n.span.end, n.nameSpan.end);
    const e = extent.get(n.file);
    if (!e) extent.set(n.file, { start, end });
    else {
      if (start < e.start) e.start = start;
      if (end > e.end) e.end = end;
    }
  }
  const near = diagnostics.filter((d) => {
    const e = extent.get(d.file);
    return e !== undefined && d.span.start <= e.end && d.span.end >= e.start;
  });
  const errors = near.filter((d) => d.severity === 'error');
  const warnings = near.filter((d) => d.severity === 'warning');
  const touching = (list: readonly Diagnostic[], n: LayerNode): Diagnostic | undefined =>
    list.find(
      (d) =>
        d.file === n.file &&
        (within(d.span, n.span) ||
          overlaps(d.span, n.nameSpan) ||
          (d.span.start === d.span.end && d.span.start === n.span.start)),
    );

  const nodes: GraphNode[] = [];
  const nodeIdOf = new Map<number, string>();
  const nodeOrdinals = new Map<string, number>();
  for (const inp of model.inputs) {
    const id = `${model.name}/in:${inp.name}`;
    const v = model.values[inp.value];
    nodes.push({
      id,
      kind: 'input',
      type: 'Input',
      category: 'io',
      label: inp.name,
      attrs: v?.shape ? formatShape(v.shape, opts.shapeStyle) : '',
      source: ref(model.file, inp.span),
      inPorts: 0,
      outPorts: 1,
    });
  }
  const groupAgg = new Map<
    string,
    { t: number; nt: number; macs: Dim; count: number; error: boolean; frozen: boolean }
  >();
  for (const n of model.nodes) {
    const gid = n.group === undefined ? undefined : drawnParent.get(n.group);
    const scope = n.group === undefined ? model.name : groupKey.get(n.group)!;
    const base = `${scope}/${n.def.name}`;
    const ord = nodeOrdinals.get(base) ?? 0;
    nodeOrdinals.set(base, ord + 1);
    const id = `${base}#${ord}`;
    nodeIdOf.set(n.id, id);
    const { trainable, nonTrainable } = nodeParams(n);
    const err = n.error ?? touching(errors, n)?.message;
    const warn = err ? undefined : touching(warnings, n)?.message;
    const hasParams = n.params.length > 0;
    nodes.push({
      id,
      kind: 'layer',
      type: n.def.name,
      category: n.def.category,
      label: n.label,
      attrs: keyAttrs(n),
      ...(hasParams
        ? {
            params: paramBadge(trainable, nonTrainable, {
              shared: n.sharedKey !== undefined,
              sharedRepeat: n.sharedRepeat,
              sharedWith: n.tied?.map((t) => t.owner),
            }),
          }
        : {}),
      ...(n.macs.value === 0 ? {} : { macs: cost(n.macs) }),
      source: ref(n.file, n.span),
      ...(gid !== undefined ? { group: gid } : {}),
      ...(err !== undefined ? { error: err } : {}),
      ...(warn !== undefined ? { warning: warn } : {}),
      ...(n.frozen ? { frozen: true } : {}),
      inPorts: n.inputs.length,
      outPorts: n.outputs.length,
    });
    // Aggregate into every drawn ancestor group.
    for (let g = gid; g !== undefined; g = groups[groupIndex.get(g)!]!.parent) {
      const a = groupAgg.get(g) ?? {
        t: 0,
        nt: 0,
        macs: Dim.const(0),
        count: 0,
        error: false,
        frozen: true,
      };
      a.frozen &&= n.frozen;
      a.t += trainable;
      a.nt += nonTrainable;
      a.macs = a.macs.add(n.macs);
      a.count += 1;
      a.error ||= err !== undefined;
      groupAgg.set(g, a);
    }
  }
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const a = groupAgg.get(g.id);
    if (!a) continue;
    groups[i] = {
      ...g,
      params: paramBadge(a.t, a.nt),
      nodeCount: a.count,
      ...(a.macs.value === 0 ? {} : { macs: cost(a.macs) }),
      ...(a.error ? { error: true } : {}),
      ...(a.frozen ? { frozen: true } : {}),
    };
  }
  // Drop empty groups (an error can leave a block instance without layers).
  const kept = groups.filter((g) => g.nodeCount > 0);

  for (const out of model.outputs) {
    const v = model.values[out.value];
    nodes.push({
      id: `${model.name}/out:${out.name}`,
      kind: 'output',
      type: 'Output',
      category: 'io',
      label: out.name,
      attrs: v?.shape ? formatShape(v.shape, opts.shapeStyle) : '',
      source: ref(model.file, out.span),
      inPorts: 1,
      outPorts: 0,
    });
  }

  // ---------------------------------------------------------------- edges
  const edges: GraphEdge[] = [];
  const producerOf = (valueId: number): { node: string; port: number } | undefined => {
    const v = model.values[valueId];
    if (!v) return undefined;
    if (v.producer !== undefined) {
      const p = model.nodes[v.producer];
      const id = nodeIdOf.get(v.producer);
      if (!p || id === undefined) return undefined;
      return { node: id, port: Math.max(0, p.outputs.indexOf(valueId)) };
    }
    const inp = model.inputs.find((i) => i.value === valueId);
    return inp ? { node: `${model.name}/in:${inp.name}`, port: 0 } : undefined;
  };
  const edgeLabel = (valueId: number): string => {
    const s = model.values[valueId]?.shape;
    return s ? formatShape(s, opts.shapeStyle) : '?';
  };
  const pushEdge = (valueId: number, target: string, targetPort: number): void => {
    const src = producerOf(valueId);
    if (!src) return;
    const name = model.values[valueId]?.name;
    edges.push({
      id: `${src.node}:${src.port}->${target}:${targetPort}`,
      source: src.node,
      sourcePort: src.port,
      target,
      targetPort,
      label: edgeLabel(valueId),
      ...(name !== undefined ? { name } : {}),
    });
  };
  for (const n of model.nodes) {
    const id = nodeIdOf.get(n.id)!;
    n.inputs.forEach((v, i) => pushEdge(v, id, i));
  }
  for (const out of model.outputs) pushEdge(out.value, `${model.name}/out:${out.name}`, 0);

  let t = 0;
  let nt = 0;
  for (const n of model.nodes) {
    const p = nodeParams(n);
    t += p.trainable;
    nt += p.nonTrainable;
  }
  return {
    model: model.name,
    nodes,
    edges,
    groups: kept,
    totals: { params: paramBadge(t, nt), macs: cost(model.totals.macs) },
    costUnit: opts.macsOrFlops === 'flops' ? 'FLOPs' : 'MACs',
  };
}
