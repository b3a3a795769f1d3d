/**
 * The .dlm lexer. Total: every input produces a token list ending in an `eof` token, plus the
 * comments and the lexical errors (DLM002 unterminated string/comment, DLM003 invalid character
 * or number literal). It never throws.
 */
import type { Comment, ParseError } from './ast';

export const KEYWORDS = [
  'model',
  'block',
  'data',
  'train',
  'import',
  'layer',
  'repeat',
  'frozen',
  'if',
  'else',
  'return',
  'and',
  'or',
  'not',
  'true',
  'false',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

export type Punct =
  | '('
  | ')'
  | '{'
  | '}'
  | '['
  | ']'
  | ','
  | ':'
  | ';'
  | '='
  | '|>'
  | '->'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%';

export type TokenKind = 'ident' | 'number' | 'string' | 'error' | 'eof' | Keyword | Punct;

export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** True when a line break (in whitespace or inside a comment) precedes the token, or it is first. */
  readonly newlineBefore: boolean;
  /** Number of comments that start before this token (indexes into `LexResult.comments`). */
  readonly commentIndex: number;
  /** Identifier name, keyword text, or decoded string value. */
  readonly text?: string;
  /** Numeric value of a number token. */
  readonly value?: number;
  /** Number written without '.' or exponent (decimal or hex). */
  readonly isInt?: boolean;
}

export interface LexResult {
  readonly tokens: Token[];
  readonly comments: Comment[];
  readonly errors: ParseError[];
}

const KEYWORD_SET: ReadonlySet<string> = new Set<string>(KEYWORDS);

// Character codes.
const TAB = 9;
const LF = 10;
const VT = 11;
const FF = 12;
const CR = 13;
const SPACE = 32;
const BANG = 33;
const QUOTE = 34;
const PERCENT = 37;
const LPAREN = 40;
const RPAREN = 41;
const STAR = 42;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const D0 = 48;
const D9 = 57;
const COLON = 58;
const SEMI = 59;
const LT = 60;
const EQ = 61;
const GT = 62;
const UPPER_A = 65;
const UPPER_E = 69;
const UPPER_F = 70;
const UPPER_X = 88;
const UPPER_Z = 90;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const UNDERSCORE = 95;
const LOWER_A = 97;
const LOWER_E = 101;
const LOWER_F = 102;
const LOWER_N = 110;
const LOWER_T = 116;
const LOWER_X = 120;
const LOWER_Z = 122;
const LBRACE = 123;
const PIPE = 124;
const RBRACE = 125;
const NBSP = 0xa0;
const BOM = 0xfeff;

function isDigit(c: number): boolean {
  return c >= D0 && c <= D9;
}
function isHexDigit(c: number): boolean {
  return (c >= D0 && c <= D9) || (c >= UPPER_A && c <= UPPER_F) || (c >= LOWER_A && c <= LOWER_F);
}
function isIdentStart(c: number): boolean {
  return (c >= LOWER_A && c <= LOWER_Z) || (c >= UPPER_A && c <= UPPER_Z) || c === UNDERSCORE;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}
function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === VT || c === FF || c === NBSP || c === BOM;
}

/** Whether the character at `i` can start some token, comment or whitespace. */
function startsSomething(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (isIdentPart(c) || isSpace(c) || c === LF || c === CR) return true;
  switch (c) {
    case QUOTE:
    case LPAREN:
    case RPAREN:
    case LBRACE:
    case RBRACE:
    case LBRACKET:
    case RBRACKET:
    case COMMA:
    case COLON:
    case SEMI:
    case EQ:
    case LT:
    case GT:
    case PLUS:
    case MINUS:
    case STAR:
    case SLASH:
    case PERCENT:
      return true;
    case PIPE:
      return text.charCodeAt(i + 1) === GT;
    case BANG:
      return text.charCodeAt(i + 1) === EQ;
    case DOT:
      return isDigit(text.charCodeAt(i + 1));
    default:
      return false;
  }
}

/**
 * Lexes `text`, or only `text[from, to)` (offsets stay those of the whole text): a range must start
 * right after a token of a full lex of `text` (or at 0), so the lexer state there is the initial one
 * apart from line breaks, which a range start right after a token has not seen yet.
 */
