/**
 * The syntactic context at a cursor, read from the tokens before it. Works on incomplete text
 * (`x |> Con`, `Conv2d(64, 3, st`, `loss = Cro`), where the tree may not hold the call yet.
 */
import { lex, type Token } from '../language/lexer';
import type { Item, SourceFile } from '../language/ast';

export interface CallContext {
  /** The callee name before the unmatched `(`. */
  readonly callee: string;
  readonly calleeToken: Token;
  /** Index of the argument the cursor is in (commas at depth 0 before it). */
  readonly argIndex: number;
  /** The keyword of the current argument when `name=` was written. */
  readonly keyword?: string;
  /** Keyword names already given (before and after the cursor, as far as the tokens show). */
  readonly given: readonly string[];
  /** Number of positional arguments before the current one. */
  readonly positionalBefore: number;
  /** The token before the callee (`|>`, `=`, `layer` name `=` ...). */
  readonly before?: Token;
}

export interface CursorContext {
  readonly tokens: readonly Token[];
  /** Tokens that end at or before the cursor (the word being typed excluded). */
  readonly prev?: Token;
  readonly prev2?: Token;
  /** The partial identifier under the cursor, and its span. */
  readonly word: string;
  readonly wordStart: number;
  /** The string literal the cursor is in, if any. */
  readonly inString?: Token;
  readonly call?: CallContext;
  /** Innermost unmatched bracket before the cursor. */
  readonly open?: Token;
  /** Brace depth at the cursor. */
  readonly braceDepth: number;
  /** The item the cursor is in (by position). */
  readonly item?: Item;
}

/** Tokens per parsed file: a file's text never changes, and completion asks at every keystroke. */
const tokenCache = new WeakMap<SourceFile, readonly Token[]>();
function tokensOf(file: SourceFile): readonly Token[] {
  let tokens = tokenCache.get(file);
  if (!tokens) tokenCache.set(file, (tokens = lex(file.text).tokens));
  return tokens;
}

export function cursorContext(file: SourceFile, offset: number): CursorContext {
  const text = file.text;
  const tokens = tokensOf(file);
  let wordStart = offset;
  while (wordStart > 0 && /[A-Za-z0-9_]/.test(text[wordStart - 1]!)) wordStart--;
  const word = /^[0-9]/.test(text.slice(wordStart, offset)) ? '' : text.slice(wordStart, offset);
  if (word === '') wordStart = offset;
  let inString: Token | undefined;
  const before: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'eof') break;
    if (t.kind === 'string' && t.start < offset && offset < t.end) inString = t;
    else if (t.end <= wordStart) before.push(t);
  }
  // An unterminated string at the cursor: the lexer makes it an error or a string to EOL.
  if (!inString) {
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    const segment = text.slice(lineStart, offset);
    const quotes = (segment.match(/"/g) ?? []).length;
    if (quotes % 2 === 1) {
      const s = lineStart + segment.lastIndexOf('"');
      inString = { kind: 'string', start: s, end: offset, newlineBefore: false, commentIndex: 0 };
      while (before.length && before[before.length - 1]!.start >= s) before.pop();
    }
  }
  const prev = before[before.length - 1];
  const prev2 = before[before.length - 2];
  // Unmatched brackets.
  const stack: number[] = [];
  let braceDepth = 0;
  before.forEach((t, i) => {
    if (t.kind === '(' || t.kind === '[') stack.push(i);
    else if (t.kind === ')' || t.kind === ']') stack.pop();
    else if (t.kind === '{') {
      braceDepth++;
      stack.length = 0;
    } else if (t.kind === '}') {
      braceDepth = Math.max(0, braceDepth - 1);
      stack.length = 0;
    }
  });
  const openIdx = stack[stack.length - 1];
  const open = openIdx !== undefined ? before[openIdx] : undefined;
  let call: CallContext | undefined;
  if (open && open.kind === '(' && openIdx! > 0) {
    const calleeTok = before[openIdx! - 1]!;
    if (
      calleeTok.kind === 'ident' &&
      !open.newlineBefore &&
      before[openIdx! - 2]?.kind !== 'repeat'
    ) {
      let depth = 0;
      let argIndex = 0;
      let positionalBefore = 0;
      let argStartIdx = openIdx! + 1;
      const given: string[] = [];
      const argStarts: number[] = [argStartIdx];
      for (let i = openIdx! + 1; i < before.length; i++) {
        const t = before[i]!;
        if (t.kind === '(' || t.kind === '[') depth++;
        else if (t.kind === ')' || t.kind === ']') depth--;
        else if (t.kind === ',' && depth === 0) {
          argIndex++;
          argStartIdx = i + 1;
          argStarts.push(argStartIdx);
        }
      }
      for (const s of argStarts.slice(0, -1)) {
        const a = before[s];
        if (a?.kind === 'ident' && before[s + 1]?.kind === '=') given.push(a.text ?? '');
        else positionalBefore++;
      }
      // Keywords after the cursor on the same call.
      let depthAfter = 0;
      const after = tokens.filter((t) => t.start >= offset);
      for (let i = 0; i < after.length; i++) {
        const t = after[i]!;
        if (t.kind === '(' || t.kind === '[') depthAfter++;
        else if (t.kind === ')' || t.kind === ']') {
          if (depthAfter === 0) break;
          depthAfter--;
        } else if (t.kind === '|>' || t.kind === '{' || t.kind === '}' || t.newlineBefore) break;
        else if (
          t.kind === ',' &&
          depthAfter === 0 &&
          after[i + 1]?.kind === 'ident' &&
          after[i + 2]?.kind === '='
        )
          given.push(after[i + 1]!.text ?? '');
      }
      const a = before[argStartIdx];
      const keyword =
        a?.kind === 'ident' && before[argStartIdx + 1]?.kind === '=' ? a.text : undefined;
      call = {
        callee: calleeTok.text ?? '',
        calleeToken: calleeTok,
        argIndex,
        ...(keyword !== undefined ? { keyword } : {}),
        given,
        positionalBefore,
        before: before[openIdx! - 2],
      };
    }
  }
  let item: Item | undefined;
  for (const it of file.items) if (it.span.start <= offset) item = it;
  if (item && braceDepth === 0 && offset > item.span.end) item = undefined;
  return {
    tokens,
    prev,
    prev2,
    word,
    wordStart,
    inString,
    call,
    open,
    braceDepth,
    item,
  };
}

/**
 * Whether `offset` is inside a comment: a line comment up to and including its line end, or a
 * block comment before its closing `*\/` (an unterminated one runs to the end of the file).
 */
export function inComment(file: SourceFile, offset: number): boolean {
  for (const c of file.comments) {
    if (c.span.start >= offset) break;
    const line = file.text.startsWith('//', c.span.start);
    if (offset < c.span.end || (line && offset === c.span.end)) return true;
    if (!line && offset === c.span.end && !file.text.startsWith('*/', c.span.end - 2)) return true;
  }
  return false;
}
