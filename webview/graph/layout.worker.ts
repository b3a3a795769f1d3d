/**
 * The layout worker: ELK's layered algorithm over the visible graph, off the UI thread. Receives
 * a LayoutRequest, answers a LayoutResult with absolute coordinates. Each expanded group is laid
 * out on its own, innermost first, with a cache of identical containers (nested.ts). Bundled on
 * its own (dist/webview/graph-layout.js) and started from a blob URL, so it runs under the
 * webview's CSP (`worker-src blob:`).
 */
import { Worker as ElkWorker } from 'elkjs/lib/elk-worker.min.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import type { LayoutRequest, LayoutResult, WorkerStartup } from './layout';
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

/**
 * A small layout through the same paths as a real one (a group with border ports and a child
 * group, labels), run when the worker starts: most of the first layout's cost is compiling
 * ELK's code, and the view usually waits for the host's first graph meanwhile.
 */
const WARM_UP_STEPS = 12;
export const WARM_UP: LayoutRequest = {
  id: -1,
  nodes: [
    { id: 'i', w: 100, h: 30 },
    { id: 'a', w: 100, h: 44, parent: 'g' },
    { id: 'b', w: 100, h: 44, parent: 'h' },
    { id: 'c', w: 100, h: 44, parent: 'g' },
    { id: 'o', w: 100, h: 30 },
  ],
  groups: [
    { id: 'g', header: 22, minW: 80 },
    { id: 'h', parent: 'g', header: 22, minW: 80 },
  ],
  edges: [
    ['i', 'a', undefined],
    ['a', 'b', 'g'],
    ['b', 'c', 'g'],
    ['i', 'c', undefined],
    ['c', 'o', undefined],
  ].map(([source, target, parent], k) => ({
    id: `e${k}`,
    source: source!,
    target: target!,
    label: '[B, 16]',
    labelW: 50,
    labelH: 13,
    ...(parent ? { parent } : {}),
  })),
};

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
  const clock = (): number => performance.timeOrigin + performance.now();
  // Reported with the first result (the graph view's benchmark reads it), then dropped.
  let startup: { -readonly [K in keyof WorkerStartup]: WorkerStartup[K] } | undefined = {
    evaluatedAt: clock(),
  };
  /** Runs `f`, noting it as ELK's first layout if it is. */
  const timed = <T>(f: () => T, warmUp: boolean): T => {
    if (!startup || startup.firstLayout) return f();
    const start = clock();
    const r = f();
    startup.firstLayout = { start, end: clock(), warmUp };
    return r;
  };
  // Warm-up steps are separate tasks, so a request that arrives meanwhile is served at once;
  // the first request ends the warm-up. A request posted while this script was evaluated (the
  // host sends the graph as soon as the page is ready) is delivered after the first warm-up
  // step. That order is the faster one: in the graph view's benchmark, a fresh view's 500-node
  // layout took 217 + 231 ms after the 5-node warm-up, and 481 ms when run cold first.
  let warmUps = WARM_UP_STEPS;
  const warmUp = (): void => {
    if (warmUps-- <= 0) return;
    timed(() => layoutNested(WARM_UP, (elk ??= syncElk()), new LayoutCache()), true);
    setTimeout(warmUp);
  };
  setTimeout(warmUp);
  scope.onmessage = (ev: MessageEvent<LayoutRequest>): void => {
    warmUps = 0;
    const req = ev.data;
    try {
      const r = timed(() => runLayout(req), false);
      scope.postMessage(startup ? { ...r, startup } : r);
      startup = undefined;
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