export function lex(text: string, from = 0, to = text.length): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const errors: ParseError[] = [];
  const n = to;
  let i = from;
  let newline = from === 0;

  const push = (
    kind: TokenKind,
    start: number,
    end: number,
    str?: string,
    value?: number,
    isInt?: boolean,
  ): void => {
    // Same property order and presence on every token keeps the objects monomorphic (fast).
    tokens.push({
      kind,
      start,
      end,
      newlineBefore: newline,
      commentIndex: comments.length,
      text: str,
      value,
      isInt,
    });
    newline = false;
  };
  const error = (code: string, start: number, end: number, message: string): void => {
    errors.push({ code, span: { start, end }, message });
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    // whitespace
    if (c === LF || c === CR) {
      newline = true;
      i++;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    // identifiers and keywords
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      push(KEYWORD_SET.has(word) ? (word as Keyword) : 'ident', start, i, word);
      continue;
    }
    // numbers
    if (isDigit(c) || (c === DOT && isDigit(text.charCodeAt(i + 1)))) {
      i = lexNumber(text, start, push, error);
      continue;
    }
    const c1 = text.charCodeAt(i + 1);
    switch (c) {
      case QUOTE: {
        i = lexString(text, start, push, error);
        continue;
      }
      case SLASH: {
        if (c1 === SLASH) {
          const doc = text.charCodeAt(i + 2) === SLASH && text.charCodeAt(i + 3) !== SLASH;
          i += 2;
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === LF || d === CR) break;
            i++;
          }
          comments.push({ span: { start, end: i }, doc });
          continue;
        }
        if (c1 === STAR) {
          i += 2;
          let closed = false;
          while (i < n) {
            const d = text.charCodeAt(i);
            if (d === STAR && text.charCodeAt(i + 1) === SLASH) {
              i += 2;
              closed = true;
              break;
            }
            if (d === LF || d === CR) newline = true;
            i++;
          }
          comments.push({ span: { start, end: i }, doc: false });
          if (!closed) error('DLM002', start, i, "unterminated block comment: expected '*/'");
          continue;
        }
        push('/', start, i + 1);
        i++;
        continue;
      }
      case LPAREN:
        push('(', start, ++i);
        continue;
      case RPAREN:
        push(')', start, ++i);
        continue;
      case LBRACE:
        push('{', start, ++i);
        continue;
      case RBRACE:
        push('}', start, ++i);
        continue;
      case LBRACKET:
        push('[', start, ++i);
        continue;
      case RBRACKET:
        push(']', start, ++i);
        continue;
      case COMMA:
        push(',', start, ++i);
        continue;
      case COLON:
        push(':', start, ++i);
        continue;
      case SEMI:
        push(';', start, ++i);
        continue;
      case PLUS:
        push('+', start, ++i);
        continue;
      case STAR:
        push('*', start, ++i);
        continue;
      case PERCENT:
        push('%', start, ++i);
        continue;
      case MINUS:
        if (c1 === GT) {
          i += 2;
          push('->', start, i);
        } else push('-', start, ++i);
        continue;
      case EQ:
        if (c1 === EQ) {
          i += 2;
          push('==', start, i);
        } else push('=', start, ++i);
        continue;
      case LT:
        if (c1 === EQ) {
          i += 2;
          push('<=', start, i);
        } else push('<', start, ++i);
        continue;
      case GT:
        if (c1 === EQ) {
          i += 2;
          push('>=', start, i);
        } else push('>', start, ++i);
        continue;
      case BANG:
        if (c1 === EQ) {
          i += 2;
          push('!=', start, i);
          continue;
        }
        break;
      case PIPE:
        if (c1 === GT) {
          i += 2;
          push('|>', start, i);
          continue;
        }
        break;
    }
    // A run of characters that cannot start anything: one error token and one diagnostic.
    i++;
    while (i < n && !startsSomething(text, i)) i++;
    const bad = text.slice(start, i);
    push('error', start, i, bad);
    error(
      'DLM003',
      start,
      i,
      bad.length === 1 || (bad.length === 2 && bad.codePointAt(0)! > 0xffff)
        ? `invalid character '${bad}'`
        : `invalid characters '${bad}'`,
    );
  }
  tokens.push({
    kind: 'eof',
    start: n,
    end: n,
    newlineBefore: true,
    commentIndex: comments.length,
    text: undefined,
    value: undefined,
    isInt: undefined,
  });
  return { tokens, comments, errors };
}

type Push = (
  kind: TokenKind,
  start: number,
  end: number,
  str?: string,
  value?: number,
  isInt?: boolean,
) => void;
type ErrorFn = (code: string, start: number, end: number, message: string) => void;

