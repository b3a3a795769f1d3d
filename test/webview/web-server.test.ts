/**
 * The web extension's language server in a real browser, offline: Debian's Chromium loads
 * dist/web/server.js (src/server/browser.ts, the same features as the desktop server) as a web
 * worker under a strict CSP, and the test speaks LSP to it over postMessage, as
 * vscode-languageclient/browser does in vscode.dev: documents with virtual-file-system URIs,
 * an import between two open documents, diagnostics, hover, inlay hints and the summary request.
 * No network: every request the page makes must go to the local test server.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, launch } from './harness';

const ROOT_URI = 'vscode-vfs://github/acme/models';
const LIB = `${ROOT_URI}/lib.dlm`;
const NET = `${ROOT_URI}/net.dlm`;
const MISSING = `${ROOT_URI}/orphan.dlm`;

const LIB_TEXT = `block Head(n: int)(x: [B, F]) {
  x |> Dense(64) |> ReLU |> Dense(n)
}
`;
// Line 3 feeds a rank-4 map to Dense: DLM101 with an Insert Flatten fix.
const NET_TEXT = `import "lib.dlm"

model Net(x: [B, 1, 28, 28]) -> [B, 10] {
  x |> Conv2d(8, 3) |> ReLU |> Dense(10)
}

model Good(x: [B, 784]) -> [B, 10] {
  x |> Dense(128) |> ReLU |> Head(10)
}
`;
const ORPHAN_TEXT = `import "not-open.dlm"

model M(x: [B, 4]) -> [B, 2] {
  x |> Dense(2)
}
`;

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; worker-src 'self'">
<script src="/page.js"></script></head><body></body></html>`;
// The page: one worker, messages in window.__in, window.__send(msg) posts a message to it.
const PAGE_JS = `
window.__in = [];
window.__errors = [];
const worker = new Worker('/dist/web/server.js');
worker.onmessage = (e) => window.__in.push(e.data);
worker.onerror = (e) => window.__errors.push(String(e.message));
window.__send = (m) => worker.postMessage(m);
`;

function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const p = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const send = (body: string | Buffer, type: string): void => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (p === '/') return send(PAGE, 'text/html');
      if (p === '/page.js') return send(PAGE_JS, 'text/javascript');
      if (p === '/dist/web/server.js')
        return send(await readFile(join(ROOT, 'dist/web/server.js')), 'text/javascript');
      res.writeHead(404);
      res.end();
    })();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

interface LspMessage {
  id?: number;
  method?: string;
  params?: {
    uri?: string;
    diagnostics?: { code?: string; message: string; range: { start: { line: number } } }[];
  };
  result?: unknown;
  error?: { message: string };
}

async function main(): Promise<void> {
  const { server, origin } = await startPageServer();
  const browser = await launch();
  let passed = 0;
  let failed = 0;
  const check = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`✔ ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(
        `✖ ${name}\n    ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  };
  try {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(origin)) foreign.push(r.url());
    });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
    });
    await page.goto(origin + '/');

    let nextId = 1;
    const send = (m: object): Promise<void> =>
      page.evaluate((msg) => (window as unknown as { __send(x: object): void }).__send(msg), m);
    const inbox = (): Promise<LspMessage[]> =>
      page.evaluate(() => (window as unknown as { __in: LspMessage[] }).__in);
    const waitFor = async (pred: (m: LspMessage) => boolean, what: string): Promise<LspMessage> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const hit = (await inbox()).find(pred);
        if (hit) return hit;
        const errors = await page.evaluate(
          () => (window as unknown as { __errors: string[] }).__errors,
        );
        if (errors.length) throw new Error(`worker error: ${errors.join('; ')}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const request = async (method: string, params: object): Promise<unknown> => {
      const id = nextId++;
      await send({ jsonrpc: '2.0', id, method, params });
      const r = await waitFor((m) => m.id === id && m.method === undefined, `${method} response`);
      if (r.error) throw new Error(`${method}: ${r.error.message}`);
      return r.result;
    };
    const diagnosticsOf = (uri: string): Promise<LspMessage> =>
      waitFor(
        (m) => m.method === 'textDocument/publishDiagnostics' && m.params?.uri === uri,
        `diagnostics for ${uri}`,
      );
    const open = (uri: string, text: string): Promise<void> =>
      send({
        jsonrpc: '2.0',
        method: 'textDocument/didOpen',
        params: { textDocument: { uri, languageId: 'dlm', version: 1, text } },
      });

    await check('initialize: the worker answers with the language features', async () => {
      const r = (await request('initialize', {
        processId: null,
        rootUri: ROOT_URI,
        workspaceFolders: [{ uri: ROOT_URI, name: 'models' }],
        capabilities: {},
      })) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
      assert(r.serverInfo.name === 'dlm-language-server', JSON.stringify(r.serverInfo));
      for (const cap of [
        'hoverProvider',
        'inlayHintProvider',
        'completionProvider',
        'codeActionProvider',
      ])
        assert(r.capabilities[cap], `capability ${cap}`);
      await send({ jsonrpc: '2.0', method: 'initialized', params: {} });
    });

    await check(
      'diagnostics for a vscode-vfs document, with an import of an open one',
      async () => {
        await open(LIB, LIB_TEXT);
        await open(NET, NET_TEXT);
        const d = (await diagnosticsOf(NET)).params!.diagnostics!;
        const codes = d.map((x) => `${x.code}@${x.range.start.line}`);
        assert(codes.includes('DLM101@3'), `DLM101 on line 4, got ${JSON.stringify(d)}`);
        assert(
          !d.some((x) => x.code === 'DLM018'),
          `the import of lib.dlm resolves: ${JSON.stringify(d)}`,
        );
      },
    );

    await check('an import of a document that is not open says why', async () => {
      await open(MISSING, ORPHAN_TEXT);
      const d = (await diagnosticsOf(MISSING)).params!.diagnostics!;
      assert(d.length > 0, 'a diagnostic on the import');
      assert(d[0]!.range.start.line === 0, JSON.stringify(d));
      assert(/not-open\.dlm/.test(d[0]!.message), d[0]!.message);
    });

    await check('hover: parameters, MACs and the training-memory line', async () => {
      // "Dense(128)" in model Good, line 7.
      const line = NET_TEXT.split('\n')[7]!;
      const r = (await request('textDocument/hover', {
        textDocument: { uri: NET },
        position: { line: 7, character: line.indexOf('Dense') + 1 },
      })) as { contents: { value: string } } | null;
      assert(r, 'a hover');
      const md = r.contents.value;
      assert(/Parameters\*\* 100,480/.test(md), md);
      assert(/\*\*MACs\*\*/.test(md), md);
      assert(/\*\*Training memory\*\*/.test(md), md);
    });

    await check('inlay hints and the summary request', async () => {
      const hints = (await request('textDocument/inlayHint', {
        textDocument: { uri: NET },
        range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } },
      })) as unknown[];
      assert(Array.isArray(hints) && hints.length > 0, 'inlay hints');
      const s = (await request('dlm/summary', { uri: NET, model: 'Good' })) as {
        summary: { totals: { trainable: number; training: { activationBytes: number } } };
      };
      // 784·128 + 128 + 128·64 + 64 + 64·10 + 10
      assert(s.summary.totals.trainable === 109_386, JSON.stringify(s.summary.totals));
      assert(typeof s.summary.totals.training.activationBytes === 'number', 'memory');
    });

    await check('the graph request names each file by its document URI', async () => {
      // the graph panel opens a node's source by these (decision 0024): vscode-vfs, not file
      const g = (await request('dlm/graph', { uri: NET, model: 'Good' })) as {
        files: string[];
        fileUris: string[];
        model: { graph: { nodes: { type: string; source: { file: string } }[] } };
      };
      const uriOf = new Map(g.files.map((f, i) => [f, g.fileUris[i]]));
      const head = g.model.graph.nodes.find((n) => n.source.file.endsWith('/lib.dlm'));
      assert(head !== undefined, 'a node from lib.dlm');
      assert(uriOf.get(head.source.file) === LIB, JSON.stringify(g.fileUris));
      assert(g.fileUris.includes(NET), JSON.stringify(g.fileUris));
    });

    await check('offline and within the CSP', async () => {
      assert(foreign.length === 0, `requests outside the test server: ${foreign.join(', ')}`);
      assert(violations.length === 0, violations.join('\n'));
    });
    await page.close();
  } finally {
    await browser.close();
    server.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.log(`✖ harness: ${err instanceof Error ? err.stack : String(err)}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
