/**
 * The layout worker: ELK's layered algorithm over the visible graph, off the UI thread. Receives
 * a LayoutRequest, answers a LayoutResult with absolute coordinates. Each expanded group is laid
 * out on its own, innermost first, with a cache of identical containers (nested.ts). Bundled on
 * its own (dist/webview/graph-layout.js) and started from a blob URL, so it runs under the
 * webview's CSP (`worker-src blob:`).
 */
import { Worker as ElkWorker } from 'elkjs/lib/elk-worker.min.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { LayoutRequest, LayoutResult } from './layout';
import { LayoutCache, layoutNested, type ElkSync } from './nested';

/**
 * ELK's dispatcher called directly, synchronously. (elk.bundled.js posts every call through two
 * nested `setTimeout`s, which a browser clamps to 4 ms each once nested; one layout makes one
 * ELK call per container.)
 */
export function syncElk(): ElkSync {
  const w = new ElkWorker();
  let answer: { data?: unknown; error?: unknown } | undefined;
  w.onmessage = (m) => {
    answer = m.data;
  };
  const call = (msg: Record<string, unknown>): unknown => {
    answer = undefined;
    w.dispatcher.saveDispatch({ data: { id: 0, ...msg } });
    const a = answer as { data?: unknown; error?: unknown } | undefined;
    if (!a) throw new Error('ELK did not answer');
    if (a.error !== undefined) {
      const e = a.error as { message?: string; g?: string } | string;
      throw new Error(typeof e === 'string' ? e : (e.message ?? e.g ?? 'ELK failed'));
    }
    return a.data;
  };
  call({ cmd: 'register', algorithms: ['layered'] });
  return (graph: ElkNode) =>
    call({ cmd: 'layout', graph, layoutOptions: {}, options: {} }) as ElkNode;
}

let elk: ElkSync | undefined;
const cache = new LayoutCache();

export function runLayout(req: LayoutRequest): LayoutResult {
  elk ??= syncElk();
  if (req.clearCache) cache.clear();
  return layoutNested(req, elk, cache);
}

// In a worker: answer requests. (elk-worker.min.js installs its own `self.onmessage` when it is
// evaluated inside a worker; assigning ours afterwards replaces it.)
declare const WorkerGlobalScope: unknown;
if (typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined') {
  const scope = self as unknown as {
    onmessage: ((ev: MessageEvent<LayoutRequest>) => void) | null;
    postMessage(msg: LayoutResult): void;
  };
  scope.onmessage = (ev: MessageEvent<LayoutRequest>): void => {
    const req = ev.data;
    try {
      scope.postMessage(runLayout(req));
    } catch (err) {
      scope.postMessage({
        id: req.id,
        nodes: [],
        groups: [],
        edges: [],
        width: 0,
        height: 0,
        ms: 0,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
}