function lexNumber(text: string, start: number, push: Push, error: ErrorFn): number {
  const n = text.length;
  let i = start;
  let isInt = true;
  let hex = false;
  let valid = true;
  let sawUnderscore = false;
  const digits = (accept: (c: number) => boolean): number => {
    const from = i;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (accept(d)) i++;
      else if (d === UNDERSCORE) {
        sawUnderscore = true;
        i++;
      } else break;
    }
    return i - from;
  };
  const c0 = text.charCodeAt(i);
  const c1 = text.charCodeAt(i + 1);
  if (c0 === D0 && (c1 === LOWER_X || c1 === UPPER_X)) {
    hex = true;
    i += 2;
    if (digits(isHexDigit) === 0) valid = false;
  } else {
    digits(isDigit);
    if (text.charCodeAt(i) === DOT && isDigit(text.charCodeAt(i + 1))) {
      isInt = false;
      i++;
      digits(isDigit);
    }
    const e = text.charCodeAt(i);
    if (e === LOWER_E || e === UPPER_E) {
      const s = text.charCodeAt(i + 1);
      if (isDigit(s) || ((s === PLUS || s === MINUS) && isDigit(text.charCodeAt(i + 2)))) {
        isInt = false;
        i += s === PLUS || s === MINUS ? 2 : 1;
        digits(isDigit);
      }
    }
  }
  const numEnd = i;
  // Letters or digits glued to the literal (`12abc`, `1e`, `0x1G`) make it invalid.
  while (i < n && isIdentPart(text.charCodeAt(i))) i++;
  if (i > numEnd) valid = false;
  const raw = text.slice(start, numEnd);
  if (sawUnderscore && valid) {
    // An underscore must sit between two digits.
    for (let k = 0; k < raw.length; k++) {
      if (raw.charCodeAt(k) !== UNDERSCORE) continue;
      const p = raw.charCodeAt(k - 1);
      const q = raw.charCodeAt(k + 1);
      const ok = hex ? isHexDigit(p) && isHexDigit(q) && k > 2 : isDigit(p) && isDigit(q);
      if (!ok) {
        valid = false;
        break;
      }
    }
  }
  const clean = sawUnderscore ? raw.split('_').join('') : raw;
  let value = Number(clean);
  const overflow = valid && value === Infinity;
  if (!Number.isFinite(value) && !Number.isNaN(value)) value = Number.MAX_VALUE;
  if (Number.isNaN(value)) value = 0;
  const full = text.slice(start, i);
  push('number', start, i, full, value, isInt);
  if (!valid) error('DLM003', start, i, `invalid number literal '${full}'`);
  else if (overflow)
    error('DLM036', start, i, `the number ${full} is too large: numbers must be at most 1.8e308`);
  else if (isInt && !Number.isSafeInteger(value))
    error(
      'DLM036',
      start,
      i,
      `the integer ${full} is above 2^53 - 1 (9007199254740991) and would be rounded to ${value}`,
    );
  return i;
}

function lexString(text: string, start: number, push: Push, error: ErrorFn): number {
  const n = text.length;
  let i = start + 1;
  let chunkStart = i;
  let value = '';
  let closed = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      value += text.slice(chunkStart, i);
      i++;
      closed = true;
      break;
    }
    if (c === LF || c === CR) break;
    if (c === BACKSLASH) {
      value += text.slice(chunkStart, i);
      const e = text.charCodeAt(i + 1);
      if (e === QUOTE) value += '"';
      else if (e === BACKSLASH) value += '\\';
      else if (e === LOWER_N) value += '\n';
      else if (e === LOWER_T) value += '\t';
      else if (i + 1 >= n || e === LF || e === CR) {
        i++;
        chunkStart = i;
        continue; // unterminated; reported below
      } else {
        const len = e >= 0xd800 && e <= 0xdbff && i + 2 < n ? 2 : 1;
        const esc = text.slice(i, i + 1 + len);
        error('DLM003', i, i + 1 + len, `unknown escape sequence '${esc}' (use \\" \\\\ \\n \\t)`);
        value += text.slice(i + 1, i + 1 + len);
        i += 1 + len;
        chunkStart = i;
        continue;
      }
      i += 2;
      chunkStart = i;
      continue;
    }
    i++;
  }
  if (!closed) value += text.slice(chunkStart, i);
  push('string', start, i, value);
  if (!closed) error('DLM002', start, i, "unterminated string: expected '\"'");
  return i;
}

/** Readable name of a token for messages: `'('`, `'model'`, `identifier 'x'`, `end of file`. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'ident':
      return `'${t.text ?? ''}'`;
    case 'number':
      return `number ${t.text ?? ''}`;
    case 'string':
      return 'a string';
    case 'error':
      return `'${t.text ?? ''}'`;
    default:
      return `'${t.kind}'`;
  }
}
