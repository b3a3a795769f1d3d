/**
 * Signature help inside a layer, block, dataset, loss, optimizer or schedule call.
 */
import { getLayer } from '../layers/catalog';
import { describeType, formatValue } from '../layers/attrs';
import type { AttrSpec } from '../layers/types';
import type { BlockItem } from '../language/ast';
import type { CheckResult } from '../language/checked';
import { DATASETS, EARLY_STOPPING, LOSSES, OPTIMIZERS, SCHEDULES } from '../language/training';
import { escapeMarkdown, md } from './common';
import { cursorContext, inComment } from './context';
import { indexFile } from './index';

export interface SignatureParameter {
  readonly label: string;
  readonly documentation: string;
}

export interface SignatureHelp {
  /** `Conv2d(out, kernel, stride=1, padding=0, …)` */
  readonly label: string;
  readonly documentation: string;
  readonly parameters: readonly SignatureParameter[];
  /** Index into `parameters`; undefined when the cursor is on an unknown keyword. */
  readonly activeParameter?: number;
}

/** A uniform view of anything callable: name, ordered attributes, positional names, docs. */
export interface CallableView {
  readonly name: string;
  readonly kind: 'layer' | 'block' | 'dataset' | 'loss' | 'optimizer' | 'schedule';
  readonly doc: string;
  readonly attrs: readonly {
    name: string;
    type: string;
    default?: string;
    required?: boolean;
    doc: string;
  }[];
  readonly positional: readonly string[];
}

function fromSpec(
  kind: CallableView['kind'],
  s: { name: string; doc: string; attrs: readonly AttrSpec[]; positional: readonly string[] },
): CallableView {
  return {
    name: s.name,
    kind,
    doc: s.doc,
    positional: s.positional,
    attrs: s.attrs.map((a) => ({
      name: a.name,
      type: describeType(a.type),
      ...(a.default !== undefined
        ? { default: formatValue(a.default) }
        : a.defaultDoc
          ? { default: a.defaultDoc }
          : {}),
      ...(a.required ? { required: true } : {}),
      doc: a.doc,
    })),
  };
}

export function callableView(
  result: CheckResult,
  file: string,
  name: string,
  prefer?: 'train',
): CallableView | undefined {
  const ix = indexFile(result, file);
  const block = ix?.scope.get(name);
  if (block?.kind === 'block' && prefer !== 'train') {
    const f = result.files.get(block.file!);
    const item = f?.items.find(
      (i): i is BlockItem => i.kind === 'Block' && i.name.span.start === block.declSpan!.start,
    );
    if (item && f)
      return {
        name,
        kind: 'block',
        doc: escapeMarkdown(item.doc?.text ?? ''), // the user's doc comment, as literal text
        positional: item.params.map((p) => p.name.name),
        attrs: item.params.map((p) => ({
          name: p.name.name,
          type: p.type?.name ?? 'any',
          ...(p.default
            ? { default: f.text.slice(p.default.span.start, p.default.span.end) }
            : { required: true }),
          doc: '',
        })),
      };
  }
  const def = getLayer(name);
  if (def && prefer !== 'train') return fromSpec('layer', def);
  const lists: [
    CallableView['kind'],
    readonly {
      name: string;
      doc: string;
      attrs: readonly AttrSpec[];
      positional: readonly string[];
    }[],
  ][] = [
    ['dataset', [...DATASETS, EARLY_STOPPING]],
    ['loss', LOSSES],
    ['optimizer', OPTIMIZERS],
    ['schedule', SCHEDULES],
  ];
  for (const [kind, list] of lists) {
    const s = list.find((x) => x.name === name);
    if (s) return fromSpec(kind, s);
  }
  if (def) return fromSpec('layer', def);
  return undefined;
}

export function signatureLabel(v: CallableView): { label: string; params: string[] } {
  const params = v.attrs.map((a) =>
    v.positional.includes(a.name) && (a.required || a.default === undefined)
      ? a.name
      : `${a.name}=${a.default ?? '…'}`,
  );
  return { label: `${v.name}(${params.join(', ')})`, params };
}

export function signatureHelp(
  result: CheckResult,
  file: string,
  offset: number,
): SignatureHelp | undefined {
  const source = result.files.get(file);
  if (!source || inComment(source, offset)) return undefined;
  const ctx = cursorContext(source, offset);
  if (!ctx.call) return undefined;
  const inTrain = ctx.item?.kind === 'Train' || ctx.item?.kind === 'Data';
  const v = callableView(result, file, ctx.call.callee, inTrain ? 'train' : undefined);
  if (!v) return undefined;
  const { label, params } = signatureLabel(v);
  let active: number | undefined;
  if (ctx.call.keyword !== undefined) {
    const i = v.attrs.findIndex((a) => a.name === ctx.call!.keyword);
    active = i >= 0 ? i : undefined;
  } else {
    const name = v.positional[ctx.call.positionalBefore];
    const i = name !== undefined ? v.attrs.findIndex((a) => a.name === name) : -1;
    active = i >= 0 ? i : undefined;
    if (active === undefined && ctx.word) {
      // A keyword being typed: `Conv2d(64, 3, st|`.
      const j = v.attrs.findIndex(
        (a) => a.name.startsWith(ctx.word) && !ctx.call!.given.includes(a.name),
      );
      active = j >= 0 ? j : undefined;
    }
  }
  return {
    label,
    documentation: v.doc,
    parameters: v.attrs.map((a, i) => ({
      label: params[i]!,
      documentation:
        `${a.type}${a.default !== undefined ? `, default ${md(a.default)}` : a.required ? ', required' : ''}. ${a.doc}`.trim(),
    })),
    ...(active !== undefined ? { activeParameter: active } : {}),
  };
}
