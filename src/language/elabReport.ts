/**
 * What elaboration reports besides the graph: diagnostics (moved to the use site when they arise
 * inside a block from an imported file), and the bindings it declared and used, which program.ts
 * turns into unused-binding warnings. Both are captured per model (see ModelCapture) so that an
 * unchanged model can be reused by the next check with the same reports.
 */
import { LineIndex, type Diagnostic, type RelatedInfo, type Span } from '../core';
import { CODES, type Code } from '../core/codes';
import type { DiagnosticExtra } from './sink';

/** Where the block (or model) being elaborated is used, for reports from imported files. */
export interface UseSite {
  readonly file: string;
  readonly span: Span;
  readonly label: string;
}

export class ElabReporter {
  private readonly lineIndexes = new Map<string, LineIndex>();
  private useSites: UseSite[] = [];
  private captured: Diagnostic[] = [];
  /** Every report() call: a block instantiation that reported nothing is clean (a template). */
  count = 0;
  /** Whether an error was reported since beginModel(). */
  errorSeen = false;

  constructor(
    /** The file being checked: reports elsewhere move to their use site in it. */
    private readonly root: string,
    private readonly texts: ReadonlyMap<string, string>,
  ) {}

  /** A new model: its name is the outermost use site, and it has no errors yet. */
  beginModel(site: UseSite): void {
    this.useSites = [site];
    this.errorSeen = false;
  }

  /** Runs `fn` with `site` as the innermost use site (a block call). */
  within<T>(site: UseSite, fn: () => T): T {
    this.useSites.push(site);
    try {
      return fn();
    } finally {
      this.useSites.pop();
    }
  }

  /** Start a new capture; returns the reports of the previous one. */
  takeCaptured(): Diagnostic[] {
    const out = this.captured;
    this.captured = [];
    return out;
  }

  report(code: Code, file: string, span: Span, message: string, opts: DiagnosticExtra = {}): void {
    this.count++;
    const severity = opts.severity ?? CODES[code].severity;
    if (severity === 'error') this.errorSeen = true;
    let d: Diagnostic = {
      code,
      severity,
      file,
      span,
      message,
      related: dedupeRelated(opts.related),
      fixes: opts.fixes,
      tags: opts.tags,
    };
    if (file !== this.root) {
      // The problem is inside a block from an imported file: report it at the use site here.
      const site = [...this.useSites].reverse().find((s) => s.file === this.root);
      if (site) {
        const where = `${file.split('/').pop()}:${this.lineOf(file, span.start)}`;
        d = {
          code,
          severity,
          file: this.root,
          span: site.span,
          message: `in ${site.label} (${where}): ${message}`,
          related: dedupeRelated([{ file, span, message }, ...(opts.related ?? [])]),
        };
      }
    }
    this.captured.push(d);
  }

  private lineOf(file: string, offset: number): number {
    let li = this.lineIndexes.get(file);
    if (!li) {
      li = new LineIndex(this.texts.get(file) ?? '');
      this.lineIndexes.set(file, li);
    }
    return li.position(offset).line + 1;
  }
}

/** A binding, input or shared layer that the unused-binding check tracks. */
export interface Declaration {
  readonly file: string;
  readonly span: Span;
  readonly name: string;
  readonly what: string;
}

/** Declarations and uses (keyed by the declaring name's span object), captured per model. */
export class BindingUses {
  private readonly declared = new Map<Span, Declaration>();
  private capDeclared: Declaration[] = [];
  private capUsed: Span[] = [];

  declare(decl: Declaration): void {
    if (!this.declared.has(decl.span)) this.declared.set(decl.span, decl);
    this.capDeclared.push(decl);
  }

  markUsed(span: Span): void {
    this.capUsed.push(span);
  }

  /** Start a new capture; returns what the previous one declared and used. */
  takeCaptured(): {
    declared: Declaration[];
    used: { readonly file: string; readonly offset: number }[];
  } {
    const declared = this.capDeclared;
    const used = this.capUsed.map((sp) => ({
      file: this.declared.get(sp)?.file ?? '',
      offset: sp.start,
    }));
    this.capDeclared = [];
    this.capUsed = [];
    return { declared, used };
  }
}

/** Related information without repeated rows (merges that see one value twice, shared paths). */
function dedupeRelated(related: readonly RelatedInfo[] | undefined): RelatedInfo[] | undefined {
  if (!related) return undefined;
  const seen = new Set<string>();
  return related.filter((r) => {
    const key = `${r.file}|${r.span.start}|${r.span.end}|${r.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
