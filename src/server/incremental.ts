/**
 * Re-checks a document with its previous result, so the checker reuses every model the edit did
 * not touch (see checkText in src/language/program.ts). One previous result is kept per path.
 */
import type { CheckResult } from '../language/checked';
import type { Host } from '../language/program';

type Check = (path: string, text: string, host: Host, previous?: CheckResult) => CheckResult;

export class IncrementalChecker {
  private readonly last = new Map<string, CheckResult>();

  constructor(private readonly checker: Check) {}

  check(path: string, text: string, host: Host): CheckResult {
    const result = this.checker(path, text, host, this.last.get(path));
    this.last.set(path, result);
    return result;
  }

  /** Forget a closed document (frees its models). */
  forget(path: string): void {
    this.last.delete(path);
  }
}
