/**
 * What the graph panel accepts from its webview (pure, no vscode, so it is unit tested). The
 * webview runs the page's scripts, and a restored panel state is whatever the page last stored:
 * neither may name a file the panel was not opened for.
 */
import type { ProtoRange } from '../../webview/protocol';

const isLine = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;

function rangeOf(v: unknown): ProtoRange | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as { start?: { line?: unknown; character?: unknown }; end?: typeof r.start };
  const { start, end } = r;
  if (!start || !end) return undefined;
  if (![start.line, start.character, end.line, end.character].every(isLine)) return undefined;
  return {
    start: { line: start.line as number, character: start.character as number },
    end: { line: end.line as number, character: end.character as number },
  };
}

/**
 * A `reveal` message's file and range when the file is one of `allowed` (the files of the graph
 * the panel shows: its document and the files it imports), else undefined.
 */
export function acceptReveal(
  allowed: ReadonlySet<string>,
  source: unknown,
): { file: string; range: ProtoRange } | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const { file, range } = source as { file?: unknown; range?: unknown };
  if (typeof file !== 'string' || !allowed.has(file)) return undefined;
  const r = rangeOf(range);
  return r && { file, range: r };
}

/**
 * The document a restored panel shows: the state's uri only when it is the one the extension
 * itself recorded for the panel (`remembered`) and names a local .dlm file; else undefined (the
 * panel then follows the active editor).
 */
export function acceptRestoredUri(
  state: unknown,
  remembered: string | undefined,
): string | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const uri = (state as { uri?: unknown }).uri;
  if (typeof uri !== 'string' || uri !== remembered) return undefined;
  return /^file:\/\/[^?#]*\.dlm$/i.test(uri) ? uri : undefined;
}

/** The model name of a restored state or a `select-model` message, when it is a plain name. */
export function acceptModelName(v: unknown): string | undefined {
  return typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,255}$/.test(v) ? v : undefined;
}

/** An export file name from the webview: a plain file name (no folders), else the default. */
export function exportFileName(v: unknown, format: 'svg' | 'png'): string {
  const name = typeof v === 'string' ? v.split(/[\\/]/).pop()! : '';
  return /^[^.\s][^\\/:*?"<>|\0]{0,200}$/.test(name) && name.endsWith(`.${format}`)
    ? name
    : `graph.${format}`;
}
