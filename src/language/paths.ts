/** Minimal POSIX path helpers (pure; the language layer must not import node:path). */

export function normalize(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (p.startsWith('/') ? '/' : '.') : p.slice(0, i);
}

export function join(...parts: string[]): string {
  return normalize(parts.filter(Boolean).join('/'));
}

/** Results of resolveRelative (pure): every train section of a file resolves the same paths. */
const resolved = new Map<string, string>();

/** Resolve `rel` against the directory of `from`. Absolute `rel` stays absolute. */
export function resolveRelative(from: string, rel: string): string {
  const key = from + '\0' + rel;
  let r = resolved.get(key);
  if (r === undefined) {
    r = rel.startsWith('/') ? normalize(rel) : join(dirname(from), rel);
    if (resolved.size >= 1024) resolved.clear();
    resolved.set(key, r);
  }
  return r;
}

/** True when `p` is `root` or below it. Both must be normalized absolute paths. */
export function isInside(root: string, p: string): boolean {
  const r = root.endsWith('/') ? root : root + '/';
  return p === root || p.startsWith(r);
}

export function relative(root: string, p: string): string {
  const r = root.endsWith('/') ? root : root + '/';
  return p.startsWith(r) ? p.slice(r.length) : p;
}
