import type { Span } from './range';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** A text edit in the same file as the diagnostic (offsets into that file). */
export interface TextEdit {
  readonly span: Span;
  readonly newText: string;
}

/** A machine-applicable fix: a title and edits, all in the diagnostic's file. */
export interface Fix {
  readonly title: string;
  readonly edits: readonly TextEdit[];
  /** Preferred fixes are offered first and applied by "fix all". */
  readonly preferred?: boolean;
}

export interface RelatedInfo {
  readonly file: string;
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  /** Stable code, `DLM001`…; see docs/diagnostics.md. */
  readonly code: string;
  readonly severity: Severity;
  readonly file: string;
  readonly span: Span;
  readonly message: string;
  readonly related?: readonly RelatedInfo[];
  readonly fixes?: readonly Fix[];
  /** Tags for the editor: unnecessary code is faded, deprecated is struck through. */
  readonly tags?: readonly ('unnecessary' | 'deprecated')[];
}

export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** The longest string value a diagnostic message quotes whole (docs/limits.md). */
export const MAX_QUOTED_CHARS = 80;

/**
 * A string value as a message quotes it: JSON-quoted, and cut to MAX_QUOTED_CHARS characters
 * with its full length noted when longer, so a 1 MB literal never travels into a diagnostic.
 */
export function quoteText(s: string, max = MAX_QUOTED_CHARS): string {
  if (s.length <= max) return JSON.stringify(s);
  // Do not cut a surrogate pair in half.
  let cut = max;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${JSON.stringify(s.slice(0, cut)).slice(0, -1)}…" (${s.length.toLocaleString('en-US')} characters)`;
}
