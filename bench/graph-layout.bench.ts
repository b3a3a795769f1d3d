/**
 * Graph view layout + render time in Chromium (the real bundle, the real worker), for generated
 * residual CNNs of about 50, 500 and 2,000 layer nodes. Prints ms per size: ELK layout in the
 * worker, SVG render on the UI thread, and the end-to-end time from the `graph` message to the
 * rendered scene (median of 5 runs after a warm-up). Target: 500 nodes under 300 ms.
 *
 *   node esbuild.mjs && node --import tsx bench/graph-layout.bench.ts
 */
import { checkText } from '../src/language/program';
import { buildGraphData } from '../src/views/graphData';
import type { GraphData, HostToGraph } from '../webview/protocol';
import { launch, startServer } from '../test/webview/harness';

/** A residual CNN with about `nodes` layer nodes: stem, `k` Res blocks (7 layers each), head. */
function residualModel(nodes: number): string {
  const k = Math.max(1, Math.round((nodes - 4) / 7));
  return [
    'block Res(c: int)(x: [B, C, H, W]) {',
    '  h = x |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU',
    '    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d',
    '  (h, x) |> Add |> ReLU',
    '}',
    'model Gen(x: [B, 3, H, W]) -> [B, 10] {',
    '  x |> Conv2d(16, 3, padding=1)',
    `    |> repeat ${k} Res(16)`,
    '    |> AdaptiveAvgPool2d(1) |> Flatten |> Dense(10)',
    '}',
    '',
  ].join('\n');
}

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

async function main(): Promise<void> {
  const { server, origin } = await startServer();
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${origin}/harness.html?theme=dark`);
  await page.waitForFunction(() =>
    (window as unknown as { __posted?: { type: string }[] }).__posted?.some(
      (m) => m.type === 'ready',
    ),
  );
  let version = 0;
  console.log('graph view: layout (ELK in worker) + SVG render, Chromium, median of 5 runs');
  console.log('size  view       nodes  edges  visible   layout ms   render ms   end-to-end ms');
  const rows: { size: number; total: number }[] = [];
  for (const [size, mode] of [
    [50, 'expanded'],
    [500, 'expanded'],
    [2000, 'expanded'],
    [500, 'auto'],
    [2000, 'auto'],
  ] as const) {
    await page.evaluate((m) => {
      document.body.dataset.autoCollapse = m === 'auto' ? 'on' : 'off';
    }, mode);
    const graph = graphFor(size);
    const layouts: number[] = [];
    const renders: number[] = [];
    const totals: number[] = [];
    for (let run = 0; run < 6; run++) {
      const msg: HostToGraph = {
        type: 'graph',
        version: ++version,
        uri: `file:///bench/gen-${size}-${run}.dlm`,
        model: graph.model,
        models: [graph.model],
        graph,
        reset: true,
      };
      const r = await page.evaluate(
        (m) =>
          new Promise<{ total: number; layout: number; render: number }>((resolve) => {
            const before = Number(document.body.dataset.layoutCount ?? '0');
            const t0 = performance.now();
            const obs = new MutationObserver(() => {
              if (Number(document.body.dataset.layoutCount ?? '0') > before) {
                obs.disconnect();
                // Wait for the frame to be painted.
                requestAnimationFrame(() =>
                  resolve({
                    total: performance.now() - t0,
                    layout: Number(document.body.dataset.layoutMs),
                    render: Number(document.body.dataset.renderMs),
                  }),
                );
              }
            });
            obs.observe(document.body, { attributes: true });
            window.postMessage(m, '*');
          }),
        msg,
      );
      if (run === 0) continue; // warm-up
      layouts.push(r.layout);
      renders.push(r.render);
      totals.push(r.total);
    }
    const nodes = graph.nodes.length;
    const shown = await page.evaluate(() => document.querySelectorAll('#graph g.node').length);
    rows.push({ size: nodes, total: median(totals) });
    console.log(
      `${String(size).padEnd(6)}${mode.padEnd(9)}${String(nodes).padStart(7)}${String(graph.edges.length).padStart(7)}${String(shown).padStart(9)}` +
        `${median(layouts).toFixed(1).padStart(12)}${median(renders).toFixed(1).padStart(12)}` +
        `${median(totals).toFixed(1).padStart(16)}`,
    );
  }
  const r500 = rows[1]!;
  console.log(
    `500-node target (< 300 ms end-to-end, fully expanded): ${r500.total < 300 ? 'met' : 'NOT met'} (${r500.total.toFixed(0)} ms); ` +
      `first view of a 500-node model (auto-collapsed): ${rows[3]!.total.toFixed(0)} ms`,
  );
  await browser.close();
  server.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
