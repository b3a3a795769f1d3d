/**
 * Which layers fit the tensor flowing into a `|>` that is being typed, and the shape each would
 * produce: layer completion ranks layers that accept the input first and shows the result.
 *
 * The shape comes from the layer's own shape rule (its LayerDef), run on the input shape. The
 * required attributes are not written yet, so the rule runs twice with two sets of stand-in values;
 * a dim that follows a stand-in is shown by the attribute's name (`[B, out, ?, ?]`), a dim that
 * depends on the arguments in another way is `?`, and a dim that is the same in both runs is
 * exact.
 */
import { Dim, type Shape, type Span } from '../core';
import { makeAttrs } from '../layers/attrs';
import type { AttrSpec, LayerDef, AttrValue } from '../layers/types';
import type { CheckResult } from '../language/checked';
import type { Token } from '../language/lexer';

/** The input of the stage being typed: its shapes, and whether it holds integer ids. */
export interface StageInput {
  readonly shapes: readonly Shape[];
  /** True: integer ids; false: float features; undefined: either (an input without a type). */
  readonly ids?: boolean;
}

export interface StageFit {
  /** The layer accepts the input (its shape rule passes with stand-in arguments). */
  readonly fits: boolean;
  /** The output shape(s), e.g. `[B, out, ?, ?]`; undefined when the layer does not fit. */
  readonly output?: string;
}

/** Stand-in values for int attributes, distinct per attribute and per run (primes, unlike dims). */
const INT_STANDINS: readonly (readonly number[])[] = [
  [1009, 1019, 1021, 1031, 1033],
  [1013, 1039, 1049, 1051, 1061],
];

function standIn(
  spec: AttrSpec,
  run: 0 | 1,
  intIndex: number,
  rank: number,
): AttrValue | undefined {
  switch (spec.type.kind) {
    case 'int':
      return INT_STANDINS[run]![intIndex % INT_STANDINS[run]!.length]!;
    case 'ints':
      return run + 1;
    case 'float':
      return spec.type.min !== undefined && spec.type.min > 0.5 ? spec.type.min : 0.5;
    case 'bool':
      return false;
    case 'string':
      return spec.type.values?.[0] ?? 'x';
    case 'intList':
      // Reshape's `[-1]` in one run, Permute's identity order in the other.
      return run === 0 ? [-1] : Array.from({ length: rank }, (_, i) => i);
    case 'padding':
    case 'any':
      return 0;
  }
}

function runRule(
  def: LayerDef,
  inputs: readonly Shape[],
  run: 0 | 1,
): readonly Shape[] | undefined {
  const values = new Map<string, AttrValue>();
  let ints = 0;
  for (const spec of def.attrs) {
    if (!spec.required) continue;
    const v = standIn(spec, run, spec.type.kind === 'int' ? ints++ : 0, inputs[0]?.length ?? 0);
    if (v !== undefined) values.set(spec.name, v);
  }
  try {
    return def.infer({
      inputs,
      attrs: makeAttrs(def, values),
      call: def.name,
      warn: () => {},
    }).outputs;
  } catch {
    return undefined;
  }
}

/** The name of the int attribute whose stand-in `a` (run 0) and `b` (run 1) are, with a factor. */
function standInName(def: LayerDef, a: number, b: number): string | undefined {
  const required = def.attrs.filter((s) => s.required && s.type.kind === 'int');
  for (let i = 0; i < required.length; i++) {
    const s0 = INT_STANDINS[0]![i % INT_STANDINS[0]!.length]!;
    const s1 = INT_STANDINS[1]![i % INT_STANDINS[1]!.length]!;
    if (a % s0 !== 0 || b % s1 !== 0 || a / s0 !== b / s1) continue;
    const k = a / s0;
    return k === 1 ? required[i]!.name : `${k}·${required[i]!.name}`;
  }
  return undefined;
}

function dimText(def: LayerDef, d0: Dim, d1: Dim | undefined): string {
  const t0 = d0.toString();
  if (d1 && d1.toString() === t0) return t0;
  const a = d0.value;
  const b = d1?.value;
  if (a !== undefined && b !== undefined) return standInName(def, a, b) ?? '?';
  return '?';
}

/** Whether `def` accepts `input`, and the shape it would produce. */
export function stageFit(def: LayerDef, input: StageInput): StageFit {
  if (input.shapes.length < def.arity.min || input.shapes.length > def.arity.max)
    return { fits: false };
  // Element types: an Embedding reads ids; a float layer does not (see DLM110).
  if (input.ids !== undefined && def.dtype !== 'preserve' && (def.dtype === 'ids') !== input.ids)
    return { fits: false };
  const run0 = runRule(def, input.shapes, 0);
  const run1 = runRule(def, input.shapes, 1);
  const out0 = run0 ?? run1;
  if (!out0) return { fits: false };
  // A tuple attribute (Reshape's shape, Permute's dims) decides the whole output.
  if (def.attrs.some((s) => s.required && s.type.kind === 'intList'))
    return { fits: true, output: '?' };
  const out1 = run0 ? run1 : undefined;
  const shapes = out0.map((s, k) => {
    const other = out1?.[k];
    if (other && other.length !== s.length) return '?';
    return `[${s.map((d, i) => dimText(def, d, other?.[i])).join(', ')}]`;
  });
  return { fits: true, output: shapes.length === 1 ? shapes[0] : `(${shapes.join(', ')})` };
}

/**
 * The input of a stage typed after `|>`: `before` is the token right before the `|>`. It is the
 * end of an earlier stage (whose output shapes the checker recorded) or a pipeline head naming a
 * model input or a binding.
 */
export function stageInputBefore(
  result: CheckResult,
  file: string,
  before: Token,
  within: Span,
): StageInput | undefined {
  const stage = result.stageShapes.find(
    (s) => s.file === file && s.span.end === before.end && s.span.start >= within.start,
  );
  if (stage) {
    if (stage.shapes.some((s) => s === undefined)) return undefined;
    return { shapes: stage.shapes, ids: false };
  }
  if (before.kind !== 'ident' || !before.text) return undefined;
  // A name: the latest value of that name in the model or block, before the cursor.
  let best: { shape: Shape; ids?: boolean; at: number } | undefined;
  for (const model of result.models) {
    if (model.file !== file) continue;
    for (const v of model.values) {
      if (v.name !== before.text || !v.shape || v.file !== file) continue;
      if (v.span.start < within.start || v.span.start > before.start) continue;
      if (!best || v.span.start > best.at)
        best = {
          shape: v.shape,
          at: v.span.start,
          ...(v.dtype ? { ids: v.dtype === 'int' } : {}),
        };
    }
  }
  return best && { shapes: [best.shape], ...(best.ids !== undefined ? { ids: best.ids } : {}) };
}
