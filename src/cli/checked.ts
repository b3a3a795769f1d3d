/**
 * What the checking commands share (`check`, `summary`, `diff`, `import`): one checked file with
 * its display path, and diagnostics in the `file:line:col: severity code message` form.
 */
import * as path from 'node:path';
import { LineIndex, type Diagnostic, type Span } from '../core';
import type { CheckResult } from '../language/checked';
import { checkFile } from '../language/program';
import { DiskHost, absolutePosix, fromPosix } from '../engine/host';
import type { Ctx, Paint } from './common';

/** A checked file: the absolute path, its display path and the result. */
export interface Checked {
  readonly abs: string;
  readonly display: string;
  readonly result: CheckResult;
  readonly host: DiskHost;
}

export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, fromPosix(abs));
  const shown = rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? fromPosix(abs) : rel;
  return shown.split(path.sep).join('/');
}

/** Check one file; undefined (after printing why) when it cannot be read. */
export function checkOne(file: string, ctx: Ctx): Checked | undefined {
  const { io } = ctx;
  const abs = absolutePosix(file, io.cwd);
  const rootOpt = ctx.args.options['root'];
  let root = typeof rootOpt === 'string' ? absolutePosix(rootOpt, io.cwd) : absolutePosix(io.cwd);
  // A file outside the default root gets its own directory as the root.
  if (typeof rootOpt !== 'string' && !isInsidePosix(root, abs)) root = path.posix.dirname(abs);
  const host = new DiskHost(root);
  const why = host.unreadable(abs);
  if (why) {
    io.stderr(`dlm: cannot read '${file}': ${why}\n`);
    return undefined;
  }
  return { abs, display: displayPath(abs, io.cwd), result: checkFile(abs, host), host };
}

function isInsidePosix(root: string, p: string): boolean {
  const r = root.endsWith('/') ? root : root + '/';
  return p === root || p.startsWith(r);
}

/** Line indexes per file, built from the checker's parsed files or read from disk. */
export function lineIndexer(c: Checked): (file: string) => LineIndex | undefined {
  const cache = new Map<string, LineIndex | undefined>();
  return (file) => {
    if (!cache.has(file)) {
      const text = c.result.files.get(file)?.text ?? c.host.readFile(file);
      cache.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return cache.get(file);
  };
}

interface JsonRange {
  readonly start: { readonly line: number; readonly character: number };
  readonly end: { readonly line: number; readonly character: number };
}

function rangeOf(lines: LineIndex | undefined, span: Span): JsonRange {
  if (!lines) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return lines.range(span);
}

export interface JsonDiagnostic {
  /** Path relative to the current directory (absolute when outside it). */
  readonly file: string;
  /** 1-based line and column of the start, as printed. */
  readonly line: number;
  readonly column: number;
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly message: string;
  /** 0-based LSP range. */
  readonly range: JsonRange;
  readonly related: {
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly range: JsonRange;
    readonly message: string;
  }[];
  readonly fixes: string[];
}

export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.span.start - b.span.start,
  );
}

export function toJson(
  d: Diagnostic,
  c: Checked,
  lines: (f: string) => LineIndex | undefined,
  cwd: string,
): JsonDiagnostic {
  const range = rangeOf(lines(d.file), d.span);
  return {
    file: displayPath(d.file, cwd),
    line: range.start.line + 1,
    column: range.start.character + 1,
    severity: d.severity,
    code: d.code,
    message: d.message,
    range,
    related: (d.related ?? []).map((r) => {
      const rr = rangeOf(lines(r.file), r.span);
      return {
        file: displayPath(r.file, cwd),
        line: rr.start.line + 1,
        column: rr.start.character + 1,
        range: rr,
        message: r.message,
      };
    }),
    fixes: (d.fixes ?? []).map((f) => f.title),
  };
}

export function formatDiagnostic(d: JsonDiagnostic, paint: Paint): string {
  const tone = d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'blue';
  const out = [
    `${paint('bold', `${d.file}:${d.line}:${d.column}:`)} ${paint(tone, d.severity)} ${paint('dim', d.code)} ${d.message}`,
  ];
  for (const r of d.related) out.push(`    ${r.file}:${r.line}:${r.column}: ${r.message}`);
  for (const f of d.fixes) out.push(`    ${paint('cyan', 'fix:')} ${f}`);
  return out.join('\n') + '\n';
}
