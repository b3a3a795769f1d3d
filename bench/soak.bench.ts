/**
 * A long editing session against the language server over LSP (stdio), as an editor drives it:
 * a generated 2,000-line file, 20,000 random edits (seeded, so every run edits the same way),
 * each followed by a hover somewhere in the file. The server's resident memory (RSS) and its heap
 * are reported every 1,000 edits, together with the hover latency of that window.
 *
 * Target: a flat memory profile under 200 MB RSS: the heap after a full collection (what the
 * server retains) stays within 5 MB of the first window's, and the server's peak RSS (the
 * kernel's high-water mark, VmHWM, which sees the garbage between collections that a reading
 * after a forced collection misses) stays under 200 MB and grows no more than 10 % in the second
 * half of the session. The server runs with --expose-gc only so that the heap column can be read
 * after a full collection; RSS and its peak are read from /proc.
 *
 * Edits: insert a snippet at a random place (a digit, a space, a newline, `|> ReLU`, a comment,
 * an unbalanced bracket...), undo a pending insertion, or flip a digit in place (an edit that
 * keeps the text's length). At most 24 insertions are pending, so the file stays near its
 * original content, valid at some moments and broken at others.
 *
 *   node esbuild.mjs && node --import tsx bench/soak.bench.ts [edits]   (or: npm run bench:soak)
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
import { LineIndex } from '../src/core';
import { Rng } from '../src/engine/rng';
import { Requests, SERVER_NODE_FLAGS, type ServerStats } from '../src/server/protocol';
import { pct, procStatusBytes, stopServer } from './serverProcess';
import { bigFile } from './gen';

const SERVER = path.resolve(__dirname, '..', 'dist', 'server.js');
const LINES = 2000;
const EDITS = Number(process.argv[2] ?? 20_000);
const WINDOW = 1000;
const MAX_PENDING = 24;
const TARGET_MB = 200;
const SNIPPETS = [' ', '1', '\n', 'x', '|> ReLU ', '// note\n', '(', ')', ', ', 'Dense(8) |> '];

interface Insertion {
  readonly at: number;
  readonly text: string;
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`.padStart(9);

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-soak-'));
  const file = path.join(dir, 'big.dlm');
  let text = bigFile(LINES);
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;

  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--expose-gc', SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: dir,
  });
  const conn = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  conn.onRequest('workspace/configuration', () => [null]);
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.onNotification('textDocument/publishDiagnostics', () => undefined);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `exit ${code ?? signal}`));
  conn.listen();

  const readStatus = (field: 'VmRSS' | 'VmHWM'): number => procStatusBytes(child.pid, field);
  const stats = (gc: boolean): Promise<ServerStats> => conn.sendRequest(Requests.stats, { gc });

  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: {},
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'soak' }],
  });
  conn.sendNotification('initialized', {});
  let version = 1;
  conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'dlm', version, text },
  });

  const rng = new Rng(16);
  const pending: Insertion[] = [];
  let ix = new LineIndex(text);
  const apply = (start: number, end: number, insert: string): void => {
    const range = { start: ix.position(start), end: ix.position(end) };
    text = text.slice(0, start) + insert + text.slice(end);
    ix = new LineIndex(text);
    version++;
    conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range, text: insert }],
    });
  };
  const digits = [...text.matchAll(/\d/g)].map((m) => m.index);

  const rows: {
    edits: number;
    rss: number;
    /** The server's peak RSS since it started (NaN where /proc is missing). */
    hwm: number;
    heap: number;
    heapTotal: number;
    hoverP50: number;
    hoverP99: number;
  }[] = [];
  let hovers: number[] = [];
  let hits = 0;
  const t0 = performance.now();
  for (let e = 1; e <= EDITS && !exited; e++) {
    const r = rng.next();
    if (r < 0.4 && pending.length > 0) {
      // Undo the latest pending insertion: the edits since then were undone or kept the length
      // before it, so it is still where it was made.
      const p = pending.pop()!;
      apply(p.at, p.at + p.text.length, '');
    } else if (r < 0.7 || pending.length >= MAX_PENDING) {
      // Flip a digit that no pending insertion has moved (offsets before every insertion).
      const limit = pending.reduce((m, p) => Math.min(m, p.at), text.length);
      const candidates = digits.filter((d) => d < limit);
      if (candidates.length === 0) continue;
      const at = candidates[rng.int(candidates.length)]!;
      const d = text.charCodeAt(at) - 48;
      apply(at, at + 1, String(d === 9 ? 8 : d + 1));
    } else {
      const at = rng.int(text.length + 1);
      const snippet = SNIPPETS[rng.int(SNIPPETS.length)]!;
      apply(at, at, snippet);
      pending.push({ at, text: snippet });
    }
    const h0 = performance.now();
    const h = await conn.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: ix.position(rng.int(text.length)),
    });
    hovers.push(performance.now() - h0);
    if (h) hits++;
    if (e % WINDOW === 0) {
      // The peak first: the forced collection below empties the heap, and RSS read after it
      // misses the garbage that piled up between the server's own collections.
      const hwm = readStatus('VmHWM');
      const s = await stats(true);
      const rss = readStatus('VmRSS');
      rows.push({
        edits: e,
        rss: Number.isNaN(rss) ? s.rss : rss,
        hwm,
        heap: s.heapUsed,
        heapTotal: s.heapTotal,
        hoverP50: pct(hovers, 50),
        hoverP99: pct(hovers, 99),
      });
      const row = rows[rows.length - 1]!;
      console.log(
        `${String(e).padStart(6)} edits  RSS ${mb(row.rss)}  peak so far ${mb(row.hwm)}  heap after GC ${mb(row.heap)} of ${mb(row.heapTotal).trim()}  ` +
          `hover p50 ${row.hoverP50.toFixed(1)} ms  p99 ${row.hoverP99.toFixed(1)} ms`,
      );
      hovers = [];
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const died = exited; // before the shutdown below, which ends the process on purpose
  await stopServer(conn, child);
  rmSync(dir, { recursive: true, force: true });

  console.log(
    `input: ${LINES}-line generated file; ${EDITS} edits with a hover after each (${hits} hovers with content) in ${seconds.toFixed(0)} s; server ${path.relative(process.cwd(), SERVER)} over stdio`,
  );
  if (died) {
    console.log(`✗ the server died: ${died}`);
    process.exitCode = 1;
    return;
  }
  if (rows.length === 0) return;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const half = Math.ceil(rows.length / 2);
  // The peak: the kernel's high-water mark of the server's RSS (every moment, not only the
  // readings after a forced collection), else the highest reading.
  const peakOf = (rs: typeof rows): number =>
    Math.max(...rs.map((r) => (Number.isNaN(r.hwm) ? r.rss : r.hwm)));
  const peak = peakOf(rows);
  // Flat: what the server retains (heap after a full GC) ends within 5 MB of where the first
  // window left it, and the peak RSS at the end of the session is no more than 10 % above the
  // peak at its middle.
  const heapFlat = last.heap - first.heap < 5 * 1024 * 1024;
  const rssFlat = rows.length < 2 || peak <= peakOf(rows.slice(0, half)) * 1.1;
  const under = peak < TARGET_MB * 1024 * 1024;
  console.log(
    `heap after GC: first window ${mb(first.heap).trim()}, last ${mb(last.heap).trim()}  ${heapFlat ? '✓ flat (< +5 MB)' : '✗ grows'}`,
  );
  console.log(
    `RSS: first reading ${mb(first.rss).trim()}, last ${mb(last.rss).trim()}, peak (the kernel's high-water mark) ${mb(peak).trim()}  ` +
      `${rssFlat ? '✓ flat (peak at the end ≤ peak at the middle + 10 %)' : '✗ grows'}  ${under ? `✓ peak < ${TARGET_MB} MB` : `✗ peak over the target of ${TARGET_MB} MB`}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
