/** Conversions between the checker's types (offsets, core diagnostics) and LSP types. */
import {
  CodeDescription,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic as LspDiagnostic,
  type Range,
} from 'vscode-languageserver';
import { DOCS_URL, lineIndex, type Diagnostic, type Span } from '../core';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function docsHref(code: string): string {
  return `${DOCS_URL}#${code.toLowerCase()}`;
}

export function toRange(text: string, span: Span): Range {
  return lineIndex(text).range(span);
}

export function toLspDiagnostic(
  d: Diagnostic,
  text: string,
  textOf: (file: string) => string | undefined,
  uriOf: (file: string) => string,
): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toRange(text, d.span),
    severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Error,
    code: d.code,
    codeDescription: CodeDescription.is({ href: docsHref(d.code) })
      ? { href: docsHref(d.code) }
      : undefined,
    source: 'dlm',
    message: d.message,
  };
  if (d.related?.length) {
    out.relatedInformation = d.related.map((r) =>
      DiagnosticRelatedInformation.create(
        { uri: uriOf(r.file), range: toRange(textOf(r.file) ?? text, r.span) },
        r.message,
      ),
    );
  }
  const tags: DiagnosticTag[] = [];
  if (d.tags?.includes('unnecessary')) tags.push(DiagnosticTag.Unnecessary);
  if (d.tags?.includes('deprecated')) tags.push(DiagnosticTag.Deprecated);
  if (tags.length) out.tags = tags;
  return out;
}
