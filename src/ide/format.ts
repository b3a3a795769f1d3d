/**
 * The canonical formatter. It re-prints the token stream and keeps every line break the author
 * wrote (they end statements), so it cannot change meaning: only horizontal whitespace,
 * indentation and runs of blank lines change. Files with syntax errors are returned unchanged.
 *
 * Rules: 2-space indentation per open bracket; lines that continue a statement (a leading `|>`,
 * or a line after a trailing operator) are indented one more level; one space around `=`, `|>`,
 * `->` and binary operators (keyword arguments `stride=2` stay tight); `, ` and `: `; no space
 * inside brackets; at most one blank line; comments kept verbatim (a trailing comment keeps the
 * gap before it, so aligned comments stay aligned); no trailing whitespace; one final newline.
 */
import { lex, type Token, type TokenKind } from '../language/lexer';
import { parse } from '../language/parser';

export interface FormatOptions {
  /** Spaces per indentation level (default 2). */
  readonly indent?: number;
}

const BINARY: ReadonlySet<TokenKind> = new Set<TokenKind>([
  '|>',
  '->',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'and',
  'or',
]);
/** A line after one of these continues the statement. */
const CONTINUES: ReadonlySet<TokenKind> = new Set<TokenKind>([...BINARY, '=', 'not']);
/** After these, `-`/`+` are unary. */
const OPERAND_END: ReadonlySet<TokenKind> = new Set<TokenKind>([
  'ident',
  'number',
  'string',
  'true',
  'false',
  ')',
  ']',
]);

interface El {
  readonly start: number;
  readonly end: number;
  readonly tok?: Token;
  readonly comment?: boolean;
}

export function format(text: string, opts: FormatOptions = {}): string {
  const file = parse(text, 'format.dlm');
  if (file.errors.length > 0) return text;
  const unit = ' '.repeat(opts.indent ?? 2);
  const { tokens, comments } = lex(text);
  const els: El[] = [];
  for (const t of tokens) if (t.kind !== 'eof') els.push({ start: t.start, end: t.end, tok: t });
  for (const c of comments) els.push({ start: c.span.start, end: c.span.end, comment: true });
  els.sort((a, b) => a.start - b.start);
  // `=` of keyword arguments: `name=` right after `(` or `,` inside parentheses.
  const kwarg = new Set<Token>();
  const opens: TokenKind[] = [];
  tokens.forEach((t, i) => {
    if (t.kind === '(' || t.kind === '[' || t.kind === '{') opens.push(t.kind);
    else if (t.kind === ')' || t.kind === ']' || t.kind === '}') opens.pop();
    else if (
      t.kind === '=' &&
      opens[opens.length - 1] === '(' &&
      tokens[i - 1]?.kind === 'ident' &&
      (tokens[i - 2]?.kind === '(' || tokens[i - 2]?.kind === ',')
    )
      kwarg.add(t);
  });

  const lines: string[] = [];
  let line = '';
  const stack: { kind: TokenKind }[] = [];
  let prevTok: Token | undefined; // previous code token
  let prevPrevTok: Token | undefined;
  let prevEl: El | undefined;

  const breaksBetween = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) n++;
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) n++;
    }
    return n;
  };

  const flush = (): void => {
    lines.push(line.replace(/[ \t]+$/, ''));
    line = '';
  };

  for (const el of els) {
    const breaks = prevEl ? breaksBetween(prevEl.end, el.start) : 0;
    const atLineStart = !prevEl || breaks > 0;
    if (prevEl && breaks > 0) {
      flush();
      if (breaks > 1) lines.push('');
    }
    const src = text.slice(el.start, el.end);
    if (atLineStart) {
      let level = stack.length;
      const k = el.tok?.kind;
      if (k === '}' || k === ')' || k === ']') level = Math.max(0, level - 1);
      const top = stack[stack.length - 1]?.kind;
      const inBraces = top === undefined || top === '{';
      if (
        inBraces &&
        k !== '}' &&
        prevTok &&
        (k === '|>' ||
          CONTINUES.has(prevTok.kind) ||
          (k !== undefined && BINARY.has(k) && k !== '-' && k !== '+'))
      )
        level++;
      else if (!inBraces && k === '|>') level++;
      line = unit.repeat(level);
    } else if (prevEl) {
      if (el.comment) {
        // Keep the author's gap before a trailing comment (at least one space).
        const gap = text.slice(prevEl.end, el.start).replace(/\t/g, '  ').length;
        line += ' '.repeat(Math.max(1, gap));
      } else if (prevEl.comment) line += ' ';
      else if (space(prevTok!, el.tok!, prevPrevTok, kwarg)) line += ' ';
    }
    line += src;
    prevEl = el;
    if (el.tok) {
      const t = el.tok;
      if (t.kind === '(' || t.kind === '[' || t.kind === '{') stack.push({ kind: t.kind });
      else if (t.kind === ')' || t.kind === ']' || t.kind === '}') stack.pop();
      prevPrevTok = prevTok;
      prevTok = t;
    }
  }
  if (prevEl) flush();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Whether one space separates tokens `a` and `b` on the same line. */
