/**
 * What the language server needs from where it runs (decision 0020): the desktop runs it as a
 * Node process over the disk (src/server/server.ts), the web extension in a browser worker over
 * the open documents only (src/server/browser.ts). Everything else, every LSP feature, is the
 * same code (src/server/features.ts).
 */
import type { Host } from '../language/program';
import { normalize } from '../language/paths';

export interface OpenText {
  (path: string): string | undefined;
}

/** The checker's host plus what the server asks of it. */
export interface ServerHost extends Host {
  /** Whether files that are not open are read (false: open documents only). */
  readonly readsDisk: boolean;
  /** Forget what was read of `p` (a watched file changed). */
  invalidate(p: string): void;
  /** Why `p` cannot be read, or undefined when it can. */
  unreadable(p: string): string | undefined;
}

export interface ServerPlatform {
  /** A document URI as the checker's path (POSIX, absolute), or undefined when not served. */
  uriToPath(uri: string): string | undefined;
  /** The inverse of uriToPath. */
  pathToUri(path: string): string;
  /** The workspace rooted at `root`: open documents first, then (on the desktop) the disk. */
  workspace(root: string, openText: OpenText): ServerHost;
  /** Open documents only, inside `root`: no folder open (desktop), or the browser. */
  documents(root: string, openText: OpenText): ServerHost;
  /** `.dlm` files of the workspace, for workspace symbols of files that are not open. */
  listDlmFiles(root: string, limit: number): string[];
  /** The size of a regular file, or undefined. */
  fileSize(path: string): number | undefined;
}

/**
 * Open documents inside `root` and nothing else: the browser's host. Weights files are not read
 * (their names are not checked); `why` says why a file that is not open cannot be read.
 */
export class DocumentsHost implements ServerHost {
  readonly readsDisk = false;
  readonly root: string;

  constructor(
    root: string,
    private readonly open: OpenText,
    private readonly why: string,
  ) {
    this.root = normalize(root);
  }

  private within(p: string): boolean {
    const r = this.root.endsWith('/') ? this.root : this.root + '/';
    return p === this.root || p.startsWith(r);
  }

  readFile(p: string): string | undefined {
    return this.within(p) ? this.open(p) : undefined;
  }

  exists(p: string): boolean {
    return this.readFile(p) !== undefined;
  }

  invalidate(): void {}

  unreadable(p: string): string | undefined {
    return this.readFile(p) === undefined ? this.why : undefined;
  }

  weightsHeader(): ReturnType<NonNullable<Host['weightsHeader']>> {
    return { error: { code: 'DLM061', message: `weights files are not read here: ${this.why}` } };
  }
}

/** Stands for an empty authority (`file:///x`) in a path, which cannot have an empty segment. */
const EMPTY_AUTHORITY = '~';

/**
 * URIs of any scheme as checker paths, without Node: `scheme://authority/p` ↔
 * `/scheme/authority/p` (`~` for an empty authority), and opaque ones (`untitled:Untitled-1`) ↔ `/untitled:/Untitled-1`
 * (percent-decoded). The web extension's documents live in virtual file systems
 * (`vscode-vfs://github/owner/repo/model.dlm` on vscode.dev), so the scheme and authority are
 * part of the path and imports resolve within the same repository.
 */
export function virtualUriToPath(uri: string): string | undefined {
  const m = /^([a-zA-Z][\w+.-]*):(\/\/([^/?#]*))?([^?#]*)/.exec(uri);
  if (!m) return undefined;
  try {
    const scheme = m[1]!.toLowerCase();
    const rest = decodeURIComponent(m[4] ?? '');
    if (m[2] === undefined) return `/${scheme}:/${rest}`;
    const authority = decodeURIComponent(m[3]!) || EMPTY_AUTHORITY;
    return normalize(`/${scheme}/${authority}/${rest.replace(/^\//, '')}`);
  } catch {
    return undefined;
  }
}

export function virtualPathToUri(path: string): string {
  const [, first = 'file', ...rest] = path.split('/');
  const enc = (segs: string[]): string => segs.map((x) => encodeURIComponent(x)).join('/');
  if (first.endsWith(':')) return `${first}${enc(rest)}`;
  const [authority = '', ...segs] = rest;
  const a = authority === EMPTY_AUTHORITY ? '' : encodeURIComponent(authority);
  return `${first}://${a}/${enc(segs)}`;
}
