/**
 * The language server over LSP (stdio), as an editor drives it, on a generated 5,000-line file:
 * p50/p99 of hover, completion and inlay hints over many positions, the time from an edit
 * (didChange) to its publishDiagnostics, and the server's memory.
 * Targets: hover p99 ≤ 5 ms (issue #17); edit-to-diagnostics < 100 ms; server RSS < 150 MB.
 * The server runs with its own Node flags (SERVER_NODE_FLAGS: a 4 MB young generation, for its
 * memory); `--default-heap` runs it with Node's defaults, to measure what that flag costs.
 * The edits change a width inside one model. After the memory reading, an extra row (no target)
 * times edits inside the block that every model uses, which re-elaborate all 200 models.
 * Peer, measured in the same run: the raw `checkText` of the same file in this process; the
 * ratio edit-to-diagnostics / raw check shows what the server adds (or saves, when incremental).
 *
 *   node esbuild.mjs && node --import tsx bench/lsp.bench.ts [--default-heap]   (or: npm run bench:lsp)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import { LineIndex } from '../src/core';
import { checkText, memoryHost } from '../src/language/program';
import { Requests, SERVER_NODE_FLAGS } from '../src/server/protocol';
import { pct, procStatusBytes, stopServer } from './serverProcess';
import { bigFile } from './gen';

const SERVER = path.resolve(__dirname, '..', 'dist', 'server.js');
const LINES = 5000;
const EDITS = 30;
const BLOCK_EDITS = 20;

const fmt = (x: number): string => x.toFixed(2).padStart(7);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-lsp-bench-'));
  const file = path.join(dir, 'big.dlm');
  let text = bigFile(LINES);
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;

  const flags = process.argv.includes('--default-heap') ? [] : SERVER_NODE_FLAGS;
  // The server's trace (src/server/perfTrace.ts): its garbage collections, for the hover tail.
  const traceFile = path.join(dir, 'trace.jsonl');
  const child = spawn(process.execPath, [...flags, SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, DLM_TRACE_FILE: traceFile },
  });
  const conn = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const published: { version?: number; at: number; count: number }[] = [];
  const waiters: { version: number; resolve: (at: number) => void }[] = [];
  conn.onNotification(
    'textDocument/publishDiagnostics',
    (p: { uri: string; version?: number; diagnostics: unknown[] }) => {
      const at = performance.now();
      published.push({ version: p.version, at, count: p.diagnostics.length });
      for (const w of waiters.splice(0))
        if (p.version !== undefined && p.version >= w.version) w.resolve(at);
        else waiters.push(w);
    },
  );
  conn.onRequest('workspace/configuration', () => [null]);
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  const diagnosticsFor = (version: number): Promise<number> =>
    new Promise((resolve) => {
      const done = published.find((p) => p.version !== undefined && p.version >= version);
      if (done) resolve(done.at);
      else waiters.push({ version, resolve });
    });

  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: { workspace: { configuration: true } },
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
  });
  conn.sendNotification('initialized', {});

  let version = 1;
  const tOpen = performance.now();
  conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'dlm', version, text },
  });
  const firstAt = await diagnosticsFor(version);
  const openMs = firstAt - tOpen;

  // Positions: every layer name, every binding, every model name (spread over the file).
  const ix = new LineIndex(text);
  const positions: { line: number; character: number }[] = [];
  const re = /\b(Conv2d|BatchNorm2d|ReLU|Dense|Res|GlobalAvgPool|Dropout|stem|M\d+)\b/g;
  for (let m = re.exec(text); m; m = re.exec(text)) positions.push(ix.position(m.index + 1));
  const step = Math.max(1, Math.floor(positions.length / 600));
  const hoverPos = positions.filter((_, i) => i % step === 0);

  const time = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const hovers: number[] = [];
  // The bench's own collections (the client's side of the round trip).
  const clientGcs: { t: number; ms: number }[] = [];
  const gcObserver = new PerformanceObserver((l) => {
    for (const e of l.getEntries())
      clientGcs.push({ t: performance.timeOrigin + e.startTime, ms: e.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  /** Each hover's [start, end] as epoch ms, to match against the server's collections. */
  const hoverWindows: [number, number][] = [];
  let hoverHits = 0;
  for (const p of hoverPos) {
    const start = performance.timeOrigin + performance.now();
    hovers.push(
      await time(async () => {
        const h = await conn.sendRequest('textDocument/hover', {
          textDocument: { uri },
          position: p,
        });
        if (h) hoverHits++;
      }),
    );
    hoverWindows.push([start, performance.timeOrigin + performance.now()]);
  }
  gcObserver.disconnect();

  // Completion after `|> ` at the start of each pipeline line (layer names), and inside calls.
  const completions: number[] = [];
  let items = 0;
  const lines = text.split('\n');
  const compPos: { line: number; character: number }[] = [];
  lines.forEach((l, i) => {
    const k = l.indexOf('|> ');
    if (k >= 0) compPos.push({ line: i, character: k + 3 });
    const c = l.indexOf('Conv2d(');
    if (c >= 0) compPos.push({ line: i, character: c + 7 });
  });
  const cstep = Math.max(1, Math.floor(compPos.length / 400));
  for (const p of compPos.filter((_, i) => i % cstep === 0))
    completions.push(
      await time(async () => {
        const r = (await conn.sendRequest('textDocument/completion', {
          textDocument: { uri },
          position: p,
        })) as unknown[] | { items: unknown[] } | null;
        items += Array.isArray(r) ? r.length : (r?.items.length ?? 0);
      }),
    );

  // Inlay hints for a 60-line viewport at 200 scroll positions.
  const inlays: number[] = [];
  let hints = 0;
  for (let i = 0; i < 200; i++) {
    const start = Math.floor((i / 200) * (LINES - 60));
    inlays.push(
      await time(async () => {
        const r = (await conn.sendRequest('textDocument/inlayHint', {
          textDocument: { uri },
          range: { start: { line: start, character: 0 }, end: { line: start + 60, character: 0 } },
        })) as unknown[];
        hints += r.length;
      }),
    );
  }

  // Edit → diagnostics: change one width inside a model (a real re-check), spaced out so each
  // edit is a single keystroke after a pause (a burst is debounced by design).
  const edits: number[] = [];
  const modelLines = lines
    .map((l, i) => (l.includes('|> Dense(64)') ? i : -1))
    .filter((i) => i >= 0);
  for (let e = 0; e < EDITS; e++) {
    const line = modelLines[Math.floor((e / EDITS) * modelLines.length)]!;
    const ch = lines[line]!.indexOf('64');
    const newText = e % 2 === 0 ? '65' : '64';
    version++;
    const t0 = performance.now();
    conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [
        {
          range: { start: { line, character: ch }, end: { line, character: ch + 2 } },
          text: newText,
        },
      ],
    });
    const at = await diagnosticsFor(version);
    edits.push(at - t0);
    lines[line] = lines[line]!.slice(0, ch) + newText + lines[line]!.slice(ch + 2);
    await new Promise((r) => setTimeout(r, 200));
  }
  text = lines.join('\n');

  const readStatus = (field: 'VmRSS' | 'VmHWM'): number => procStatusBytes(child.pid, field);
  const stats = await conn.sendRequest(Requests.stats, {});
  const procRss = readStatus('VmRSS');
  // The peak over everything so far (open, hovers, completions, hints, edits): what the user's
  // machine had to give the server, garbage between collections included.
  const peakRss = readStatus('VmHWM');

  // Extra, after the memory reading above: edits inside the block every model uses (each one
  // re-elaborates all 200 models), alternately inserting and removing a space.
  const blockEdits: number[] = [];
  const blockLine = lines.findIndex((l) => l.includes('stride=stride, padding=1'));
  const blockCh = lines[blockLine]!.indexOf('padding=1') + 'padding=1'.length;
  for (let e = 0; e < BLOCK_EDITS; e++) {
    version++;
    const insert = e % 2 === 0;
    const t0 = performance.now();
    conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [
        {
          range: {
            start: { line: blockLine, character: blockCh },
            end: { line: blockLine, character: blockCh + (insert ? 0 : 1) },
          },
          text: insert ? ' ' : '',
        },
      ],
    });
    blockEdits.push((await diagnosticsFor(version)) - t0);
    await new Promise((r) => setTimeout(r, 200));
  }
  const statsAfterBlock = await conn.sendRequest(Requests.stats, {});
  const peakAfterBlock = readStatus('VmHWM');

  // Peer: the raw check of the same text in this process.
  const host = memoryHost({ [file]: text }, dir);
  const raw: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    checkText(file, text, host);
    raw.push(performance.now() - t0);
  }
  const rawP50 = pct(raw.slice(2), 50);

  // Read last: the server reports a collection shortly after it happened.
  const events = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"server.gc"') || l.includes('"server.hover'))
    .map((l) => JSON.parse(l) as { t: number; e: string; d?: string });
  const gcs = events.filter((e) => e.e === 'server.gc').map((e) => ({ t: e.t, ms: Number(e.d) }));
  /**
   * Hover i's round trip in three legs (ms): the request's way in (sent → the server's handler
   * starts), the server's own time (handler start → answer), and the way out (answer → the
   * response received). Each process stamps epoch time, so a leg is good to a fraction of a ms.
   */
  const legs = (i: number): { into: number; server: number; out: number } => {
    const [a, b] = hoverWindows[i]!;
    const start = events.find((e) => e.e === 'server.hover' && e.t >= a && e.t <= b);
    const done = events.find((e) => e.e === 'server.hover.done' && e.t >= a && e.t <= b);
    return start && done
      ? { into: start.t - a, server: done.t - start.t, out: b - done.t }
      : { into: NaN, server: NaN, out: NaN };
  };
  const serverMs = (i: number): number => legs(i).server;
  const clientGcIn = (i: number): number =>
    clientGcs
      .filter((g) => g.t >= hoverWindows[i]![0] && g.t <= hoverWindows[i]![1])
      .reduce((a, g) => a + g.ms, 0);
  /** The server's collection pauses that started inside hover i. */
  const gcIn = (i: number): number =>
    gcs
      .filter((g) => g.t >= hoverWindows[i]![0] && g.t <= hoverWindows[i]![1])
      .reduce((a, g) => a + g.ms, 0);
  await stopServer(conn, child);
  rmSync(dir, { recursive: true, force: true });

  const row = (name: string, xs: number[], target?: number, extra = ''): void =>
    console.log(
      `${name.padEnd(34)} n=${String(xs.length).padStart(4)}  p50 ${fmt(pct(xs, 50))} ms  p99 ${fmt(pct(xs, 99))} ms  max ${fmt(Math.max(...xs))} ms` +
        (target !== undefined
          ? pct(xs, 99) <= target
            ? `  ✓ ≤ ${target} ms`
            : `  ✗ target ${target} ms`
          : '') +
        extra,
    );
  console.log(
    `input: ${LINES}-line generated file (${lines.length} lines, ${(text.length / 1024).toFixed(0)} KiB); server ${path.relative(process.cwd(), SERVER)} over stdio, node flags: ${process.argv.includes('--default-heap') ? "Node's defaults (--default-heap)" : SERVER_NODE_FLAGS.join(' ')}`,
  );
  console.log(`open → first diagnostics            ${openMs.toFixed(1)} ms`);
  row('hover', hovers, 5, `  (${hoverHits} with content)`);
  {
    // The profile behind the tail: which slow hovers had a collection pause in them.
    const all = hovers.map((ms, i) => ({ i, ms, gc: gcIn(i), server: serverMs(i) }));
    const slow = all.filter((h) => h.ms > 5);
    const withGc = slow.filter((h) => h.gc > 0);
    const clean = all.filter((h) => h.gc === 0).map((h) => h.ms);
    const server = all.map((h) => h.server).filter((x) => Number.isFinite(x));
    console.log(
      `  hover tail: ${slow.length} of ${hovers.length} hovers over 5 ms; ${withGc.length} of them had a GC pause in the server; ` +
        `hovers with no GC in them: p99 ${fmt(pct(clean, 99))} ms (n=${clean.length}); ` +
        `the server's own time per hover (handler start → answer): p50 ${fmt(pct(server, 50))} ms, p99 ${fmt(pct(server, 99))} ms`,
    );
    const later = hovers.slice(10);
    console.log(
      `  the first hovers pay first-use costs (the file's symbol index and other lookups, built by ` +
        `the first request on a new check result, which in VS Code is the inlay hints or semantic ` +
        `tokens request; V8 compiling each kind of hover): p99 of the hovers after the first 10: ${fmt(pct(later, 99))} ms ` +
        `(${pct(later, 99) <= 5 ? '✓' : '✗'} ≤ 5 ms, n=${later.length})`,
    );
    console.log(
      `  slow hovers (#n in order: round trip = in + server + out / GC in the server / GC in the client, ms): ${slow
        .map((h) => {
          const l = legs(h.i);
          const f = (x: number): string => x.toFixed(1);
          return `#${h.i + 1}: ${f(h.ms)} = ${f(l.into)} + ${f(l.server)} + ${f(l.out)} / ${f(h.gc)} / ${f(clientGcIn(h.i))}`;
        })
        .join(', ')}`,
    );
  }
  row(
    'completion',
    completions,
    undefined,
    `  (${(items / completions.length).toFixed(0)} items avg)`,
  );
  row(
    'inlay hints (60-line viewport)',
    inlays,
    undefined,
    `  (${(hints / inlays.length).toFixed(0)} hints avg)`,
  );
  row('edit → publishDiagnostics', edits, 100);
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `server memory: RSS ${mb(stats.rss)} (/proc ${Number.isNaN(procRss) ? 'n/a' : mb(procRss)}), peak ${Number.isNaN(peakRss) ? 'n/a' : mb(peakRss)}, heap ${mb(stats.heapUsed)}${stats.heapTotal !== undefined ? ` of ${mb(stats.heapTotal)}` : ''}  ` +
      (() => {
        const worst = Number.isNaN(peakRss) ? stats.rss : peakRss;
        return worst < 150 * 1024 * 1024 ? '✓ peak < 150 MB' : '✗ peak over the 150 MB target';
      })(),
  );
  row(
    'extra: edit in the shared block → diag.',
    blockEdits,
    undefined,
    `  (all 200 models re-elaborated; in order: ${blockEdits.map((x) => x.toFixed(0)).join(', ')} ms)`,
  );
  console.log(
    `extra: server RSS after the block edits ${mb(statsAfterBlock.rss)}, peak ${Number.isNaN(peakAfterBlock) ? 'n/a' : mb(peakAfterBlock)}`,
  );
  console.log(
    `peer: raw checkText of the same file p50 ${rawP50.toFixed(1)} ms; edit→diagnostics p50 / raw check = ${(pct(edits, 50) / rawP50).toFixed(2)}×`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
