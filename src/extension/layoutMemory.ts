/**
 * The graph layouts the extension host remembers for the graph panel: the last layout a view
 * drew of each model, for the next view of it (a panel closed and opened again). A few entries,
 * least recently used first out, with a cap on their total size. Pure (no `vscode`), so that it
 * is unit-tested in Node (decision 0031).
 */
import { MAX_SAVED_LAYOUT_CHARS, type SavedLayoutText } from '../../webview/protocol';

/** Models remembered. */
export const LAYOUT_MEMORY_ENTRIES = 8;
/** Their layouts' JSON text, in characters, at most. */
export const LAYOUT_MEMORY_CHARS = 8_000_000;
/** A request key is short (webview/graph/layout.ts `requestKey` plus the worker's URI). */
const MAX_KEY_CHARS = 2048;

export class LayoutMemory {
  private readonly entries = new Map<string, SavedLayoutText>();
  private chars = 0;

  constructor(
    private readonly maxEntries = LAYOUT_MEMORY_ENTRIES,
    private readonly maxChars = LAYOUT_MEMORY_CHARS,
  ) {}

  /** The layout remembered for `model` of the document `uri`, now the most recently used. */
  get(uri: string, model: string): SavedLayoutText | undefined {
    const k = keyOf(uri, model);
    const v = this.entries.get(k);
    if (v) {
      this.entries.delete(k);
      this.entries.set(k, v);
    }
    return v;
  }

  /** Whether a layout is remembered for `model` of `uri` (without making it the most recent). */
  has(uri: string, model: string): boolean {
    return this.entries.has(keyOf(uri, model));
  }

  /**
   * Remembers what a view sent (unchecked input: anything but two strings of sane length is
   * dropped); returns whether it was kept.
   */
  set(uri: unknown, model: unknown, layout: unknown): boolean {
    if (typeof uri !== 'string' || typeof model !== 'string') return false;
    const l = layout as Partial<SavedLayoutText> | null | undefined;
    if (!l || typeof l.key !== 'string' || typeof l.json !== 'string') return false;
    if (l.key.length === 0 || l.key.length > MAX_KEY_CHARS) return false;
    if (l.json.length === 0 || l.json.length > Math.min(MAX_SAVED_LAYOUT_CHARS, this.maxChars))
      return false;
    const k = keyOf(uri, model);
    this.remove(k);
    this.entries.set(k, { key: l.key, json: l.json });
    this.chars += l.json.length;
    for (const old of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.remove(old);
    }
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(k: string): void {
    const v = this.entries.get(k);
    if (!v) return;
    this.chars -= v.json.length;
    this.entries.delete(k);
  }
}

const keyOf = (uri: string, model: string): string => `${uri}\n${model}`;
