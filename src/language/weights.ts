/**
 * `weights from "file" { "from" -> "to" }`: which tensor of a weights file initializes which
 * parameter. One implementation for the checker (names and shapes from the file's header, as
 * diagnostics) and for the engine that loads the values (src/engine/weights.ts), so what the
 * editor reports is what training, predict and export do.
 *
 * Names are the model's qualified names (src/language/names.ts). Without a mapping every tensor
 * is taken under its own name and every parameter is covered; with one, only tensors whose names
 * start with a `from` prefix are taken (the longest matching prefix wins), renamed to the `to`
 * prefix, and the covered parameters are those under a `to` prefix.
 */
import { quoteText, type RelatedInfo, type Span } from '../core';
import type { Code } from '../core/codes';
import type { CheckedModel, WeightSource } from './checked';
import { namedParams, type NamedParam } from './names';
import { isInside, resolveRelative } from './paths';

/** A tensor as a weights file's header describes it. */
export interface FileTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface WeightPlan {
  /** Parameter name → the file tensor that initializes it (shapes agree). */
  readonly assign: Map<string, string>;
  /** Tensors mapped to a parameter of another shape. */
  readonly shapeMismatch: { param: NamedParam; tensor: string; shape: readonly number[] }[];
  /** File tensors (as named in the file) that no parameter takes. */
  readonly unused: string[];
  /** Covered parameters the file does not give: they keep their initializers. */
  readonly missing: NamedParam[];
  /** Mapping entries (by index) whose `from` matches no tensor or whose `to` matches no parameter. */
  readonly deadMappings: { index: number; side: 'from' | 'to' }[];
}

/** Tensors that are never parameters: BatchNorm's batch counter (PyTorch state_dicts). */
export function isIgnorableTensor(name: string): boolean {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked');
}

/** The parameter name a file tensor maps to (undefined: not taken). */
export function mapTensorName(source: WeightSource, name: string): string | undefined {
  if (source.map.length === 0) return name;
  let best: { from: string; to: string } | undefined;
  for (const m of source.map)
    if (
      m.to !== undefined &&
      name.startsWith(m.from) &&
      (!best || m.from.length > best.from.length)
    )
      best = { from: m.from, to: m.to };
  return best && best.to + name.slice(best.from.length);
}

/**
 * Match a file's tensors to a model's parameters. `ignore` holds tensor names that are not
 * weights (a run checkpoint's optimizer state, listed in its metadata).
 */
export function planWeights(
  params: readonly NamedParam[],
  source: WeightSource,
  tensors: readonly FileTensor[],
  ignore: ReadonlySet<string> = new Set(),
): WeightPlan {
  const byName = new Map(params.map((p) => [p.name, p]));
  const assign = new Map<string, string>();
  const shapeMismatch: WeightPlan['shapeMismatch'] = [];
  const unused: string[] = [];
  const fromUsed = new Set<number>();
  for (const t of tensors) {
    if (ignore.has(t.name) || isIgnorableTensor(t.name)) continue;
    source.map.forEach((m, i) => {
      if (t.name.startsWith(m.from)) fromUsed.add(i);
    });
    const target = mapTensorName(source, t.name);
    if (target === undefined) continue;
    const p = byName.get(target);
    if (!p) {
      unused.push(t.name);
      continue;
    }
    if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i]))
      shapeMismatch.push({ param: p, tensor: t.name, shape: t.shape });
    else assign.set(p.name, t.name);
  }
  const covered = (name: string) =>
    source.map.length === 0 || source.map.some((m) => m.to !== undefined && name.startsWith(m.to));
  const mismatched = new Set(shapeMismatch.map((m) => m.param.name));
  const missing = params.filter(
    (p) => covered(p.name) && !assign.has(p.name) && !mismatched.has(p.name),
  );
  const deadMappings: WeightPlan['deadMappings'] = [];
  source.map.forEach((m, i) => {
    if (!fromUsed.has(i)) deadMappings.push({ index: i, side: 'from' });
    else if (m.to !== undefined && !params.some((p) => p.name.startsWith(m.to!)))
      deadMappings.push({ index: i, side: 'to' });
  });
  return { assign, shapeMismatch, unused, missing, deadMappings };
}

