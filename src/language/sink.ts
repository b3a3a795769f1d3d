/**
 * Where a check's diagnostics are made and collected: one constructor (the severity comes from
 * the code's table entry unless a caller lowers it), one deduplication key, one sink.
 */
import type { Diagnostic, Fix, RelatedInfo, Span } from '../core';
import { CODES, type Code } from '../core/codes';

/** What a diagnostic may carry besides its code, place and message. */
export interface DiagnosticExtra {
  readonly related?: readonly RelatedInfo[];
  readonly fixes?: readonly Fix[];
  readonly tags?: Diagnostic['tags'];
  /** Overrides the code's severity (a lint reported as a warning in one context). */
  readonly severity?: Diagnostic['severity'];
}

/** A diagnostic with its code's severity; the extra fields are kept as given. */
export function makeDiagnostic(
  code: Code,
  file: string,
  span: Span,
  message: string,
  extra?: DiagnosticExtra,
): Diagnostic {
  if (!extra) return { code, severity: CODES[code].severity, file, span, message };
  const { severity, ...rest } = extra;
  return { code, severity: severity ?? CODES[code].severity, file, span, message, ...rest };
}

/** Two reports with the same key say the same thing at the same place: one is shown. */
export function diagnosticKey(d: Pick<Diagnostic, 'code' | 'file' | 'span' | 'message'>): string {
  return `${d.code}|${d.file}|${d.span.start}|${d.span.end}|${d.message}`;
}

/** Reports for one file, in the shape the data, train and import checks take. */
export type FileReporter = (
  code: Code,
  span: Span,
  message: string,
  extra?: DiagnosticExtra,
) => void;

/** The diagnostics of one check, in the order the steps report them. */
export class DiagnosticSink {
  private readonly all: Diagnostic[] = [];

  add(d: Diagnostic): void {
    this.all.push(d);
  }

  report(code: Code, file: string, span: Span, message: string, extra?: DiagnosticExtra): void {
    this.all.push(makeDiagnostic(code, file, span, message, extra));
  }

  /** A reporter bound to `file`. */
  forFile(file: string): FileReporter {
    return (code, span, message, extra) => this.report(code, file, span, message, extra);
  }

  /** Adds each diagnostic whose key was not seen among the ones given here before. */
  addUnique(diagnostics: Iterable<Diagnostic>): void {
    const seen = new Set<string>();
    for (const d of diagnostics) {
      const key = diagnosticKey(d);
      if (seen.has(key)) continue;
      seen.add(key);
      this.all.push(d);
    }
  }

  /** Everything reported, by file, then start, then end (stable: report order breaks ties). */
  sorted(): Diagnostic[] {
    return this.all.sort((a, b) =>
      a.file === b.file
        ? a.span.start - b.span.start || a.span.end - b.span.end
        : a.file < b.file
          ? -1
          : 1,
    );
  }
}
