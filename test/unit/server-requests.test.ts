/**
 * The custom requests of src/server/protocol.ts, declared once and served by the real language
 * server (src/server/server.ts over stdio): every entry of `Requests` is answered with its
 * declared result type, the graph follows the declared `dlm.shapeStyle` and `dlm.complexity`
 * settings, and the train sections carry the data files their dataset reads.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { DEFAULT_SETTINGS, Requests, type DlmSettings } from '../../src/server/protocol';
import { onnxFixture } from './helpers/onnx-fixtures';

const SERVER = path.join(import.meta.dirname, '..', '..', 'src', 'server', 'server.ts');

const TEXT = `data digits = Idx(images="data/img.gz", labels="data/lbl.gz")

model Net(x: [B, 1, 28, 28]) -> [B, 10] {
  x |> Conv2d(8, 3, padding=1) |> ReLU() |> Flatten() |> Dense(10)
}

model Other(x: [B, 4]) -> [B, 2] {
  x |> Dense(2)
}

train Net {
  data = digits
  loss = CrossEntropy()
  optimizer = Adam(lr=0.001)
  epochs = 2
  batch = 32
}
`;

let dir: string;
let child: ChildProcess;
let conn: MessageConnection;
let uri: string;
let settings: DlmSettings = DEFAULT_SETTINGS;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dlm-requests-'));
  const file = path.join(dir, 'net.dlm');
  writeFileSync(file, TEXT);
  uri = pathToFileURL(file).href;
  child = spawn(process.execPath, ['--import', 'tsx', SERVER, '--stdio'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  conn = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) =>
    p.items.map(() => settings),
  );
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.onNotification('textDocument/publishDiagnostics', () => undefined);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    capabilities: { workspace: { configuration: true } },
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'requests' }],
  });
  conn.sendNotification('initialized', {});
  conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'dlm', version: 1, text: TEXT },
  });
});

after(async () => {
  await conn.sendRequest('shutdown').catch(() => undefined);
  conn.sendNotification('exit');
  conn.dispose();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('Requests: one typed entry per custom method, all under dlm/', () => {
  const methods = Object.values(Requests).map((r) => r.method);
  assert.deepEqual(methods, [
    'dlm/summary',
    'dlm/checkResult',
    'dlm/graph',
    'dlm/train',
    'dlm/stats',
    'dlm/diff',
    'dlm/onnxGraph',
    'dlm/onnxImport',
    'dlm/layerDoc',
  ]);
  assert.equal(new Set(methods).size, methods.length);
  for (const r of Object.values(Requests)) assert.equal(r.numberOfParams, 1, r.method);
});

test('the server answers every request of the table', async () => {
  const summary = await conn.sendRequest(Requests.summary, { uri, model: 'Net' });
  assert.equal(summary?.model, 'Net');
  assert.deepEqual(summary?.models, ['Net', 'Other']);
  assert.equal(summary?.summary?.model, 'Net');

  const check = await conn.sendRequest(Requests.checkResult, { uri });
  assert.deepEqual(
    check?.models.map((m) => [m.name, m.ok, m.graph?.model]),
    [
      ['Net', true, 'Net'],
      ['Other', true, 'Other'],
    ],
  );
  assert.equal(check?.errors, 0);

  const graph = await conn.sendRequest(Requests.graph, { uri, model: 'Other' });
  assert.deepEqual(graph?.models, ['Net', 'Other']);
  // the document URI of each file, which the graph panel opens (decision 0024)
  assert.deepEqual(graph?.fileUris, [uri]);
  assert.equal(graph?.model?.name, 'Other');
  assert.equal(graph?.model?.errors, 0);
  assert.ok(graph?.model?.graph?.nodes.some((n) => n.type === 'Dense'));

  const train = await conn.sendRequest(Requests.train, { uri });
  assert.deepEqual(train?.models, ['Net', 'Other']);
  assert.equal(train?.trains.length, 1);
  assert.equal(train?.trains[0]?.model, 'Net');
  assert.equal(train?.trains[0]?.epochs, 2);
  assert.deepEqual(train?.trains[0]?.dataFiles, ['data/img.gz', 'data/lbl.gz']);

  const stats = await conn.sendRequest(Requests.stats, {});
  assert.ok(stats.checks >= 1);

  // The graph panel's node hover card: the catalog's text, served here (not in the extension).
  const doc = await conn.sendRequest(Requests.layerDoc, { type: 'Conv2d' });
  assert.match(doc?.summary ?? '', /convolution/i);
  assert.ok(doc?.paramFormula && doc.macsFormula, JSON.stringify(doc));
  assert.equal(await conn.sendRequest(Requests.layerDoc, { type: 'NoSuchLayer' }), null);

  // A document the server does not have open: null, not an error.
  const closed = pathToFileURL(path.join(dir, 'closed.dlm')).href;
  assert.equal(await conn.sendRequest(Requests.graph, { uri: closed }), null);
  assert.equal(await conn.sendRequest(Requests.train, { uri: closed }), null);
});

test('dlm/onnxGraph reads a workspace .onnx through the confined host; dlm/onnxImport converts it', async () => {
  const file = path.join(dir, 'lstm.onnx');
  copyFileSync(onnxFixture('lstm'), file);
  const r = await conn.sendRequest(Requests.onnxGraph, { uri: pathToFileURL(file).href });
  assert.equal(r.error, undefined);
  // 18 ONNX nodes, the initial state's shape plumbing (8 of them) drawn as one node.
  assert.equal(r.graph?.nodes.filter((n) => n.kind === 'layer').length, 11);
  assert.ok(r.graph?.nodes.some((n) => n.type === 'Shape ops' && n.label === '[1, B, 64]'));
  assert.ok(r.graph?.nodes.some((n) => n.type === 'LSTM' && n.group === 'scope:lstm'));
  assert.deepEqual(r.diagnostics, []);
  // No weight data travels: the answer is a few KB for 57K parameters.
  assert.ok(JSON.stringify(r).length < 40_000, `${JSON.stringify(r).length} chars`);

  // Refusals are messages: outside the workspace (also through a link), not a model.
  const outside = mkdtempSync(path.join(tmpdir(), 'dlm-outside-'));
  try {
    const far = path.join(outside, 'far.onnx');
    copyFileSync(file, far);
    const link = path.join(dir, 'link.onnx');
    symlinkSync(far, link);
    for (const p of [far, link]) {
      const e = await conn.sendRequest(Requests.onnxGraph, { uri: pathToFileURL(p).href });
      assert.match(e.error ?? '', /outside/, p);
      assert.equal(e.graph, undefined);
    }
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
  const junk = path.join(dir, 'junk.onnx');
  writeFileSync(junk, 'not a protobuf at all');
  const bad = await conn.sendRequest(Requests.onnxGraph, { uri: pathToFileURL(junk).href });
  assert.ok(bad.error, 'a file that is no ONNX model is an error message');

  const imp = await conn.sendRequest(Requests.onnxImport, { uri: pathToFileURL(file).href });
  assert.equal(imp.error, undefined);
  assert.equal(imp.dlmUri, pathToFileURL(path.join(dir, 'lstm.dlm')).href);
  assert.ok(existsSync(path.join(dir, 'lstm.dlm')));
  assert.ok(existsSync(path.join(dir, 'lstm.safetensors')));
  const away = await conn.sendRequest(Requests.onnxImport, {
    uri: pathToFileURL(file).href,
    outUri: pathToFileURL(path.join(tmpdir(), 'away.dlm')).href,
  });
  assert.match(away.error ?? '', /outside the workspace/);
});

test('the graph follows the declared dlm.shapeStyle and dlm.complexity settings', async () => {
  const graph = async () => (await conn.sendRequest(Requests.graph, { uri }))?.model?.graph;
  const g1 = await graph();
  assert.equal(g1?.costUnit, 'MACs');
  assert.ok(
    g1?.edges.some((e) => e.label === '[B, 8, 28, 28]'),
    JSON.stringify(g1?.edges),
  );

  settings = { ...DEFAULT_SETTINGS, shapeStyle: 'times', complexity: 'flops' };
  conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
  const g2 = await graph();
  assert.equal(g2?.costUnit, 'FLOPs');
  assert.ok(
    g2?.edges.some((e) => e.label === 'B×8×28×28'),
    JSON.stringify(g2?.edges),
  );
});
