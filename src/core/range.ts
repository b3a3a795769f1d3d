/** Zero-based line and character (UTF-16 code units), as in LSP. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

/** A half-open source range [start, end) in a file. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** Offsets into the source text; the syntax tree stores these and converts lazily. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Location {
  readonly uri: string;
  readonly range: Range;
}

/** Converts between offsets and line/character positions for one text. */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.lineStarts[lo]! };
  }

  offset(p: Position): number {
    if (p.line < 0) return 0;
    if (p.line >= this.lineStarts.length) return this.text.length;
    return Math.min(this.lineStarts[p.line]! + p.character, this.lineEnd(p.line));
  }

  lineEnd(line: number): number {
    const next = this.lineStarts[line + 1];
    if (next === undefined) return this.text.length;
    let e = next - 1;
    if (e > 0 && this.text.charCodeAt(e) === 10 && this.text.charCodeAt(e - 1) === 13) e--;
    return e;
  }

  range(span: Span): Range {
    return { start: this.position(span.start), end: this.position(span.end) };
  }
}

export function spanContains(s: Span, offset: number): boolean {
  return s.start <= offset && offset <= s.end;
}

/**
 * The LineIndex of a text, memoized on the text string itself (texts are immutable). Only the few
 * most recent texts are kept: every edit makes a new text, and old versions are not asked again.
 * The server's conversions and the IDE features (hover's "line N", inlay hints) share it, so a
 * 5,000-line file is scanned once per version rather than once per request.
 */
const lineIndexes = new Map<string, LineIndex>();
const MAX_LINE_INDEXES = 8;
export function lineIndex(text: string): LineIndex {
  let ix = lineIndexes.get(text);
  if (ix) return ix;
  ix = new LineIndex(text);
  if (lineIndexes.size >= MAX_LINE_INDEXES) lineIndexes.delete(lineIndexes.keys().next().value!);
  lineIndexes.set(text, ix);
  return ix;
}
