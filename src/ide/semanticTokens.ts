/**
 * Semantic tokens: identifiers classified by the symbol index (catalog layer, block, shared
 * instance, binding declaration or use, parameter, dim, ...) plus literals, keywords and
 * comments from the lexer. Encoded in the LSP relative format.
 */
import { LineIndex } from '../core';
import { KEYWORDS, lex } from '../language/lexer';
import type { CheckResult } from '../language/checked';
import type { IfStmt, SourceFile, Stmt } from '../language/ast';
import { indexFile, type SymKind } from './index';

export const TOKEN_TYPES = [
  'class', // model
  'struct', // block
  'function', // catalog layer (+ defaultLibrary), dataset/loss/optimizer/schedule
  'method', // shared layer instance
  'property', // attribute keyword, train setting
  'variable', // binding, input
  'parameter', // block parameter
  'typeParameter', // dim
  'namespace', // data declaration
  'enumMember', // metric
  'type', // int, float, bool, string
  'number',
  'string',
  'keyword',
  'comment',
] as const;
export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary', 'readonly'] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  readonly start: number;
  readonly end: number;
  readonly type: TokenType;
  readonly modifiers: readonly TokenModifier[];
}

const BY_KIND: Partial<Record<SymKind, [TokenType, TokenModifier[]]>> = {
  model: ['class', []],
  block: ['struct', []],
  layer: ['function', ['defaultLibrary']],
  shared: ['method', []],
  attr: ['property', []],
  setting: ['property', []],
  binding: ['variable', []],
  input: ['variable', ['readonly']],
  param: ['parameter', ['readonly']],
  dim: ['typeParameter', []],
  data: ['namespace', []],
  dataset: ['function', ['defaultLibrary']],
  loss: ['function', ['defaultLibrary']],
  optimizer: ['function', ['defaultLibrary']],
  schedule: ['function', ['defaultLibrary']],
  metric: ['enumMember', ['defaultLibrary']],
  import: ['string', []],
};

const TYPES = new Set(['int', 'float', 'bool', 'string']);
const KW = new Set<string>(KEYWORDS);

export function semanticTokens(result: CheckResult, file: string): SemanticToken[] {
  const ix = indexFile(result, file);
  if (!ix) return [];
  const out: SemanticToken[] = [];
  const covered = new Set<number>();
  for (const o of ix.occurrences) {
    const m = BY_KIND[o.sym.kind];
    if (!m) continue;
    const mods = [...m[1]];
    if (o.decl) mods.unshift('declaration');
    out.push({ start: o.span.start, end: o.span.end, type: m[0], modifiers: mods });
    covered.add(o.span.start);
  }
  const { tokens, comments } = lex(ix.source.text);
  const soft = contextualKeywords(ix.source);
  tokens.forEach((t, i) => {
    if (covered.has(t.start) || t.kind === 'eof') return;
    // `from` of `weights from`: the token after a `weights` that starts a statement
    const prev = tokens[i - 1];
    const afterWeights = prev?.text === 'weights' && soft.has(prev.start) && t.text === 'from';
    if (t.kind === 'ident' && (soft.has(t.start) || afterWeights)) {
      out.push({ start: t.start, end: t.end, type: 'keyword', modifiers: [] });
      return;
    }
    if (t.kind === 'number')
      out.push({ start: t.start, end: t.end, type: 'number', modifiers: [] });
    else if (t.kind === 'string')
      out.push({ start: t.start, end: t.end, type: 'string', modifiers: [] });
    else if (KW.has(t.kind))
      out.push({ start: t.start, end: t.end, type: 'keyword', modifiers: [] });
    else if (t.kind === 'ident' && TYPES.has(t.text ?? '') && tokens[i - 1]?.kind === ':')
      out.push({ start: t.start, end: t.end, type: 'type', modifiers: ['defaultLibrary'] });
  });
  for (const c of comments)
    out.push({
      start: c.span.start,
      end: c.span.end,
      type: 'comment',
      modifiers: c.doc ? ['declaration'] : [],
    });
  out.sort((a, b) => a.start - b.start);
  // Drop overlaps (keep the first).
  const res: SemanticToken[] = [];
  for (const t of out) if (!res.length || t.start >= res[res.length - 1]!.end) res.push(t);
  return res;
}

/**
 * Where the words that are keywords only in context start: `param` of a learned tensor and
 * `weights` of a weights statement (its `from` is the token after it). Elsewhere they are names.
 */
function contextualKeywords(source: SourceFile): Set<number> {
  const at = new Set<number>();
  const visit = (stmts: readonly Stmt[]): void => {
    for (const st of stmts) {
      if (st.kind === 'ParamDecl') at.add(st.span.start);
      else if (st.kind === 'Weights') at.add(st.span.start);
      else if (st.kind === 'If') visitIf(st);
    }
  };
  const visitIf = (st: IfStmt): void => {
    visit(st.then.stmts);
    if (st.else?.kind === 'Body') visit(st.else.stmts);
    else if (st.else) visitIf(st.else);
  };
  for (const item of source.items) if ('body' in item && item.body) visit(item.body.stmts);
  return at;
}

/** LSP relative encoding: 5 integers per token; tokens spanning lines are split per line. */
export function encodeSemanticTokens(tokens: readonly SemanticToken[], lines: LineIndex): number[] {
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (const t of tokens) {
    const type = TOKEN_TYPES.indexOf(t.type);
    let mods = 0;
    for (const m of t.modifiers) mods |= 1 << TOKEN_MODIFIERS.indexOf(m);
    const a = lines.position(t.start);
    const b = lines.position(t.end);
    for (let line = a.line; line <= b.line; line++) {
      const startChar = line === a.line ? a.character : 0;
      const endOff = line === b.line ? t.end : lines.lineEnd(line);
      const len = endOff - lines.offset({ line, character: startChar });
      if (len <= 0) continue;
      const dl = line - prevLine;
      data.push(dl, dl === 0 ? startChar - prevChar : startChar, len, type, mods);
      prevLine = line;
      prevChar = startChar;
    }
  }
  return data;
}
