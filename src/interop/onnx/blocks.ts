/**
 * Residual subgraphs of an imported model as `block`s: a run of stages that starts where a value
 * forks (read by two or more stages), reads nothing else from before, and closes where its branches
 * merge again into one value that is all the rest of the model reads (plus the activations right
 * after it: `(h, x) |> Add |> ReLU`). Runs with the same structure (layers, wiring, list-valued
 * attributes) are one block; the scalar attributes that differ between its uses (a ResNet stage's
 * channels) become the block's parameters, shared when they always agree (`Conv2d(c, …, groups=c)`).
 * Only structures used at least twice become blocks; the writer then turns consecutive identical
 * uses into `repeat n Block(…)`.
 */
import { getLayer } from '../../layers/catalog';
import { describeValue, type AttrValue } from '../../layers/types';
import type { Stage } from './patterns';

/** One block definition: its body is the stages of `uses[0]`, with parameters for what differs. */
export interface BlockDef {
  readonly name: string;
  /** Parameter names and types, in order. */
  readonly params: readonly { readonly name: string; readonly type: string }[];
  /** For body stage p: attribute name → parameter name. */
  readonly refs: readonly ReadonlyMap<string, string>[];
  readonly uses: readonly BlockUse[];
}

export interface BlockUse {
  readonly block: BlockDef;
  /** Global stage indices, in body order. */
  readonly members: readonly number[];
  readonly args: readonly AttrValue[];
  readonly input: string;
  readonly output: string;
}

/** The attributes a call writes: the ones that are not the layer's defaults, in catalog order. */
export function shownAttrs(
  layer: string,
  attrs: Readonly<Record<string, AttrValue>>,
): [string, AttrValue][] {
  const def = getLayer(layer)!;
  const out: [string, AttrValue][] = [];
  for (const spec of def.attrs) {
    const val = attrs[spec.name];
    if (val === undefined) continue;
    if (spec.default !== undefined && describeValue(spec.default) === describeValue(val)) continue;
    out.push([spec.name, val]);
  }
  return out;
}

/** Longest run of stages searched for a block (a longer residual subgraph stays inline). */
const MAX_BLOCK_STAGES = 200;

interface Segment {
  readonly start: number;
  readonly end: number;
  readonly key: string;
}

/**
 * The block uses of `stages` (non-overlapping, in order), given the values the graph outputs
 * read. `taken` names are avoided for the blocks' names.
 */
export function findBlocks(
  stages: readonly Stage[],
  graphOutputs: ReadonlySet<string>,
  taken: ReadonlySet<string>,
): BlockUse[] {
  const readers = new Map<string, number[]>();
  stages.forEach((s, k) => {
    for (const i of s.inputs) readers.set(i, [...(readers.get(i) ?? []), k]);
  });
  const readBy = (v: string) => readers.get(v) ?? [];
  const segments: Segment[] = [];
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i]!;
    if (s.inputs.length !== 1) continue;
    const entry = s.inputs[0]!;
    const forks = readBy(entry);
    if (forks.length < 2 || forks[0] !== i || graphOutputs.has(entry)) continue;
    const seg = closeAt(stages, i, entry, readBy, graphOutputs);
    if (seg !== undefined) segments.push({ start: i, end: seg, key: keyOf(stages, i, seg, entry) });
  }
  // Structures used at least twice, earliest first; overlapping candidates lose.
  const count = new Map<string, number>();
  for (const s of segments) count.set(s.key, (count.get(s.key) ?? 0) + 1);
  const chosen: Segment[] = [];
  for (const s of segments) {
    if (count.get(s.key)! < 2) continue;
    if (chosen.some((c) => s.start <= c.end && c.start <= s.end)) continue;
    chosen.push(s);
  }
  const groups = new Map<string, Segment[]>();
  for (const s of chosen) groups.set(s.key, [...(groups.get(s.key) ?? []), s]);
  const uses: BlockUse[] = [];
  const names = new Set(taken);
  for (const [, segs] of groups) {
    if (segs.length < 2) continue;
    const residual = segs[0]!;
    const kind = stages.slice(residual.start, residual.end + 1).some((s) => s.layer === 'Add')
      ? 'Residual'
      : 'Block';
    let name = kind;
    for (let k = 2; names.has(name); k++) name = `${kind}${k}`;
    names.add(name);
    uses.push(...blockOf(stages, segs, name));
  }
  return uses.sort((a, b) => a.members[0]! - b.members[0]!);
}

