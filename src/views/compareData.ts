/**
 * The compare view's data: two graphs (src/views/graphData.ts) and the model diff
 * (src/language/diff.ts) turned into per-node statuses, a change list and the totals as text.
 * Pure; the language server builds it for `dlm/diff`.
 */
import type { CheckedModel, CheckResult } from '../language/checked';
import { changeParts, percent, signed, type DiffNumber, type ModelDiff } from '../language/diff';
import { thousands, type Count } from '../language/summary';
import type {
  CompareChange,
  CompareData,
  CompareSide,
  CompareStatus,
  GraphData,
} from '../../webview/protocol';
import { buildGraphData, type GraphOptions } from './graphData';

/** Graph node ids of the layer nodes, by position in `model.nodes` (forward order). */
function layerIds(g: GraphData): string[] {
  return g.nodes.filter((n) => n.kind === 'layer').map((n) => n.id);
}

const countText = (c: Count): string => (typeof c === 'number' ? thousands(c) : c);

function deltaText(v: DiffNumber): string {
  const d = typeof v.delta === 'number' ? signed(v.delta) : v.delta;
  const p = percent(v.relative);
  return p ? `${d} (${p})` : d;
}

export interface CompareInput {
  readonly diff: ModelDiff;
  readonly a: {
    readonly model: CheckedModel;
    readonly result: CheckResult;
    readonly revealable: boolean;
  };
  readonly b: {
    readonly model: CheckedModel;
    readonly result: CheckResult;
    readonly revealable: boolean;
  };
  readonly options: Omit<GraphOptions, 'files'>;
}

export function buildCompareData(input: CompareInput): CompareData {
  const { diff } = input;
  const graph = (s: CompareInput['a']): GraphData =>
    buildGraphData(s.model, s.result.diagnostics, { ...input.options, files: s.result.files });
  const ga = graph(input.a);
  const gb = graph(input.b);
  const ia = layerIds(ga);
  const ib = layerIds(gb);
  const sa: Record<string, CompareStatus> = {};
  const sb: Record<string, CompareStatus> = {};
  const changes: CompareChange[] = diff.layers.map((l) => {
    const a = l.a ? ia[l.a.index] : undefined;
    const b = l.b ? ib[l.b.index] : undefined;
    if (a !== undefined) sa[a] = l.status;
    if (b !== undefined) sb[b] = l.status;
    const s = (l.b ?? l.a)!;
    const label = l.status === 'changed' && l.changes.includes('label') ? '' : `${s.label}  `;
    return {
      status: l.status,
      path: s.path,
      text: label + changeParts(l).join('; '),
      ...(a !== undefined ? { a } : {}),
      ...(b !== undefined ? { b } : {}),
    };
  });
  const side = (
    title: string,
    g: GraphData,
    status: Record<string, CompareStatus>,
    revealable: boolean,
  ): CompareSide => ({
    title,
    graph: g,
    status,
    revealable,
  });
  const t = diff.totals;
  const rows: [string, DiffNumber][] = [
    ['Trainable parameters', t.trainable],
    ['Non-trainable parameters', t.nonTrainable],
    [`MACs (B = ${diff.batch})`, t.macs],
    ['Training memory (bytes)', t.trainingBytes],
  ];
  const c = diff.counts;
  return {
    model: diff.model.a === diff.model.b ? diff.model.b : `${diff.model.a} → ${diff.model.b}`,
    a: side(diff.a.file, ga, sa, input.a.revealable),
    b: side(diff.b.file, gb, sb, input.b.revealable),
    changes,
    totals: rows.map(([k, v]) => [k, countText(v.a), countText(v.b), deltaText(v)] as const),
    counts: `${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.unchanged} unchanged`,
  };
}
