/**
 * Qualified parameter names of a checked model: one place for the naming the compiler, the
 * PyTorch export, the probe and the model diff share.
 *
 * Names: a path of scopes, then the layer, then the PyTorch parameter name. A layer is
 * `<type><k>` (lower-case type, k counting that type within its scope), a block instance
 * `<block><k>`, and iteration i of a `repeat` `repeat<k>.<i>`. So ResNet-18 has
 * `conv2d0.weight`, `basicblock0.batchnorm2d1.running_mean` and
 * `repeat0.1.basicblock0.conv2d0.weight` (iteration 1 of the first repeat). A tied layer
 * (`layer enc = Dense(8)`) is named by its binding, `enc.weight`, and every use reads that one
 * parameter set.
 */
import type { CheckedModel } from './checked';

const lower = (s: string) => s.toLowerCase();

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
    let p = join(scope, `${lower(n.def.name)}${next(scope, n.def.name)}`);
    while (used.has(p)) p += '_';
    used.add(p);
    return p;
  });
  return { nodes, groups: groupPath };
}
