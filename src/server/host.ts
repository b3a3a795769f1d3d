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

/** Disk reads are cached until `invalidate` (called for watched-file events). */
export class WorkspaceHost extends DiskHost {
  constructor(root: string, openText: OpenText) {
    super(normalize(root), openText, true);
  }
}
