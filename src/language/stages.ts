/** Stage shapes (inlay hints, hover): what every model recorded, merged per source stage. */
import type { Shape, Span } from '../core';
import type { CheckResult, StageShape } from './checked';
import type { ModelCapture } from './elaborate';

/**
 * The result, with stage shapes (which feed inlay hints and hover only) aggregated when first
 * asked for, so an edit publishes its diagnostics without this work.
 *
 * A function of its own on purpose: a getter defined inside checkText would close over
 * checkText's whole scope, including the previous result's syntax tree (`prevRoot`). Each result
 * would then keep the one before it alive, and anything that keeps an old result (a cache keyed
 * by its syntax tree) would keep every result of the editing session.
 */
export function withLazyStages(
  result: Omit<CheckResult, 'stageShapes'>,
  captures: readonly ModelCapture[],
): CheckResult {
  let stageShapes: StageShape[] | undefined;
  return {
    ...result,
    get stageShapes(): StageShape[] {
      return (stageShapes ??= aggregateStages(captures));
    },
  };
}

/** A key for a stage's output shapes (dims compare by their canonical keys). */
function shapesKey(shapes: readonly Shape[]): string {
  let k = '';
  for (const sh of shapes) {
    for (const d of sh) k += d.key() + ',';
    k += ';';
  }
  return k;
}

/** What identifies a stage's output shapes cheaply: its single shape, else the array. */
function identityOf(shapes: readonly Shape[]): object {
  return shapes.length === 1 ? shapes[0]! : shapes;
}

/** Stage shapes of all models, merged per source stage with counts and distinct variants. */
export function aggregateStages(captures: readonly ModelCapture[]): StageShape[] {
  interface Variant {
    shapes: readonly Shape[];
    count: number;
  }
  interface Acc {
    file: string;
    span: Span;
    shapes: readonly Shape[];
    count: number;
    variants: Variant[];
    /**
     * Variants by identity (the shapes array, or its single shape: instances often share the
     * shape objects of one shape-rule result) and by shape key; made on demand.
     */
    byArray?: Map<object, Variant>;
    byKey?: Map<string, Variant>;
  }
  const out: Acc[] = [];
  // file → (span start, end) → accumulator; offsets fit in 2^26, so start·2^26 + end is exact.
  const perFile = new Map<string, Map<number, Acc>>();
  for (const c of captures)
    for (const st of c.stages) {
      let byPos = perFile.get(st.file);
      if (!byPos) perFile.set(st.file, (byPos = new Map()));
      const pos = st.span.start * 67_108_864 + st.span.end;
      const acc = byPos.get(pos);
      if (!acc) {
        const a: Acc = {
          file: st.file,
          span: st.span,
          shapes: st.shapes,
          count: 1,
          variants: [{ shapes: st.shapes, count: 1 }],
        };
        byPos.set(pos, a);
        out.push(a);
        continue;
      }
      acc.count++;
      const first = acc.variants[0]!;
      if (st.shapes === first.shapes) {
        first.count++;
        continue;
      }
      const id = identityOf(st.shapes);
      if (!acc.byArray) {
        acc.byArray = new Map([[identityOf(first.shapes), first]]);
        acc.byKey = new Map([[shapesKey(first.shapes), first]]);
      }
      let v = acc.byArray.get(id);
      if (!v) {
        const k = shapesKey(st.shapes);
        v = acc.byKey!.get(k);
        if (!v) {
          v = { shapes: st.shapes, count: 0 };
          acc.variants.push(v);
          acc.byKey!.set(k, v);
        }
        acc.byArray.set(id, v);
      }
      v.count++;
    }
  return out.map(({ file, span, shapes, count, variants }) => ({
    file,
    span,
    shapes,
    count,
    variants,
  }));
}
