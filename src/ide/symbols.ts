/**
 * Document symbols, workspace symbols and folding ranges.
 */
import type { Span } from '../core';
import type { Body, Pipeline, SourceFile } from '../language/ast';
import type { CheckResult } from '../language/checked';

export type SymbolKind =
  'model' | 'block' | 'data' | 'train' | 'import' | 'binding' | 'layer' | 'input' | 'parameter';

export interface DocumentSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly detail?: string;
  /** The whole item or statement. */
  readonly span: Span;
  /** The name. */
  readonly selectionSpan: Span;
  readonly children: readonly DocumentSymbol[];
}

export function documentSymbols(result: CheckResult, file: string): DocumentSymbol[] {
  const f = result.files.get(file);
  if (!f) return [];
  const out: DocumentSymbol[] = [];
  for (const item of f.items) {
    switch (item.kind) {
      case 'Model':
      case 'Block': {
        const children: DocumentSymbol[] = [];
        if (item.kind === 'Block')
          for (const p of item.params)
            children.push({
              name: p.name.name,
              kind: 'parameter',
              detail: p.type?.name,
              span: p.span,
              selectionSpan: p.name.span,
              children: [],
            });
        for (const p of item.inputs)
          if (p.name.name)
            children.push({
              name: p.name.name,
              kind: 'input',
              span: p.span,
              selectionSpan: p.name.span,
              children: [],
            });
        for (const s of bodySymbols(item.body, f)) children.push(s);
        const m = result.models.find((x) => x.name === item.name.name && x.file === file);
        out.push({
          name: item.name.name || '(unnamed)',
          kind: item.kind === 'Model' ? 'model' : 'block',
          detail: m
            ? `${(m.totals.trainable + m.totals.nonTrainable).toLocaleString('en-US')} params`
            : undefined,
          span: item.span,
          selectionSpan: item.name.span,
          children,
        });
        break;
      }
      case 'Data':
        out.push({
          name: item.name.name,
          kind: 'data',
          detail: item.value.kind === 'Call' ? item.value.callee.name : undefined,
          span: item.span,
          selectionSpan: item.name.span,
          children: [],
        });
        break;
      case 'Train':
        out.push({
          name: `train ${item.model.name}`,
          kind: 'train',
          span: item.span,
          selectionSpan: item.model.span,
          children: [],
        });
        break;
      case 'Import':
        if (item.path.kind === 'String')
          out.push({
            name: item.path.value,
            kind: 'import',
            span: item.span,
            selectionSpan: item.path.span,
            children: [],
          });
        break;
    }
  }
  return out;
}

function bodySymbols(b: Body, f: SourceFile): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const st of b.stmts) {
    if ((st.kind === 'Bind' || st.kind === 'ParamDecl') && st.name.name)
      out.push({
        name: st.name.name,
        kind: 'binding',
        ...(st.kind === 'ParamDecl'
          ? { detail: f.text.slice(st.value.span.start, st.value.span.end) }
          : {}),
        span: st.span,
        selectionSpan: st.name.span,
        children: [],
      });
    else if (st.kind === 'BindTuple') {
      for (const n of st.names.filter((m) => m.name))
        out.push({
          name: n.name,
          kind: 'binding',
          span: st.span,
          selectionSpan: n.span,
          children: [],
        });
    } else if (st.kind === 'LayerDecl' && st.name.name)
      out.push({
        name: st.name.name,
        kind: 'layer',
        detail: f.text.slice(st.value.span.start, st.value.span.end),
        span: st.span,
        selectionSpan: st.name.span,
        children: [],
      });
    else if (st.kind === 'If') {
      for (const s of bodySymbols(st.then, f)) out.push(s);
      for (let e = st.else; e; e = e.kind === 'If' ? e.else : undefined)
        for (const s of bodySymbols(e.kind === 'If' ? e.then : e, f)) out.push(s);
    }
  }
  return out;
}