/** `[64, 3, 3, 3]`. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A list of names for a message: the first few, then how many more. */
export function nameList(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`);
  return names.length > max
    ? `${shown.join(', ')} and ${names.length - max} more`
    : shown.join(', ');
}

/** What a host knows of a weights file: its tensors (from the header), or why it cannot say. */
export type WeightsHeader =
  | {
      readonly format: 'safetensors' | 'onnx';
      readonly tensors: readonly FileTensor[];
      /** Tensors that are not weights (a run checkpoint's optimizer state). */
      readonly ignore: readonly string[];
    }
  | {
      readonly error: {
        readonly code: 'DLM060' | 'DLM061' | 'DLM207' | 'DLM208' | 'DLM209';
        readonly message: string;
      };
    };

export type WeightsReport = (
  code: Code,
  file: string,
  span: Span,
  message: string,
  related?: RelatedInfo[],
) => void;

/**
 * Check a model's `weights from` statements against the files' headers (`header`: the host's,
 * undefined when the host reads no files, e.g. an in-memory host). Diagnostics: the path
 * (DLM203 outside the workspace, DLM060/061/207-209 from the host, DLM063 unused tensors), the
 * mapping (DLM065 dead or overlapping), the layers (DLM062 shape, DLM064 not in the file).
 */
export function checkWeightSources(
  model: CheckedModel,
  root: string,
  header: ((path: string) => WeightsHeader) | undefined,
  report: WeightsReport,
): void {
  const sources = model.weights ?? [];
  if (sources.length === 0) return;
  const params = namedParams(model);
  const given = new Map<string, WeightSource>();
  const file = model.file;
  for (const src of sources) {
    if (src.path === undefined) continue;
    const abs = resolveRelative(file, src.path);
    if (!isInside(root, abs) || /^[a-zA-Z]+:/.test(src.path)) {
      report(
        'DLM203',
        file,
        src.span,
        `weights file ${quoteText(src.path)} resolves outside the workspace; paths must be relative and stay inside the workspace folder`,
      );
      continue;
    }
    if (!header) continue;
    const h = header(abs);
    if ('error' in h) {
      report(h.error.code, file, src.span, `weights file '${src.path}': ${h.error.message}`);
      continue;
    }
    const plan = planWeights(params, src, h.tensors, new Set(h.ignore));
    const at = { file, span: src.span, message: `weights from '${src.path}'` };
    for (const m of plan.shapeMismatch) {
      const n = model.nodes[m.param.node]!;
      report(
        'DLM062',
        n.file,
        n.span,
        `'${m.tensor}' in ${src.path} is ${shapeText(m.shape)} but ${n.label}'s ${m.param.name} is ${shapeText(m.param.shape)}`,
        [at],
      );
    }
    const missingByNode = new Map<number, NamedParam[]>();
    for (const p of plan.missing) {
      let l = missingByNode.get(p.node);
      if (!l) missingByNode.set(p.node, (l = []));
      l.push(p);
    }
    for (const [id, ps] of missingByNode) {
      const n = model.nodes[id]!;
      report(
        'DLM064',
        n.file,
        n.span,
        `${src.path} has no ${nameList(ps.map((p) => mappedBack(src, p.name)))} for ${n.label}; ${ps.length === 1 ? 'it keeps its' : 'they keep their'} initializer`,
        [at],
      );
    }
    if (plan.unused.length > 0)
      report(
        'DLM063',
        file,
        src.span,
        `${plan.unused.length} tensor${plan.unused.length === 1 ? '' : 's'} of ${src.path} match${plan.unused.length === 1 ? 'es' : ''} no parameter of ${model.name} and ${plan.unused.length === 1 ? 'is' : 'are'} ignored: ${nameList(plan.unused)}${
          src.map.length ? '' : ' (map names with { "file prefix." -> "model prefix." })'
        }`,
      );
    for (const d of plan.deadMappings) {
      const m = src.map[d.index]!;
      report(
        'DLM065',
        file,
        m.span,
        d.side === 'from'
          ? `no tensor of ${src.path} starts with ${quoteText(m.from)}${suggestPrefixes(h.tensors)}`
          : `no parameter of ${model.name} starts with ${quoteText(m.to ?? '')}${suggestPrefixes(params)}`,
      );
    }
    for (const p of plan.assign.keys()) {
      const prev = given.get(p);
      if (prev && prev !== src)
        report(
          'DLM065',
          file,
          src.stmtSpan,
          `'${p}' is also given by weights from '${prev.path ?? ''}'; give each parameter from one file (narrow a mapping)`,
          [{ file, span: prev.span, message: 'the other weights statement' }],
        );
      given.set(p, src);
    }
  }
}

/** The file's name for one of our parameters under a source's mapping (for messages). */
function mappedBack(src: WeightSource, name: string): string {
  let best: { from: string; to: string } | undefined;
  for (const m of src.map)
    if (m.to !== undefined && name.startsWith(m.to) && (!best || m.to.length > best.to.length))
      best = { from: m.from, to: m.to };
  return best ? best.from + name.slice(best.to.length) : name;
}

/** ` (names start with 'features.', 'classifier.')`: the first segments present. */
function suggestPrefixes(items: readonly { readonly name: string }[]): string {
  const firsts = [...new Set(items.map((t) => t.name.split('.')[0]! + '.'))];
  return firsts.length ? ` (names start with ${nameList(firsts, 6)})` : '';
}
