/**
 * Graph view layout + render time in Chromium (the real bundle, the real worker), for generated
 * residual CNNs of about 50, 500 and 2,000 layer nodes. Prints ms per size: layout in the worker
 * (ELK, one run per distinct container), SVG render on the UI thread, and the end-to-end time from
 * the `graph` message to the first painted frame showing it (median of 5 runs after a warm-up).
 * Views: `expanded` lays out with the worker's layout cache cleared first (a model seen for the
 * first time); `re-check` is the same model again with the cache kept (an edit elsewhere in the
 * file); `auto` is the first view of a large model (top-level groups collapsed); `fresh view`
 * is the first layout in a newly opened view (the worker's JIT is cold too; a new page per run,
 * no warm-up); `shown again` is a new page whose VS Code state holds the layout an earlier view of
 * the same graph saved (a hidden view shown again, or a view restored after a reload; decision
 * 0031). Target: 500 expanded nodes under 300 ms. The expanded view also runs at 8,000
 * nodes: with 500 and 2,000 it is the scale curve (1×, 4×, 16×) of the layout.
 *
 * It builds and measures the minified bundles that the `.vsix` ships (`esbuild.mjs --production`).
 *
 *   node --import tsx bench/graph-layout.bench.ts
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { checkText } from '../src/language/program';
import { buildGraphData } from '../src/views/graphData';
import { asJson, type GraphData, type HostToGraph, type JsonMessage } from '../webview/protocol';
import type { Browser, Page } from 'playwright-core';
import { launch, residualSource, startServer } from '../test/webview/harness';

/** A residual CNN with about `nodes` layer nodes: stem, Res blocks (7 layers each), head. */
const residualModel = (nodes: number): string =>
  residualSource(Math.max(1, Math.round((nodes - 4) / 7)));

function graphFor(nodes: number): GraphData {
  const text = residualModel(nodes);
  const r = checkText('/bench/gen.dlm', text, { root: '/bench', readFile: () => text });
  const m = r.models[0];
  if (!m || !m.ok) throw new Error(`generated model does not check: ${r.diagnostics[0]?.message}`);
  return buildGraphData(m, r.diagnostics, {
    shapeStyle: 'brackets',
    macsOrFlops: 'macs',
    files: r.files,
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Run {
  total: number;
  layout: number;
  render: number;
  runs: string;
  /** Who laid it out: the worker, or the layout saved in the view's state. */
  source: string;
  /** When the graph was posted, on the page's clock (ms since it started loading). */
  posted: number;
  /** The layout worker's start, on the same clock (webview/graph/main.ts, fresh views only). */
  startup?: {
    fetch: number;
    fetched: number;
    created: number;
    evaluated: number;
    elkFirst?: [number, number];
    elkFirstWarmUp?: boolean;
  };
}

/**
 * A new page with the graph view, ready. With `held`, the page holds that message (as the host
 * posts it: JSON text) from its first script on, and `show` posts it without sending it through
 * the DevTools protocol: sent with the call, a large graph is deserialized on the page's main
 * thread while the layout worker starts, and on two cores that slowed the worker's start to over
 * a second.
 */
async function openView(
  browser: Browser,
  origin: string,
  mode: Mode,
  held?: JsonMessage<HostToGraph>,
  state?: unknown,
): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  if (state !== undefined)
    await page.addInitScript((s) => {
      (window as unknown as { __initialState: unknown }).__initialState = s;
    }, state);
  if (held)
    await page.addInitScript((m) => {
      (window as unknown as { __benchMessage: unknown }).__benchMessage = m;
    }, held);
  await page.goto(`${origin}/harness.html?theme=dark`);
  await page.waitForFunction(() =>
    (window as unknown as { __posted?: { type: string }[] }).__posted?.some(
      (m) => m.type === 'ready',
    ),
  );
  await page.evaluate((m) => {
    document.body.dataset.autoCollapse = m === 'auto' ? 'on' : 'off';
    document.body.dataset.layoutCache = m === 'expanded' ? 'clear' : 'keep';
  }, mode);
  return page;
}

/**
 * Posts `msg` as the host does (JSON text), or the message the page holds if `msg` is undefined,
 * and resolves once the frame showing the new layout has been painted.
 */
function show(page: Page, msg?: JsonMessage<HostToGraph>): Promise<Run> {
  return page.evaluate(
    (m) =>
      new Promise<Run>((resolve) => {
        const before = Number(document.body.dataset.layoutCount ?? '0');
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (Number(document.body.dataset.layoutCount ?? '0') > before) {
            obs.disconnect();
            // A task queued from the next animation frame runs after that frame's style,
            // layout and paint.
            requestAnimationFrame(() =>
              setTimeout(() =>
                resolve({
                  total: performance.now() - t0,
                  layout: Number(document.body.dataset.layoutMs),
                  render: Number(document.body.dataset.renderMs),
                  runs: `${document.body.dataset.elkRuns}/${document.body.dataset.layoutCached}`,
                  source: document.body.dataset.layoutSource ?? '',
                  posted: t0,
                  startup: document.body.dataset.workerStartup
                    ? (JSON.parse(document.body.dataset.workerStartup) as Run['startup'])
                    : undefined,
                }),
              ),
            );
          }
        });
        obs.observe(document.body, { attributes: true });
        window.postMessage(
          m ?? (window as unknown as { __benchMessage: unknown }).__benchMessage,
          '*',
        );
      }),
    msg,
  );
}

