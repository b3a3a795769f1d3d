/**
 * Qualified parameter names, one scheme for everything that names a parameter: the compiler's
 * graph inputs, run checkpoints, the ONNX and PyTorch exports, and the checker's matching of
 * `weights from` files. A layer is `<type><k>` (lower-case type, k counting that type within its
 * scope), a block instance `<block><k>`, and iteration i of a `repeat` `repeat<k>.<i>`; a tied
 * layer (`layer enc = Dense(8)`) is named by its binding. So ResNet-18 has `conv2d0.weight`,
 * `basicblock0.batchnorm2d1.running_mean` and `repeat0.1.basicblock0.conv2d0.weight`.
 */
import type { CheckedModel, LayerNode } from './checked';

const lower = (s: string): string => s.toLowerCase();

/**
 * Qualified parameter-name prefixes, one per node (`conv2d0`, `basicblock1.conv2d0`); shared
 * uses of a tied layer map to their first use's prefix.
 */
export function nodePrefixes(model: CheckedModel): string[] {
  return modelNames(model).nodes;
}

/**
 * The qualified prefixes of {@link nodePrefixes}, and the path of every group (`basicblock1`,
 * `repeat0.1`) by group id, from which the prefixes are built.
 */
export function modelNames(model: CheckedModel): {
  readonly nodes: string[];
  readonly groups: ReadonlyMap<number, string>;
} {
  const groupPath = new Map<number, string>();
  const counters = new Map<string, number>(); // `${scope}|${kind}` → next index
  const next = (scope: string, kind: string) => {
    const k = `${scope}|${kind}`;
    const n = counters.get(k) ?? 0;
    counters.set(k, n + 1);
    return n;
  };
  const join = (a: string, b: string) => (a ? `${a}.${b}` : b);
  const repeats = new Map<string, number>();
  const pathOf = (gid: number | undefined): string => {
    if (gid === undefined) return '';
    const hit = groupPath.get(gid);
    if (hit !== undefined) return hit;
    const g = model.groups[gid]!;
    const parent = pathOf(g.parent);
    let seg: string;
    if (g.kind === 'repeat') {
      // Iterations of one `repeat` share its source span: `repeat<k>.<index>`.
      const key = `${parent}|${g.file}:${g.span.start}`;
      let k = repeats.get(key);
      if (k === undefined) repeats.set(key, (k = next(parent, '#repeat')));
      seg = g.index !== undefined ? `repeat${k}.${g.index}` : `repeat${k}`;
    } else {
      const name = lower(g.name ?? g.label.replace(/\(.*$/, ''));
      seg = `${name}${next(parent, `#block:${name}`)}`;
    }
    const p = join(parent, seg);
    groupPath.set(gid, p);
    return p;
  };
  // Create group paths in id order so that counters follow source order.
  model.groups.forEach((g) => pathOf(g.id));
  const shared = new Map<string, string>();
  const used = new Set<string>();
  const nodes = model.nodes.map((n) => {
    if (n.sharedKey !== undefined) {
      const hit = shared.get(n.sharedKey);
      if (hit !== undefined) return hit;
      const binding = /^([A-Za-z_]\w*):\s/.exec(n.label)?.[1];
      let p = join(
        pathOf(n.group),
        binding ?? `${lower(n.def.name)}${next(pathOf(n.group), n.def.name)}`,
      );
      while (used.has(p)) p += '_';
      used.add(p);
      shared.set(n.sharedKey, p);
      return p;
    }
    const scope = pathOf(n.group);
    let p = join(scope, n.binding ?? `${lower(n.def.name)}${next(scope, n.def.name)}`);
    while (used.has(p)) p += '_';
    used.add(p);
    return p;
  });
  return { nodes, groups: groupPath };
}

/** One parameter (or buffer) of a model under its qualified name, and the node that owns it. */
export interface NamedParam {
  readonly name: string;
  readonly shape: readonly number[];
  /** The first node that uses it (a tied layer's later uses share it). */
  readonly node: number;
  /** A buffer (running statistics) rather than a weight. */
  readonly buffer: boolean;
}

/** Every parameter and buffer of a model, in graph order, each once. */
export function namedParams(model: CheckedModel): NamedParam[] {
  const prefixes = nodePrefixes(model);
  const out: NamedParam[] = [];
  const seen = new Set<string>();
  for (const n of model.nodes) {
    for (const p of n.params) {
      const name = paramName(model, prefixes, n, p.name);
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, shape: p.shape, node: n.id, buffer: !p.trainable });
    }
  }
  return out;
}

/**
 * The qualified name of a node's parameter: `<prefix>.<param>` (`conv2d0.weight`), or the prefix
 * alone for a learned tensor, whose one parameter has the empty name (`cls`, `block0.pos`).
 */
export function qualifiedParam(prefix: string, param: string): string {
  return param ? `${prefix}.${param}` : prefix;
}

/**
 * The qualified name of parameter `param` of node `n` (prefixes from {@link nodePrefixes}): its
 * own, or for a tied parameter (`Dense(V, tie=embed)`) the owner's, `embed.weight`.
 */
export function paramName(
  model: CheckedModel,
  prefixes: readonly string[],
  n: LayerNode,
  param: string,
): string {
  const t = n.tied?.find((x) => x.param === param);
  if (t) {
    const owner = model.nodes.find((m) => m.sharedKey === t.key);
    if (owner) return qualifiedParam(prefixes[owner.id]!, t.ownerParam);
  }
  return qualifiedParam(prefixes[n.id]!, param);
}

/**
 * The names a tied parameter also has in PyTorch: `self.dense0.weight = self.embed.weight` makes
 * `state_dict()` list both `dense0.weight` and `embed.weight` (one tensor), so a strict load
 * needs both keys. Alias → the parameter it stands for.
 */
export function tiedAliases(model: CheckedModel): Map<string, string> {
  const prefixes = nodePrefixes(model);
  const out = new Map<string, string>();
  for (const n of model.nodes)
    for (const t of n.tied ?? [])
      out.set(qualifiedParam(prefixes[n.id]!, t.param), paramName(model, prefixes, n, t.param));
  return out;
}
