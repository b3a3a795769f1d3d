/** Placeholder: full checks. */
import type { CheckResult } from '../language/checked';
import type { Host } from '../language/program';

export class IncrementalChecker {
  constructor(private readonly full: (path: string, text: string, host: Host) => CheckResult) {}
  check(path: string, text: string, host: Host): CheckResult {
    return this.full(path, text, host);
  }
}