function space(a: Token, b: Token, beforeA: Token | undefined, kwarg: ReadonlySet<Token>): boolean {
  const ak = a.kind;
  const bk = b.kind;
  if (bk === ',' || bk === ';' || bk === ':' || bk === ')' || bk === ']') return false;
  if (ak === '(' || ak === '[') return false;
  if (ak === '{' && bk === '}') return false;
  if (ak === ',' || ak === ';' || ak === ':') return true;
  // Keyword arguments: `stride=2` inside parentheses stays tight.
  if (bk === '=') return !kwarg.has(b);
  if (ak === '=') return !kwarg.has(a);
  // An element type before a shape: `x: int[B, T]`.
  if (bk === '[' && ak === 'ident' && beforeA?.kind === ':') return false;
  if (bk === '(') {
    if (ak === ')') return false;
    if (ak === 'ident') return beforeA?.kind === 'repeat';
    return true;
  }
  // Unary minus/plus: tight to the operand.
  if ((ak === '-' || ak === '+') && (!beforeA || !OPERAND_END.has(beforeA.kind))) return false;
  return true;
}

/** One replacement in the text: offsets into the text before the edit. */
export interface OnTypeEdit {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

/**
 * Edits after a typed character, for the pipeline continuation that Enter inserts (`|> ` at the
 * start of the next line after a pipeline stage):
 * - typing `|>` on a line that already starts with the inserted `|> ` leaves a single `|>`;
 * - typing `}` on a line that holds only the inserted `|> ` drops the `|> ` and dedents the
 *   brace to the indentation of the line that opened the block.
 * `offset` is the position just after the typed character `ch`.
 */
export function onTypeEdits(text: string, offset: number, ch: string): OnTypeEdit[] {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  if (ch === '>') {
    const m = /^(\s*)\|>\s*\|>$/.exec(before);
    if (m) return [{ start: lineStart, end: offset, newText: `${m[1]}|>` }];
    return [];
  }
  if (ch === '}') {
    if (!/^(\s*)\|>\s*\}$/.test(before)) return [];
    return [{ start: lineStart, end: offset, newText: `${openingIndent(text, lineStart)}}` }];
  }
  return [];
}

/**
 * The same repairs as onTypeEdits, from the state of a whole line rather than a keystroke: a line
 * that starts with two `|>` (the inserted one and a typed one) keeps one, and a line holding only
 * `|> }` becomes the block's closing brace. The extension applies them after each change of a
 * line, so a repair whose keystroke edit was dropped (typing faster than a busy editor answers)
 * still happens with the next change. Neither pattern is valid DLM, so nothing valid is touched.
 */
export function lineRepairEdits(text: string, lineStart: number): OnTypeEdit[] {
  const nl = text.indexOf('\n', lineStart);
  const line = text.slice(lineStart, nl < 0 ? text.length : nl);
  const doubled = /^(\s*)\|>[ \t]*\|>/.exec(line);
  if (doubled)
    return [{ start: lineStart, end: lineStart + doubled[0].length, newText: `${doubled[1]}|>` }];
  const brace = /^\s*\|>\s*\}/.exec(line);
  if (brace && /^\s*$/.test(line.slice(brace[0].length)))
    return [
      {
        start: lineStart,
        end: lineStart + brace[0].length,
        newText: `${openingIndent(text, lineStart)}}`,
      },
    ];
  return [];
}

/** The indentation of the line with the `{` that a `}` at `lineStart` closes ('' if none). */
function openingIndent(text: string, lineStart: number): string {
  let depth = 0;
  for (let i = lineStart - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '}') depth++;
    else if (c === '{') {
      if (depth === 0) {
        const ls = text.lastIndexOf('\n', i - 1) + 1;
        return /^[ \t]*/.exec(text.slice(ls, i))![0];
      }
      depth--;
    }
  }
  return '';
}