/**
 * How long a new layout worker takes to evaluate its script (ELK's code included) when nothing
 * else runs: a page that has been idle for 3 s starts a second worker from the same script,
 * which reports once evaluated (ms since the worker began; median of 3 pages).
 */
async function idleWorkerEvalMs(browser: Browser, origin: string): Promise<number> {
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const page = await openView(browser, origin, 'expanded');
    await page.waitForTimeout(3000);
    times.push(
      await page.evaluate(async () => {
        const src = await (await fetch(document.body.dataset.workerUri!)).text();
        const done = '\n;self.postMessage({ evaluated: performance.now() });';
        const url = URL.createObjectURL(new Blob([src + done], { type: 'text/javascript' }));
        const w = new Worker(url);
        const ms = await new Promise<number>((resolve) => {
          w.onmessage = (e: MessageEvent<{ evaluated?: number }>) => {
            if (typeof e.data.evaluated === 'number') resolve(e.data.evaluated);
          };
        });
        w.terminate();
        return ms;
      }),
    );
    await page.close();
  }
  return median(times);
}

type Mode = 'expanded' | 're-check' | 'auto' | 'fresh view' | 'shown again';

async function main(): Promise<void> {
  const built = spawnSync(process.execPath, ['esbuild.mjs', '--production'], {
    cwd: path.resolve(__dirname, '..'),
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('esbuild.mjs --production failed');
  const { server, origin } = await startServer();
  const browser = await launch();
  let version = 0;
  console.log('graph view: layout (ELK in worker) + SVG render, Chromium, median of 5 runs');
  console.log(
    'size  view         nodes  edges  in DOM   layout ms  ELK runs/cached   render ms   end-to-end ms',
  );
  const rows = new Map<string, number>();
  const startups = new Map<number, Run[]>();
  const parts = new Map<string, { layout: number; render: number }>();
  let page: Page | undefined;
  const sizes: [number, Mode][] = [
    [50, 'expanded'],
    [500, 'expanded'],
    [2000, 'expanded'],
    [8000, 'expanded'],
    [50, 're-check'],
    [500, 're-check'],
    [2000, 're-check'],
    [500, 'auto'],
    [2000, 'auto'],
    [50, 'fresh view'],
    [500, 'fresh view'],
    [2000, 'fresh view'],
    [500, 'shown again'],
    [2000, 'shown again'],
  ];
  for (const [size, mode] of sizes) {
    const graph = graphFor(size);
    const layouts: number[] = [];
    const renders: number[] = [];
    const totals: number[] = [];
    let runs = '';
    let shown = 0;
    const starts: Run[] = [];
    // A fresh view is a new page each time (the worker's JIT and cache are cold): no warm-up.
    // The other views share one page (one worker) and start with a warm-up run.
    const fresh = mode === 'fresh view' || mode === 'shown again';
    /** The host's `graph` message of this graph as document `uri`. */
    const message = (uri: string, reset?: boolean): JsonMessage<HostToGraph> =>
      asJson<HostToGraph>({
        type: 'graph',
        version: ++version,
        uri,
        model: graph.model,
        models: [graph.model],
        graph,
        ...(reset !== undefined && { reset }),
      });
    // What an earlier view of this graph left in its state (layout, viewport, collapse state).
    let state: unknown;
    if (mode === 'shown again') {
      const p = await openView(browser, origin, mode, message(`file:///bench/gen-${size}.dlm`));
      await show(p);
      state = await p.evaluate(
        () =>
          new Promise((resolve) =>
            setTimeout(() => resolve((window as unknown as { __state: unknown }).__state), 400),
          ),
      );
      await p.close();
    }
    if (!fresh) {
      page ??= await openView(browser, origin, mode);
      await page.evaluate((m) => {
        document.body.dataset.autoCollapse = m === 'auto' ? 'on' : 'off';
        document.body.dataset.layoutCache = m === 'expanded' ? 'clear' : 'keep';
      }, mode);
    }
    for (let run = 0; run < (fresh ? 5 : 6); run++) {
      const msg = message(
        mode === 're-check' || mode === 'shown again'
          ? `file:///bench/gen-${size}.dlm`
          : `file:///bench/gen-${size}-${run}.dlm`,
        mode !== 're-check',
      );
      // A fresh page holds the message already (openView).
      const p = fresh ? await openView(browser, origin, mode, msg, state) : page!;
      const r = await show(p, fresh ? undefined : msg);
      shown = await p.evaluate(() => document.querySelectorAll('#graph g.node').length);
      if (fresh) await p.close();
      if ((mode === 'shown again') !== (r.source === 'saved'))
        throw new Error(`${size} ${mode}: laid out by the ${r.source || 'unknown'}`);
      else if (run === 0) continue; // warm-up
      runs = r.runs;
      if (r.startup) starts.push(r);
      layouts.push(r.layout);
      renders.push(r.render);
      totals.push(r.total);
    }
    const nodes = graph.nodes.length;
    rows.set(`${size} ${mode}`, median(totals));
    parts.set(`${size} ${mode}`, { layout: median(layouts), render: median(renders) });
    if (mode === 'fresh view' && starts.length) startups.set(size, starts);
    console.log(
      `${String(size).padEnd(6)}${mode.padEnd(11)}${String(nodes).padStart(7)}${String(graph.edges.length).padStart(7)}${String(shown).padStart(9)}` +
        `${median(layouts).toFixed(1).padStart(12)}${runs.padStart(17)}${median(renders).toFixed(1).padStart(12)}` +
        `${median(totals).toFixed(1).padStart(16)}`,
    );
  }
  // Issue #17's targets, each met or with where its time went (layout in ELK's worker, SVG
  // render, and the rest: messages, the worker's start in a fresh view, the first paint).
  // Each target met, or where its time went, and whether ELK's layout and the SVG render alone
  // (both measured inside the run, not counting messages and paint) already exceed it.
  const verdict = (key: string, target: number, note = ''): string => {
    const total = rows.get(key)!;
    const { layout, render } = parts.get(key)!;
    const split = `ELK layout ${layout.toFixed(0)} ms, render ${render.toFixed(0)} ms, the rest ${(total - layout - render).toFixed(0)} ms`;
    if (total <= target) return `met (${total.toFixed(0)} ms)`;
    const alone =
      layout > target
        ? `; ELK's layout alone exceeds the target${note}`
        : layout + render > target
          ? `; ELK's layout and the render alone take ${(layout + render).toFixed(0)} ms${note}`
          : '; the layout and render alone fit: the rest is what misses';
    return `NOT met: ${total.toFixed(0)} ms (${split})${alone}`;
  };
  console.log(`500 nodes, fully expanded, ≤ 100 ms end to end: ${verdict('500 expanded', 100)}`);
  const warm = parts.get('500 expanded')!;
  console.log(
    `500 nodes in a fresh view (cold worker), ≤ 200 ms: ${verdict(
      '500 fresh view',
      200,
      ` (both run cold: V8 compiles their code as they run; warm they take ${(warm.layout + warm.render).toFixed(0)} ms)`,
    )}`,
  );
  // Where the layout worker's start went in the fresh views (medians, on the page's clock).
  const fresh = startups.get(500) ?? [];
  const med = (f: (r: Run) => number | undefined): string =>
    median(fresh.map(f).filter((x): x is number => x !== undefined)).toFixed(0);
  const idleEval = await idleWorkerEvalMs(browser, origin);
  if (fresh.length)
    console.log(
      `  the worker's start in a fresh view (ms after the page began loading, medians): its script fetched ${med((r) => r.startup!.fetch)} → ${med((r) => r.startup!.fetched)}, ` +
        `worker created ${med((r) => r.startup!.created)}, its script (ELK's code) evaluated ${med((r) => r.startup!.evaluated)}, ` +
        `ELK's first layout (${fresh.filter((r) => r.startup!.elkFirstWarmUp).length} of ${fresh.length} a 5-node warm-up) ${med((r) => r.startup!.elkFirst?.[0])} → ${med((r) => r.startup!.elkFirst?.[1])}; ` +
        `the graph posted at ${med((r) => r.posted)}; ` +
        `in a page with nothing else running, a new worker evaluates the same script in ${idleEval.toFixed(0)} ms` +
        (idleEval > 200 ? ": that alone exceeds the fresh view's target" : ''),
    );
  console.log(
    `500 nodes in a view shown again (the layout its state saved; the worker starts after the paint), ≤ 200 ms: ${verdict('500 shown again', 200)}; 2,000 nodes: ${rows.get('2000 shown again')!.toFixed(0)} ms`,
  );
  console.log(
    `first view of a 500-node model (auto-collapsed, what opening the panel shows): ${rows.get('500 auto')!.toFixed(0)} ms`,
  );
  await page?.close();
  await browser.close();
  server.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
