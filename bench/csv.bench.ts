/**
 * CSV loading: time and peak memory of reading a generated CSV (64 float features and an integer
 * label per row) into the trainer's typed arrays, with our streaming reader (readCsvFile) and,
 * in the same run, the peer: csv-parse's stream API (the Node.js `stream.Transform` parser) on a
 * file read stream, filling the same Float32Array/Int32Array. Each reader runs in its own child
 * process so that its peak RSS is its own. Prints ms, MB/s, peak RSS and the ratio ours/peer.
 *
 *   node --import tsx bench/csv.bench.ts [MB]      (default 100 MB; the file goes to the OS temp dir)
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse';
import { readCsvFile } from '../src/engine/datasets/csv';

const FEATURES = 64;

/** A deterministic CSV of about `mb` megabytes. */
function generate(file: string, mb: number): void {
  const header = [...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'label'].join(',') + '\n';
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const parts: string[] = [header];
  let size = header.length;
  const rows: string[] = [];
  while (size < mb * 1e6) {
    const fields = Array.from({ length: FEATURES }, () => rnd().toFixed(5));
    fields.push(String(Math.floor((rnd() + 1) * 5)));
    const line = fields.join(',') + '\n';
    rows.push(line);
    size += line.length;
    if (rows.length === 10_000) {
      parts.push(rows.join(''));
      rows.length = 0;
    }
  }
  parts.push(rows.join(''));
  writeFileSync(file, parts.join(''));
}

/** csv-parse's stream into the same typed arrays as readCsvFile (features, label ids). */
async function peer(file: string): Promise<number> {
  let x = new Float32Array(1 << 20);
  let y = new Int32Array(1 << 14);
  let n = 0;
  let first = true;
  const parser = createReadStream(file).pipe(parse({ relax_column_count: false }));
  for await (const rec of parser as AsyncIterable<string[]>) {
    if (first) {
      first = false;
      continue;
    }
    if ((n + 1) * FEATURES > x.length) {
      const g = new Float32Array(x.length * 2);
      g.set(x);
      x = g;
      const h = new Int32Array(y.length * 2);
      h.set(y);
      y = h;
    }
    for (let j = 0; j < FEATURES; j++) {
      const v = Number(rec[j]);
      if (!Number.isFinite(v)) throw new Error(`line ${n + 2}: not a number`);
      x[n * FEATURES + j] = v;
    }
    y[n] = Number(rec[FEATURES]);
    n++;
  }
  return n;
}

async function child(which: string, file: string): Promise<void> {
  const t0 = performance.now();
  const n =
    which === 'ours' ? readCsvFile(file, 'bench.csv', { categorical: true }).n : await peer(file);
  const ms = performance.now() - t0;
  const rss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ n, ms, rss }) + '\n');
}

function run(which: string, file: string): { n: number; ms: number; rss: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', which, file], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${which} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { n: number; ms: number; rss: number };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2]!);
  const mb = Number(args[0] ?? 100);
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-csv-bench-'));
  const file = path.join(dir, 'bench.csv');
  try {
    generate(file, mb);
    const bytes = statSync(file).size;
    const fmt = (r: { n: number; ms: number; rss: number }) =>
      `${r.ms.toFixed(0).padStart(7)} ms  ${((bytes / 1e6 / r.ms) * 1000).toFixed(0).padStart(4)} MB/s  peak RSS ${(r.rss / 1e6).toFixed(0).padStart(5)} MB  (${r.n.toLocaleString('en-US')} rows)`;
    console.log(`CSV ${(bytes / 1e6).toFixed(0)} MB, ${FEATURES} features + an integer label`);
    // alternate the order over 3 rounds; report the best time and its peak RSS
    const best: Record<string, { n: number; ms: number; rss: number }> = {};
    for (let round = 0; round < 3; round++)
      for (const which of round % 2 ? ['peer', 'ours'] : ['ours', 'peer']) {
        const r = run(which, file);
        if (!best[which] || r.ms < best[which].ms) best[which] = r;
      }
    console.log(`ours (readCsvFile)     ${fmt(best.ours!)}`);
    console.log(`peer (csv-parse 7)     ${fmt(best.peer!)}`);
    console.log(
      `ratio ours/peer: time ${(best.ours!.ms / best.peer!.ms).toFixed(2)}, peak RSS ${(best.ours!.rss / best.peer!.rss).toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
