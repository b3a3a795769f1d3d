/**
 * The language server answers a keystroke with its diagnostics first (src/server/state.ts,
 * DiagnosticScheduler): a single edit after a quiet moment is checked and published inside the
 * didChange handler, before the requests the editor sends with it (here semantic tokens, which
 * need the same check). The edit and the request are written to the server in one chunk, as an
 * editor's client does on a keystroke. Order only, no timing.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { StreamMessageReader, type Message } from 'vscode-jsonrpc/node';

const SERVER = path.join(import.meta.dirname, '..', '..', 'src', 'server', 'server.ts');

const TEXT = `model Net(x: [B, 4]) -> [B, 2] {
  x |> Dense(8) |> ReLU |> Dense(2)
}
`;

type Any = Message & {
  id?: number | string;
  method?: string;
  params?: { version?: number; diagnostics?: unknown[]; items?: unknown[] };
};

test('a keystroke gets its diagnostics before the requests that came with it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dlm-scheduling-'));
  const file = path.join(dir, 'net.dlm');
  writeFileSync(file, TEXT);
  const uri = pathToFileURL(file).href;
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.on('error', () => undefined);
  const frame = (...msgs: object[]): Buffer =>
    Buffer.concat(
      msgs.map((m) => {
        const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...m }), 'utf8');
        return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
      }),
    );
  const seen: Any[] = [];
  const waiters: { pred: (m: Any) => boolean; resolve: () => void }[] = [];
  const reader = new StreamMessageReader(child.stdout);
  reader.listen((raw) => {
    const m = raw as Any;
    // the server's own requests (settings, capability registration) get plain answers
    if (m.method && m.id !== undefined) {
      const result =
        m.method === 'workspace/configuration' ? (m.params?.items ?? []).map(() => null) : null;
      child.stdin.write(frame({ id: m.id, result }));
      return;
    }
    seen.push(m);
    for (const w of waiters.splice(0))
      if (w.pred(m)) w.resolve();
      else waiters.push(w);
  });
  const until = (pred: (m: Any) => boolean): Promise<void> =>
    seen.some(pred) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }));
  const diagnosticsOf = (version: number) => (m: Any) =>
    m.method === 'textDocument/publishDiagnostics' && m.params?.version === version;
  try {
    child.stdin.write(
      frame({
        id: 1,
        method: 'initialize',
        params: {
          processId: process.pid,
          rootUri: pathToFileURL(dir).href,
          capabilities: { workspace: { configuration: true } },
          workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'scheduling' }],
        },
      }),
    );
    await until((m) => m.id === 1);
    child.stdin.write(
      frame(
        { method: 'initialized', params: {} },
        {
          method: 'textDocument/didOpen',
          params: { textDocument: { uri, languageId: 'dlm', version: 1, text: TEXT } },
        },
      ),
    );
    await until(diagnosticsOf(1));
    // a quiet moment after the open (longer than the server's debounce window)
    await new Promise((r) => setTimeout(r, 400));
    const start = { line: 0, character: 29 }; // `[B, 2]` → `[B, 27]`: the output no longer fits
    child.stdin.write(
      frame(
        {
          method: 'textDocument/didChange',
          params: {
            textDocument: { uri, version: 2 },
            contentChanges: [{ range: { start, end: start }, text: '7' }],
          },
        },
        { id: 2, method: 'textDocument/semanticTokens/full', params: { textDocument: { uri } } },
      ),
    );
    await Promise.all([until(diagnosticsOf(2)), until((m) => m.id === 2)]);
    const diagnostics = seen.findIndex(diagnosticsOf(2));
    const tokens = seen.findIndex((m) => m.id === 2);
    assert.ok(
      diagnostics < tokens,
      `the semantic tokens were answered before the diagnostics of the edit: ${seen
        .map((m) => m.method ?? `response ${m.id}`)
        .join(', ')}`,
    );
    assert.ok((seen[diagnostics]!.params?.diagnostics ?? []).length > 0, 'the edit is an error');
  } finally {
    reader.dispose();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
