/**
 * Timestamps of the steps between a user's action and what VS Code paints, for the editor
 * latency benchmark (bench/vscode-latency.mjs): activation, the client's requests and
 * notifications, the server's checks and publications. Off unless the process that loads the
 * extension has DLM_TRACE_FILE set; then each step is one JSON line appended to that file
 * (src/server/traceFile.ts) with an epoch time in milliseconds, comparable with the browser's
 * `performance.timeOrigin + performance.now()` on the same machine.
 *
 * This module has no Node imports: the shared server code (also the web extension's) calls
 * trace(), and only the desktop entry points install a sink.
 */
export const TRACE_ENV = 'DLM_TRACE_FILE';

/** `t`: when it happened (epoch ms) if not now, e.g. the process's own start. */
export type TraceSink = (event: string, detail?: string, t?: number) => void;

let sink: TraceSink | undefined;

export function setTraceSink(s: TraceSink | undefined): void {
  sink = s;
}

/** Whether a sink is installed (so callers can skip tracing-only set-up: middleware, observers). */
export function tracing(): boolean {
  return sink !== undefined;
}

export function trace(event: string, detail?: string, t?: number): void {
  if (sink) sink(event, detail, t);
}
