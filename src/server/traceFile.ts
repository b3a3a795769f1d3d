/**
 * The desktop's trace sink (src/server/perfTrace.ts): when DLM_TRACE_FILE names a file, every
 * trace() call appends `{"t": epoch ms, "who": …, "e": event, "d": detail}` to it. A failing
 * write only loses the line.
 */
import * as fs from 'node:fs';
import { TRACE_ENV, setTraceSink } from './perfTrace';

export function traceToFile(who: string, file = process.env[TRACE_ENV]): void {
  if (!file) return;
  setTraceSink((e, d, at) => {
    const t = at ?? performance.timeOrigin + performance.now();
    try {
      fs.appendFileSync(file, JSON.stringify({ t, who, e, ...(d ? { d } : {}) }) + '\n');
    } catch {
      /* only the line is lost */
    }
  });
}
