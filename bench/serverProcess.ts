/**
 * What the language-server benchmarks (bench/lsp.bench.ts, bench/soak.bench.ts) share about the
 * server process they drive and the times they collect.
 */
import { readFileSync } from 'node:fs';

/**
 * A field of a process's /proc status in bytes: VmRSS (resident now) or VmHWM (the kernel's
 * high-water mark of it, which also sees the garbage between collections). NaN where /proc is
 * missing (not Linux).
 */
export function procStatusBytes(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(st);
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return NaN;
}

/** The p-th percentile of `xs` (nearest rank). */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
