/**
 * The checker's view of the workspace from the server: open documents first, then the disk
 * through the one confined host (src/engine/host.ts): paths outside the workspace root, links that
 * escape it, non-regular files and files over the size cap read as absent, and `problem` says why.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DiskHost } from '../engine/host';
import { normalize } from '../language/paths';

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return normalize(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function pathToUri(p: string): string {
  return pathToFileURL(p).href;
}

export interface OpenText {
  (path: string): string | undefined;
}

/**
 * Disk reads are cached until `invalidate` (called for watched-file events).
 *
 * With `disk: false` (no folder open) nothing is read from the disk: only open documents inside
 * `root` exist. The server then makes one such host per document, rooted at its own folder.
 */
export class WorkspaceHost extends DiskHost {
  private readonly diskReads: boolean;
  private readonly open: OpenText;

  constructor(root: string, openText: OpenText, opts: { readonly disk?: boolean } = {}) {
    super(normalize(root), openText, true);
    this.open = openText;
    this.diskReads = opts.disk ?? true;
  }

  /** Whether the workspace reads the disk at all (false with no folder open). */
  get readsDisk(): boolean {
    return this.diskReads;
  }

  private within(p: string): boolean {
    const r = this.root.endsWith('/') ? this.root : this.root + '/';
    return p === this.root || p.startsWith(r);
  }

  override readFile(p: string): string | undefined {
    if (!this.diskReads) return this.within(p) ? this.open(p) : undefined;
    return super.readFile(p);
  }

  override exists(p: string): boolean {
    if (!this.diskReads) return this.readFile(p) !== undefined;
    return super.exists(p);
  }

  override problem(p: string, kind: 'source' | 'data'): ReturnType<DiskHost['problem']> {
    return this.diskReads ? super.problem(p, kind) : undefined;
  }

  override unreadable(p: string): string | undefined {
    if (this.diskReads) return super.unreadable(p);
    return this.readFile(p) === undefined ? 'not open (no folder is open)' : undefined;
  }

  override weightsHeader(p: string): ReturnType<DiskHost['weightsHeader']> {
    if (this.diskReads) return super.weightsHeader(p);
    return {
      error: {
        code: 'DLM061',
        message: 'weights files are read only when a folder is open (File: Open Folder…)',
      },
    };
  }

  override inside(p: string): boolean {
    return this.diskReads ? super.inside(p) : this.within(p);
  }
}
