/**
 * Scale curves, not single points: how the check time and the language server's memory grow
 * with the input, at 1×, 4× and 16× the sizes of `npm run bench` and `npm run bench:lsp`.
 *
 *   check time   a full check (parse, elaborate, shapes, accounting, lints; the elaboration memo
 *                cleared) of the generated file of 5,000 lines × k, and of one model of 2,000
 *                layers × k (16× = 32,000 layers is above the 10,000 layer instances a model may
 *                have, docs/limits.md: that row shows the capped check, DLM031)
 *   LSP memory   dist/server.js over stdio with the 5,000 × k line file open: RSS and the heap
 *                after a full collection, once its diagnostics are published
 *
 * Each row shows the growth against 1×: `×4.1` at 4× is linear, `×16` at 16× too. The graph
 * layout's curve is in bench/graph-layout.bench.ts (500, 2,000 and 8,000 nodes).
 *
 *   node esbuild.mjs && node --expose-gc --import tsx bench/scale.bench.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import { clearElaborationMemo } from '../src/language/elaborate';
import { checkText, memoryHost } from '../src/language/program';
import { Requests, SERVER_NODE_FLAGS } from '../src/server/protocol';
import { bigFile, bigModel } from './gen';
import { stopServer } from './serverProcess';

const SERVER = path.resolve(__dirname, '..', 'dist', 'server.js');
const FACTORS = [1, 4, 16];

function medianOf(fn: () => void, runs: number): number {
  fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    clearElaborationMemo();
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

async function serverMemory(text: string): Promise<{ rss: number; heap: number; ms: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-scale-bench-'));
  const file = path.join(dir, 'big.dlm');
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const conn = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  let published: () => void = () => undefined;
  const diagnostics = new Promise<void>((r) => (published = r));
  conn.onNotification('textDocument/publishDiagnostics', () => published());
  conn.onRequest('workspace/configuration', () => [null]);
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  try {
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      capabilities: { workspace: { configuration: true } },
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'scale' }],
    });
    conn.sendNotification('initialized', {});
    const t0 = performance.now();
    conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'dlm', version: 1, text },
    });
    await diagnostics;
    const ms = performance.now() - t0;
    const s = await conn.sendRequest(Requests.stats, { gc: true });
    return { rss: s.rss / 2 ** 20, heap: s.heapUsed / 2 ** 20, ms };
  } finally {
    await stopServer(conn, child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const host = memoryHost({}, '/ws');
  const growth = (x: number, base: number | undefined): string =>
    base ? `×${(x / base).toFixed(1)}`.padStart(7) : ''.padStart(7);

  console.log('check time (median, elaboration memo cleared)');
  console.log('factor  input                          ms  growth');
  let base: number | undefined;
  for (const k of FACTORS) {
    const text = bigFile(5000 * k);
    const ms = medianOf(() => checkText('/ws/big.dlm', text, host), k >= 16 ? 3 : 9);
    base ??= ms;
    console.log(
      `${`${k}×`.padEnd(8)}${`${5000 * k} lines`.padEnd(26)}${ms.toFixed(1).padStart(8)}${growth(ms, base)}`,
    );
  }
  base = undefined;
  for (const k of FACTORS) {
    const text = bigModel(2000 * k);
    const r = checkText('/ws/deep.dlm', text, host);
    const capped = r.diagnostics.some((d) => d.code === 'DLM031');
    const ms = medianOf(() => checkText('/ws/deep.dlm', text, host), k >= 16 ? 3 : 9);
    base ??= ms;
    console.log(
      `${`${k}×`.padEnd(8)}${`${2000 * k} layers${capped ? ' (DLM031 cap)' : ''}`.padEnd(26)}${ms.toFixed(1).padStart(8)}${growth(ms, base)}`,
    );
  }

  console.log('\nlanguage server memory (dist/server.js, one file open, after a full GC)');
  console.log('factor  lines     open → diagnostics ms   RSS MB  growth   heap MB  growth');
  let rss0: number | undefined;
  let heap0: number | undefined;
  for (const k of FACTORS) {
    const m = await serverMemory(bigFile(5000 * k));
    rss0 ??= m.rss;
    heap0 ??= m.heap;
    console.log(
      `${`${k}×`.padEnd(8)}${String(5000 * k).padEnd(10)}${m.ms.toFixed(0).padStart(21)}${m.rss.toFixed(1).padStart(9)}${growth(m.rss, rss0)}${m.heap.toFixed(1).padStart(10)}${growth(m.heap, heap0)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
