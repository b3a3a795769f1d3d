/**
 * What the language-server benchmarks (bench/lsp.bench.ts, bench/soak.bench.ts,
 * bench/scale.bench.ts) share about the server process they drive and the times they collect.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MessageConnection } from 'vscode-jsonrpc/node';

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

/**
 * Ends an LSP session the way a client does: `shutdown`, then `exit` (unless the process has
 * already left), then waits (at most 2 s) for the server to leave before killing it. The
 * connection is disposed only once the process has gone, so that no message is written to a
 * closed pipe.
 */
export async function stopServer(conn: MessageConnection, child: ChildProcess): Promise<void> {
  child.stdin?.on('error', () => undefined); // a late write to a pipe the server has closed
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await conn.sendRequest('shutdown');
      await conn.sendNotification('exit');
    } catch {
      /* the server left meanwhile */
    }
    const timer = setTimeout(() => child.kill(), 2000);
    await gone;
    clearTimeout(timer);
  }
  conn.dispose();
}
