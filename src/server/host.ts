/**
 * The checker's view of the workspace from the server: open documents first, then the disk,
 * confined to the workspace root (paths outside it, and symlinks that escape it, read as absent).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Host } from '../language/program';
import { isInside, normalize } from '../language/paths';

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
export class WorkspaceHost implements Host {
  readonly root: string;
  private realRoot: string;
  private readonly disk = new Map<string, string | undefined>();
  private readonly diskReads: boolean;

  constructor(
    root: string,
    private readonly openText: OpenText,
    opts: { readonly disk?: boolean } = {},
  ) {
    this.diskReads = opts.disk ?? true;
    this.root = normalize(root);
    try {
      this.realRoot = normalize(fs.realpathSync(this.root));
    } catch {
      this.realRoot = this.root;
    }
  }

  /** Whether `p` (after resolving symlinks) is inside the workspace root. */
  inside(p: string): boolean {
    if (!isInside(this.root, p)) return false;
    try {
      return isInside(this.realRoot, normalize(fs.realpathSync(p)));
    } catch {
      // Missing file: judge by its nearest existing parent.
      const parent = path.dirname(p);
      if (parent === p) return false;
      return !fs.existsSync(parent) || this.inside(parent);
    }
  }

  readFile(p: string): string | undefined {
    if (!this.diskReads) return isInside(this.root, p) ? this.openText(p) : undefined;
    const open = this.openText(p);
    if (open !== undefined) return open;
    if (this.disk.has(p)) return this.disk.get(p);
    let text: string | undefined;
    try {
      if (this.inside(p) && fs.statSync(p).isFile()) text = fs.readFileSync(p, 'utf8');
    } catch {
      text = undefined;
    }
    this.disk.set(p, text);
    return text;
  }

  /** Whether the workspace reads the disk at all (false with no folder open). */
  get readsDisk(): boolean {
    return this.diskReads;
  }

  exists(p: string): boolean {
    if (!this.diskReads) return this.readFile(p) !== undefined;
    if (this.openText(p) !== undefined) return true;
    try {
      return this.inside(p) && fs.existsSync(p);
    } catch {
      return false;
    }
  }

  invalidate(p?: string): void {
    if (p === undefined) this.disk.clear();
    else this.disk.delete(p);
  }
}
