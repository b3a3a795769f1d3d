/**
 * Per-document check results, cached by document version; the import graph between files; and
 * the scheduling of diagnostics (debounced, stale checks dropped, importers re-checked).
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CheckResult } from '../language/checked';
import { failedCheck, type Host } from '../language/program';
import { trace } from './perfTrace';

export type CheckFn = (path: string, text: string, host: Host) => CheckResult;

interface Entry {
  readonly version: number;
  readonly text: string;
  readonly result: CheckResult;
}

export interface Scheduler {
  /** Debounce window: a burst of edits is checked this long after its last edit. */
  readonly debounceMs: number;
}

export class CheckCache {
  private readonly entries = new Map<string, Entry>();
  /** uri → every file its last check read (root + transitive imports). */
  private readonly deps = new Map<string, ReadonlySet<string>>();
  checks = 0;
  lastCheckMs = 0;

  constructor(
    private readonly host: Host,
    private readonly check: CheckFn,
    private readonly log: (msg: string) => void,
    /** The platform's document URI → checker path (src/server/platform.ts). */
    private readonly uriToPath: (uri: string) => string | undefined,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The result for this exact document version; checks now when it is not cached. */
  get(doc: TextDocument): CheckResult | undefined {
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version) return e.result;
    const path = this.uriToPath(doc.uri);
    if (!path) return undefined;
    const text = doc.getText();
    const t0 = performance.now();
    trace('server.checkRun', `v${doc.version}`);
    let result: CheckResult;
    try {
      result = this.check(path, text, this.host);
    } catch (err) {
      this.log(
        `check of ${path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      // Cached like a result: every request for this version would otherwise check it again.
      result = failedCheck(path, text, err);
    }
    this.lastCheckMs = performance.now() - t0;
    trace('server.checkRun.done', `${this.lastCheckMs.toFixed(1)} ms`);
    this.checks++;
    this.entries.set(doc.uri, { version: doc.version, text, result });
    this.deps.set(doc.uri, new Set(result.files.keys()));
    return result;
  }

  /** A cached result even when stale (for requests that prefer an old answer to none). */
  peek(uri: string): CheckResult | undefined {
    return this.entries.get(uri)?.result;
  }

  isFresh(doc: TextDocument): boolean {
    return this.entries.get(doc.uri)?.version === doc.version;
  }

  /** Open documents whose last check read `path` (other than the file itself). */
  dependents(path: string): string[] {
    const out: string[] = [];
    for (const [uri, files] of this.deps)
      if (files.has(path) && this.uriToPath(uri) !== path) out.push(uri);
    return out;
  }

  invalidate(uri: string): void {
    this.entries.delete(uri);
  }

  forget(uri: string): void {
    this.entries.delete(uri);
    this.deps.delete(uri);
  }
}

/**
 * Debounce per document: the first edit after a quiet period is checked and published at once,
 * inside the didChange handler, before any request that came with or after it (semantic tokens,
 * inlay hints, code lenses, completion all need the same check, which is then cached): the
 * squiggle goes out first. Edits inside a burst push the check back until the burst has been
 * quiet for `debounceMs`. `immediate` (an opened document, an importer of a changed file) skips
 * the debounce but waits for the next tick. A check that fires for an outdated version is dropped.
 */
export class DiagnosticScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastEdit = new Map<string, number>();

  constructor(
    private readonly debounceMs: number,
    private readonly run: (uri: string) => void,
  ) {}

  schedule(uri: string, immediate = false): void {
    const now = performance.now();
    const last = this.lastEdit.get(uri);
    this.lastEdit.set(uri, now);
    const quiet = last === undefined || now - last >= this.debounceMs;
    const old = this.timers.get(uri);
    if (old) clearTimeout(old);
    this.timers.delete(uri);
    if (quiet && !immediate) {
      this.run(uri);
      return;
    }
    const delay = immediate ? 0 : this.debounceMs;
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        this.run(uri);
      }, delay),
    );
  }

  cancel(uri: string): void {
    const old = this.timers.get(uri);
    if (old) clearTimeout(old);
    this.timers.delete(uri);
    this.lastEdit.delete(uri);
  }
}