/** The first end j > i where the run [i..j] reads only `entry` from before and only its last
 * value is read after it; extended over following activations. */
function closeAt(
  stages: readonly Stage[],
  i: number,
  entry: string,
  readBy: (v: string) => number[],
  graphOutputs: ReadonlySet<string>,
): number | undefined {
  const inside = new Set<string>([entry]);
  let merged = false;
  for (let j = i; j < stages.length; j++) {
    const s = stages[j]!;
    if (!s.inputs.every((x) => inside.has(x))) return undefined;
    if (s.inputs.length > 1) merged = true;
    inside.add(s.output);
    const live = [...inside].filter(
      (v) => v !== entry && (graphOutputs.has(v) || readBy(v).some((r) => r > j)),
    );
    const entryLater = readBy(entry).some((r) => r > j);
    if (!entryLater && merged && live.length === 1 && live[0] === s.output) {
      if (graphOutputs.has(s.output)) return j;
      // Include the activations right after the merge (`|> ReLU`).
      let end = j;
      while (end + 1 < stages.length) {
        const next = stages[end + 1]!;
        const out = stages[end]!.output;
        if (
          next.inputs.length !== 1 ||
          next.inputs[0] !== out ||
          readBy(out).length !== 1 ||
          graphOutputs.has(out) ||
          getLayer(next.layer)?.category !== 'activation' ||
          next.params.length
        )
          break;
        end++;
      }
      return end;
    }
    if (j - i >= MAX_BLOCK_STAGES) return undefined; // keeps the search linear in the model
  }
  return undefined;
}

/** Layers, wiring and list-valued attributes of the run; scalar attribute values left out. */
function keyOf(stages: readonly Stage[], i: number, j: number, entry: string): string {
  const local = new Map<string, string>([[entry, 'x']]);
  const parts: string[] = [];
  for (let k = i; k <= j; k++) {
    const s = stages[k]!;
    local.set(s.output, `v${k - i}`);
    const attrs = shownAttrs(s.layer, s.attrs).map(([a, v]) =>
      Array.isArray(v) ? `${a}=${describeValue(v)}` : `${a}:${typeof v}`,
    );
    parts.push(`${s.layer}(${attrs.join(',')})<-${s.inputs.map((x) => local.get(x)).join(',')}`);
  }
  return parts.join(';');
}

function blockOf(stages: readonly Stage[], segs: readonly Segment[], name: string): BlockUse[] {
  const len = segs[0]!.end - segs[0]!.start + 1;
  const attrsAt = (seg: Segment, p: number) =>
    shownAttrs(stages[seg.start + p]!.layer, stages[seg.start + p]!.attrs);
  // Differing scalar attributes → parameters; identical value vectors share one.
  const params: { name: string; type: string }[] = [];
  const vectors: string[] = [];
  const values: AttrValue[][] = [];
  const refs: Map<string, string>[] = [];
  for (let p = 0; p < len; p++) {
    const r = new Map<string, string>();
    const base = attrsAt(segs[0]!, p);
    base.forEach(([attr], a) => {
      const vs = segs.map((s) => attrsAt(s, p)[a]![1]);
      const key = vs.map((v) => describeValue(v)).join('|');
      if (vs.every((v) => describeValue(v) === describeValue(vs[0]!))) return;
      let k = vectors.indexOf(key);
      if (k < 0) {
        let pname = attr === 'x' ? 'x_' : attr;
        for (let q = 2; params.some((q2) => q2.name === pname); q++) pname = `${attr}${q}`;
        const type = vs.every((v) => typeof v === 'boolean')
          ? 'bool'
          : vs.every((v) => typeof v === 'string')
            ? 'string'
            : vs.every((v) => Number.isInteger(v))
              ? 'int'
              : 'float';
        params.push({ name: pname, type });
        vectors.push(key);
        values.push(vs);
        k = params.length - 1;
      }
      r.set(attr, params[k]!.name);
    });
    refs.push(r);
  }
  const uses: BlockUse[] = [];
  const def: BlockDef = { name, params, refs, uses };
  segs.forEach((s, u) => {
    uses.push({
      block: def,
      members: Array.from({ length: len }, (_, p) => s.start + p),
      args: values.map((vs) => vs[u]!),
      input: stages[s.start]!.inputs[0]!,
      output: stages[s.end]!.output,
    });
  });
  return uses;
}
