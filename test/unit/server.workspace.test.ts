/**
 * What the language server reads from disk, over stdio: with no folder open only the document's
 * own folder counts and only open documents are read (not the server's current directory); and
 * workspace symbols skip files over the indexing size cap (docs/limits.md).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { StdioServer } from './helpers/stdioServer';

const MODEL = (name: string): string =>
  `model ${name}(x: [B, 4]) -> [B, 2] {\n  x |> Dense(2)\n}\n`;

describe('no folder open (stdio)', () => {
  let cwd: string;
  let server: StdioServer;
  before(async () => {
    // The server starts in `cwd`, which holds files the user never opened.
    cwd = mkdtempSync(path.join(tmpdir(), 'dlm-nofolder-'));
    mkdirSync(path.join(cwd, 'proj'));
    writeFileSync(path.join(cwd, 'secret.dlm'), 'this is not dlm at all {{{\n');
    writeFileSync(path.join(cwd, 'proj', 'lib.dlm'), 'block Lib(x) {\n  x |> ReLU\n}\n');
    server = await StdioServer.start({ cwd });
  });
  after(async () => {
    await server.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  it("imports reach neither the server's directory nor unopened files", async () => {
    const main = path.join(cwd, 'proj', 'main.dlm');
    const text = `import "../secret.dlm"\nimport "lib.dlm"\n${MODEL('M')}`;
    const d = await server.open(main, text);
    const messages = d.diagnostics.map((x) => `${x.code} ${x.message}`);
    assert.ok(
      messages.some((m) => /DLM018 '\.\.\/secret\.dlm' resolves outside the workspace/.test(m)),
      messages.join('\n'),
    );
    assert.ok(!messages.some((m) => /syntax error/.test(m)), messages.join('\n'));
    assert.ok(
      messages.some((m) => /DLM018 cannot find 'lib\.dlm'/.test(m)),
      `an unopened file next to it is not read: ${messages.join('\n')}`,
    );
  });

  it('an open document of the same folder is importable', async () => {
    const lib = path.join(cwd, 'proj', 'lib2.dlm');
    await server.open(lib, 'block Lib2(x) {\n  x |> ReLU\n}\n');
    const main = path.join(cwd, 'proj', 'uses.dlm');
    const d = await server.open(
      main,
      `import "lib2.dlm"\n${MODEL('U').replace('|> Dense(2)', '|> Lib2 |> Dense(2)')}`,
    );
    assert.deepEqual(
      d.diagnostics.map((x) => `${x.code} ${x.message}`),
      [],
    );
  });

  it('workspace symbols list open documents only', async () => {
    writeFileSync(path.join(cwd, 'proj', 'ondisk.dlm'), MODEL('OnDisk'));
    const syms = await server.request<{ name: string }[]>('workspace/symbol', { query: '' });
    const names = syms.map((s) => s.name);
    assert.ok(names.includes('Lib2'), names.join(', '));
    assert.ok(!names.includes('OnDisk'), names.join(', '));
    assert.ok(!names.includes('Lib'), names.join(', '));
  });
});

describe('workspace symbols: file-size cap (stdio)', () => {
  let root: string;
  let server: StdioServer;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'dlm-wssize-'));
    writeFileSync(path.join(root, 'small.dlm'), MODEL('Small'));
    // Over the 2 MB cap: a model, then a long comment.
    writeFileSync(
      path.join(root, 'huge.dlm'),
      MODEL('Huge') + `// ${'x'.repeat(3 * 1024 * 1024)}\n`,
    );
    server = await StdioServer.start({ root, cwd: root });
  });
  after(async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('skips files over the cap with a logged note, and indexes them once open', async () => {
    const syms = await server.request<{ name: string }[]>('workspace/symbol', { query: '' });
    const names = syms.map((s) => s.name);
    assert.ok(names.includes('Small'), names.join(', '));
    assert.ok(!names.includes('Huge'), names.join(', '));
    assert.ok(
      server.logs.some((l) => /skipped .*huge\.dlm \(3\.0 MB; files over 2 MB/.test(l)),
      server.logs.join('\n'),
    );
    const huge = path.join(root, 'huge.dlm');
    await server.open(huge, MODEL('Huge'));
    const again = await server.request<{ name: string; location: { uri: string } }[]>(
      'workspace/symbol',
      { query: 'Huge' },
    );
    assert.ok(again.some((s) => s.name === 'Huge' && s.location.uri === pathToFileURL(huge).href));
  });
});
