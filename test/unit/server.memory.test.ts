/**
 * A long editing session must not grow the language server's heap: the real server over stdio,
 * edits that keep the text's length (`64` → `65` → `64`, the case that leaked a whole check
 * result per edit), each followed by a hover, and the heap measured after a forced collection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bigFile } from '../../bench/gen';
import { StdioServer } from './helpers/stdioServer';

const LINES = 1000;
const WARMUP = 30;
const EDITS = 300;
const MB = 1024 * 1024;

describe('language server memory over an editing session (stdio)', () => {
  let dir: string;
  let server: StdioServer;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dlm-mem-'));
    server = await StdioServer.start({ root: dir, cwd: dir, nodeFlags: ['--expose-gc'] });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('same-length edits with hovers keep the retained heap bounded', async () => {
    const file = path.join(dir, 'big.dlm');
    const text = bigFile(LINES);
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    await server.open(file, text);
    const lines = text.split('\n');
    const targets = lines
      .map((l, i) => (l.includes('|> Dense(64)') ? i : -1))
      .filter((i) => i >= 0);
    assert.ok(targets.length > 20);

    let hovered = 0;
    const editAndHover = async (e: number): Promise<void> => {
      const line = targets[e % targets.length]!;
      const ch = lines[line]!.indexOf('Dense(') + 'Dense('.length;
      const now = lines[line]!.slice(ch, ch + 2);
      const next = now === '64' ? '65' : '64';
      server.change(
        file,
        { start: { line, character: ch }, end: { line, character: ch + 2 } },
        next,
      );
      lines[line] = lines[line]!.slice(0, ch) + next + lines[line]!.slice(ch + 2);
      const h = await server.request<{ contents: { value: string } } | null>('textDocument/hover', {
        textDocument: { uri },
        position: { line, character: ch - 3 },
      });
      if (h) hovered++;
    };

    for (let e = 0; e < WARMUP; e++) await editAndHover(e);
    const before = await server.stats(true);
    assert.equal(before.gc, true, 'the server runs with --expose-gc and collected');
    for (let e = WARMUP; e < WARMUP + EDITS; e++) await editAndHover(e);
    const afterStats = await server.stats(true);
    assert.equal(hovered, WARMUP + EDITS, 'every hover answered');

    // One check result of this file is a few MB; a leak of one per edit grows by ~100 MB here.
    const growth = afterStats.heapUsed - before.heapUsed;
    assert.ok(
      growth < 12 * MB,
      `heap after GC grew by ${(growth / MB).toFixed(1)} MB over ${EDITS} edits ` +
        `(${(before.heapUsed / MB).toFixed(1)} → ${(afterStats.heapUsed / MB).toFixed(1)} MB)`,
    );
    assert.ok(server.alive);
  });
});
