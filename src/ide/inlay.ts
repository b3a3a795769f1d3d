/**
 * Inlay hints: the output shape after pipeline stages, from the checker's stage shapes.
 *
 * Noise control: on a line with several stages, a shape-preserving stage (an activation,
 * normalization, dropout) gets no hint when the next stage on the same line follows it; the last
 * stage on each line always gets one. A `name =` binding whose pipeline spans several lines gets
 * its final shape after the name.
 */
import { lineIndex, shapeEquals, type Span } from '../core';
import type { Pipeline, Stage } from '../language/ast';
import type { CheckResult } from '../language/checked';
import { allStmts } from './hover';
import { nodesAt, shapesText, stageShapeAt, type DisplayOptions, DEFAULT_DISPLAY } from './common';
import { indexFile } from './index';

export interface InlayHint {
  readonly offset: number;
  readonly label: string;
  readonly tooltip?: string;
}

export function inlayHints(
  result: CheckResult,
  file: string,
  range?: Span,
  opts: DisplayOptions = DEFAULT_DISPLAY,
): InlayHint[] {
  const ix = indexFile(result, file);
  if (!ix) return [];
  const lines = lineIndex(ix.source.text);
  const out: InlayHint[] = [];
  const inRange = (o: number): boolean => !range || (range.start <= o && o <= range.end);

  const stageHints = (stages: readonly Stage[]): void => {
    stages.forEach((st, i) => {
      const ss = stageShapeAt(result, file, st.span);
      const next = stages[i + 1];
      const sameLine =
        next !== undefined &&
        lines.position(next.span.start).line === lines.position(st.span.end).line;
      // The next stage on this line shows the same shape: this hint would only repeat it.
      const nextSs = sameLine && next ? stageShapeAt(result, file, next.span) : undefined;
      const preserving =
        ss !== undefined &&
        nextSs !== undefined &&
        nextSs.shapes.length === ss.shapes.length &&
        nextSs.shapes.every((s, k) => shapeEquals(s, ss.shapes[k]!));
      if (ss && !(sameLine && preserving) && inRange(st.span.end)) {
        let label = shapesText(ss.shapes, opts.shapeStyle);
        let tooltip: string | undefined;
        if (ss.count > 1) {
          const variants = variantsOf(result, file, st);
          if (variants > 1) {
            label += ` (+${variants - 1} more)`;
            tooltip = `Instantiated ${ss.count} times with ${variants} different shapes; hover for the list.`;
          }
        }
        out.push({ offset: st.span.end, label: ': ' + label, ...(tooltip ? { tooltip } : {}) });
      }
      if (st.kind === 'Group') stageHintsNested(st.stages);
    });
  };
  const stageHintsNested = (stages: readonly Stage[]): void => {
    // Inside a group only the line-end rule applies (no input shape known here).
    stageHints(stages);
  };
  const pipeline = (p: Pipeline): void => {
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(pipeline);
    stageHints(p.stages);
  };
  for (const st of allStmts(ix.source)) {
    if (st.kind === 'Bind') {
      pipeline(st.value);
      const multiLine =
        lines.position(st.value.span.start).line !== lines.position(st.value.span.end).line;
      if (multiLine && inRange(st.name.span.end)) {
        const last = st.value.stages[st.value.stages.length - 1];
        const ss = last ? stageShapeAt(result, file, last.span) : undefined;
        if (ss)
          out.push({
            offset: st.name.span.end,
            label: ': ' + shapesText(ss.shapes, opts.shapeStyle),
          });
      }
    } else if (st.kind === 'ExprStmt' || st.kind === 'BindTuple') pipeline(st.value);
    else if (st.kind === 'Return') st.values.forEach(pipeline);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** How many distinct output shapes a stage in a block body has across its instantiations. */
function variantsOf(result: CheckResult, file: string, st: Stage): number {
  if (st.kind !== 'Layer') return 1;
  const nodes = nodesAt(result, file, st.callee.span);
  const keys = new Set(
    nodes.map(({ model, node }) =>
      node.outputs.map((v) => model.values[v]?.shape?.map(String).join(',')).join('|'),
    ),
  );
  return Math.max(1, keys.size);
}
