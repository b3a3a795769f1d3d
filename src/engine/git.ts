/**
 * Reading .dlm files as they were at a git revision, for `dlm diff --rev` and the editor's
 * "Compare with…". The older text is checked in memory: nothing is written to disk.
 *
 * Git runs as a child process with a fixed argv and no shell: `git rev-parse` resolves the
 * revision once to a commit id, then each file is `git ls-tree -l -z <commit> -- <path>` (regular
 * blob? size within the cap?) and `git cat-file blob <id>`, which prints what
 * `git show <rev>:<path>` would, without textconv or other filters. A revision that starts with
 * `-` or holds control characters is refused before git sees it. Imports are read at the same
 * revision, confined like the working tree: inside the workspace root, regular files only,
 * at most MAX_SOURCE_BYTES.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { FileProblem, Host } from '../language/program';
import { MAX_SOURCE_BYTES, fromPosix, toPosix, tooLarge } from './host';

/** Why a revision cannot be read: not a repository, unknown revision, git missing. */
export class GitError extends Error {}

const GIT_TIMEOUT_MS = 30_000;

function git(cwd: string, args: readonly string[], maxBuffer = 1024 * 1024): Buffer {
  return execFileSync('git', ['-c', 'core.fsmonitor=false', ...args], {
    cwd,
    encoding: 'buffer',
    maxBuffer,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: GIT_TIMEOUT_MS,
    windowsHide: true,
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
  });
}

function stderrOf(e: unknown): string {
  const err = e as { stderr?: Buffer; code?: string; message?: string };
  if (err.code === 'ENOENT') return 'git is not installed (or not on PATH)';
  const s = err.stderr?.toString('utf8').trim();
  return s ? (s.split('\n').pop() ?? s) : (err.message ?? String(e));
}

/** A revision git may be asked about: no option-like start, no control characters or spaces. */
export function checkRevision(rev: string): string | undefined {
  if (rev === '') return 'the revision is empty';
  if (rev.startsWith('-')) return `'${rev}' is not a revision (it starts with '-')`;
  if (rev.length > 256) return 'the revision is longer than 256 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(rev))
    return `'${rev}' is not a revision (spaces or control characters)`;
  return undefined;
}

export interface Revision {
  /** The repository's top folder, native path. */
  readonly top: string;
  /** The revision as given (`HEAD~1`). */
  readonly rev: string;
  /** The commit it names. */
  readonly commit: string;
}

/** Resolve `rev` in the repository holding `file` (a native path). Throws GitError. */
export function resolveRevision(file: string, rev: string): Revision {
  const bad = checkRevision(rev);
  if (bad) throw new GitError(bad);
  const dir = path.dirname(file);
  let top: string;
  try {
    top = git(dir, ['rev-parse', '--show-toplevel']).toString('utf8').trim();
  } catch (e) {
    throw new GitError(`'${file}' is not in a git repository: ${stderrOf(e)}`);
  }
  let commit: string;
  try {
    commit = git(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])
      .toString('utf8')
      .trim();
  } catch {
    throw new GitError(`unknown revision '${rev}'`);
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new GitError(`unknown revision '${rev}'`);
  return { top: path.resolve(top), rev, commit };
}

interface Entry {
  readonly mode: string;
  readonly type: string;
  readonly id: string;
  readonly size: number;
}

/**
 * The checker's Host over a git revision: files are read as they were at `revision`, confined to
 * the workspace `root` (POSIX) and the repository. Results are kept (a revision does not change).
 */
export class GitRevisionHost implements Host {
  readonly root: string;
  private readonly entries = new Map<string, Entry | undefined>();
  private readonly texts = new Map<string, string | undefined>();

  constructor(
    readonly revision: Revision,
    root: string,
  ) {
    this.root = root;
  }

  /** The POSIX path relative to the repository top, or undefined outside root or repository. */
  repoPath(p: string): string | undefined {
    const r = this.root.endsWith('/') ? this.root : this.root + '/';
    if (p !== this.root && !p.startsWith(r)) return undefined;
    const rel = path.relative(this.revision.top, fromPosix(p));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return toPosix(rel);
  }

  private entry(p: string): Entry | undefined {
    if (this.entries.has(p)) return this.entries.get(p);
    const rel = this.repoPath(p);
    let e: Entry | undefined;
    if (rel !== undefined) {
      let out: string;
      try {
        out = git(this.revision.top, [
          'ls-tree',
          '-l',
          '-z',
          this.revision.commit,
          '--',
          rel,
        ]).toString('utf8');
      } catch (err) {
        throw new GitError(`cannot list '${rel}' at ${this.revision.rev}: ${stderrOf(err)}`);
      }
      // `<mode> SP <type> SP <object> SP+ <size> TAB <path> NUL`
      const m = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t([^\0]*)\0/.exec(out);
      if (m && m[5] === rel)
        e = { mode: m[1]!, type: m[2]!, id: m[3]!, size: m[4] === '-' ? 0 : Number(m[4]) };
    }
    this.entries.set(p, e);
    return e;
  }

  readFile(p: string): string | undefined {
    if (this.texts.has(p)) return this.texts.get(p);
    const e = this.entry(p);
    let text: string | undefined;
    if (e && e.type === 'blob' && e.mode !== '120000' && e.size <= MAX_SOURCE_BYTES) {
      try {
        text = git(this.revision.top, ['cat-file', 'blob', e.id], MAX_SOURCE_BYTES + 1).toString(
          'utf8',
        );
      } catch (err) {
        throw new GitError(
          `cannot read '${this.repoPath(p)}' at ${this.revision.rev}: ${stderrOf(err)}`,
        );
      }
    }
    this.texts.set(p, text);
    return text;
  }

  exists(p: string): boolean {
    const e = this.entry(p);
    return e !== undefined && e.type === 'blob';
  }

  problem(p: string, kind: 'source' | 'data'): FileProblem | undefined {
    const e = this.entry(p);
    if (!e) return undefined;
    const shown = `${this.revision.rev}:${this.repoPath(p)}`;
    if (e.mode === '120000')
      return {
        code: 'DLM208',
        message: `'${shown}' is a symbolic link; only regular files are read`,
      };
    if (e.type !== 'blob')
      return { code: 'DLM208', message: `'${shown}' is a folder; only regular files are read` };
    if (kind === 'source' && e.size > MAX_SOURCE_BYTES)
      return tooLarge(shown, e.size, MAX_SOURCE_BYTES).problem;
    return undefined;
  }

  /** Why the .dlm file `p` cannot be read at the revision, else undefined. */
  unreadable(p: string): string | undefined {
    if (this.repoPath(p) === undefined)
      return `'${p}' is outside the repository or the workspace root`;
    const e = this.entry(p);
    if (!e) return `'${this.repoPath(p)}' does not exist at ${this.revision.rev}`;
    return this.problem(p, 'source')?.message;
  }
}