export interface WorkspaceSymbol {
  readonly name: string;
  readonly kind: SymbolKind;
  readonly file: string;
  readonly span: Span;
  readonly container?: string;
}

/** Case-insensitive subsequence match of `query` over symbols of several results (deduplicated). */
export function workspaceSymbols(
  results: readonly CheckResult[],
  query: string,
): WorkspaceSymbol[] {
  const out: WorkspaceSymbol[] = [];
  const seen = new Set<string>();
  const q = query.toLowerCase();
  const matches = (name: string): boolean => {
    let i = 0;
    for (const c of name.toLowerCase()) if (c === q[i]) i++;
    return i === q.length;
  };
  const visit = (file: string, syms: readonly DocumentSymbol[], container?: string): void => {
    for (const s of syms) {
      const key = `${file}:${s.selectionSpan.start}:${s.name}`;
      if (matches(s.name) && !seen.has(key) && s.kind !== 'import') {
        seen.add(key);
        out.push({
          name: s.name,
          kind: s.kind,
          file,
          span: s.selectionSpan,
          ...(container ? { container } : {}),
        });
      }
      visit(file, s.children, s.name);
    }
  };
  for (const r of results) for (const file of r.files.keys()) visit(file, documentSymbols(r, file));
  return out;
}

export interface FoldingRange {
  /** Offsets of the first and last folded characters' lines (the server converts to lines). */
  readonly start: number;
  readonly end: number;
  readonly kind?: 'comment' | 'imports' | 'region';
}

export function foldingRanges(result: CheckResult, file: string): FoldingRange[] {
  const f = result.files.get(file);
  if (!f) return [];
  const text = f.text;
  const multi = (s: Span): boolean => text.slice(s.start, s.end).includes('\n');
  const out: FoldingRange[] = [];
  const pipe = (p: Pipeline): void => {
    if (multi(p.span)) out.push({ start: p.span.start, end: p.span.end });
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(pipe);
  };
  const body = (b: Body): void => {
    if (multi(b.span)) out.push({ start: b.span.start, end: b.span.end });
    for (const st of b.stmts) {
      if (st.kind === 'Bind' || st.kind === 'BindTuple' || st.kind === 'ExprStmt') pipe(st.value);
      else if (st.kind === 'Return') st.values.forEach(pipe);
      else if (st.kind === 'If') {
        body(st.then);
        for (let e = st.else; e; e = e.kind === 'If' ? e.else : undefined)
          body(e.kind === 'If' ? e.then : e);
      }
    }
  };
  for (const item of f.items) {
    if (item.kind === 'Model' || item.kind === 'Block' || item.kind === 'Train') {
      if (multi(item.span)) out.push({ start: item.span.start, end: item.span.end });
      if (item.kind !== 'Train') body(item.body);
    }
  }
  // Runs of line comments, and multi-line block comments.
  let run: Span | undefined;
  for (const c of f.comments) {
    const isLine = text.startsWith('//', c.span.start);
    if (!isLine && multi(c.span))
      out.push({ start: c.span.start, end: c.span.end, kind: 'comment' });
    if (isLine && run && /^[ \t]*\r?\n[ \t]*$/.test(text.slice(run.end, c.span.start)))
      run = { start: run.start, end: c.span.end };
    else {
      if (run && multi(run)) out.push({ ...run, kind: 'comment' });
      run = isLine ? c.span : undefined;
    }
  }
  if (run && multi(run)) out.push({ ...run, kind: 'comment' });
  const imports = f.items.filter((i) => i.kind === 'Import');
  if (imports.length > 1)
    out.push({
      start: imports[0]!.span.start,
      end: imports[imports.length - 1]!.span.end,
      kind: 'imports',
    });
  // Deduplicate (a body and its item may coincide) and sort.
  const key = new Set<string>();
  return out
    .filter((r) =>
      key.has(`${r.start}:${r.end}`) ? false : (key.add(`${r.start}:${r.end}`), true),
    )
    .sort((a, b) => a.start - b.start || b.end - a.end);
}
