/** A CheckResult as plain data, for comparing incremental, memoized and full checks. */
import { formatShape } from '../../../src/core';
import type { CheckResult } from '../../../src/language/checked';

/** Everything a consumer reads, as plain data, for comparison. */
export function snapshot(r: CheckResult): unknown {
  const span = (s: { start: number; end: number }) => `${s.start}-${s.end}`;
  return {
    diagnostics: r.diagnostics
      .map((d) => ({
        d: `${d.code} ${d.severity} ${d.file} ${span(d.span)} ${d.message}`,
        related: (d.related ?? []).map((x) => `${x.file} ${span(x.span)} ${x.message}`),
        fixes: (d.fixes ?? []).map(
          (f) => `${f.title}: ${f.edits.map((e) => `${span(e.span)}=${e.newText}`).join(',')}`,
        ),
      }))
      .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0)),
    models: r.models.map((m) => ({
      name: m.name,
      span: span(m.span),
      ok: m.ok,
      totals: `${m.totals.trainable}/${m.totals.nonTrainable}/${m.totals.macs.toString()}`,
      nodes: m.nodes.map(
        (n) =>
          `${n.label} ${n.file} ${span(n.span)} ${span(n.nameSpan)} ${n.outputs.map((o) => (m.values[o]!.shape ? formatShape(m.values[o]!.shape!) : '?')).join(' ')} ${n.group ?? ''} ${n.sharedKey ? 'shared' : ''}`,
      ),
      groups: m.groups.map((g) => `${g.kind} ${g.label} ${span(g.span)} ${g.parent ?? ''}`),
      outputs: m.outputs.map((o) => `${o.name} ${span(o.span)}`),
    })),
    stages: r.stageShapes
      .map(
        (s) =>
          `${s.file} ${span(s.span)} ${s.count} ${s.variants.map((v) => `${v.shapes.map((x) => formatShape(x)).join(' ')}×${v.count}`).join(' | ')}`,
      )
      .sort(),
  };
}
