/**
 * The desktop language server: a Node process (IPC from VS Code, stdio for other editors and the
 * benchmark: `node dist/server.js --stdio`) that reads the workspace from the disk through the
 * confined host. Every language feature is src/server/features.ts; this file adds what only the
 * desktop can do: comparing with a git revision, the ONNX viewer and import, process stats.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type { CheckResult } from '../language/checked';
import { checkText } from '../language/program';
import { normalize } from '../language/paths';
import { buildCompareData } from '../views/compareData';
import { diffModels, pairModels } from '../language/diff';
import { GitError, GitRevisionHost, resolveRevision } from '../engine/git';
import { FsError, fromPosix } from '../engine/host';
import { importOnnxFile } from '../engine/onnxFile';
import { MAX_ONNX_BYTES, readOnnxGraph } from '../interop/onnx/graph';
import { OnnxImportError } from '../interop/onnx/import';
import { OnnxReadError } from '../interop/onnx/initializers';
import { onnxGraphData } from '../views/onnxGraphData';
import { startServer, type ServerApi } from './features';
import { WorkspaceHost, pathToUri, uriToPath } from './host';
import type { ServerPlatform } from './platform';
import { trace, tracing } from './perfTrace';
import { traceToFile } from './traceFile';
import {
  Requests,
  type DiffResponse,
  type OnnxGraphResponse,
  type OnnxImportResponse,
  type ServerStats,
  type StatsParams,
} from './protocol';

/** The disk, confined to the workspace (src/engine/host.ts), with open documents first. */
export const NODE_PLATFORM: ServerPlatform = {
  uriToPath,
  pathToUri,
  workspace: (root, openText) => new WorkspaceHost(root, openText),
  documents: (root, openText) => new WorkspaceHost(root, openText, { disk: false }),
  listDlmFiles,
  fileSize,
};

/** The requests only the desktop answers. */
export function desktopRequests(api: ServerApi): void {
  const { connection, ctx, hostFor, settingsFor, display, safe, safeAsync, stats } = api;
  const host = (): WorkspaceHost => api.host() as WorkspaceHost;

  // The compare view and "DLM: Compare with…": the document against another file or a revision.
  connection.onRequest(
    Requests.diff,
    safeAsync('diff', null as DiffResponse | null, async (p) => {
      const s = await settingsFor(p.uri);
      const c = ctx(p.uri);
      if (!c) return null;
      const fail = (error: string): DiffResponse => ({ uri: p.uri, error });
      const shown = (f: string): string =>
        host().readsDisk
          ? nodePath.posix.relative(host().root, f) || f
          : nodePath.posix.basename(f);
      let other: { result: CheckResult; path: string; title: string; rev?: string };
      if (p.rev !== undefined) {
        if (!host().readsDisk) return fail('Comparing with a git revision needs an open folder.');
        try {
          const gh = new GitRevisionHost(resolveRevision(fromPosix(c.path), p.rev), host().root);
          const why = gh.unreadable(c.path);
          if (why) return fail(why);
          other = {
            result: checkText(c.path, gh.readFile(c.path) ?? '', gh),
            path: c.path,
            title: `${p.rev}:${shown(c.path)}`,
            rev: p.rev,
          };
        } catch (e) {
          if (e instanceof GitError) return fail(e.message);
          throw e;
        }
      } else if (p.otherUri !== undefined) {
        const op = uriToPath(p.otherUri);
        if (!op) return fail(`${p.otherUri} is not a file`);
        const h = hostFor(op, host());
        const why = (h as WorkspaceHost).unreadable?.(op);
        if (why) return fail(`cannot read ${shown(op)}: ${why}`);
        other = { result: checkText(op, h.readFile(op) ?? '', h), path: op, title: shown(op) };
      } else return fail('nothing to compare with');
      const { pairs } = pairModels(
        other.result.models.filter((m) => m.file === other.path),
        c.result.models.filter((m) => m.file === c.path),
        p.model,
      );
      const pair = pairs[0];
      if (!pair) return fail(`no model of the same name in ${other.title} and ${shown(c.path)}`);
      const [ma, mb] = pair;
      const diff = diffModels(
        {
          model: ma,
          source: { file: other.title, ...(other.rev !== undefined ? { rev: other.rev } : {}) },
          train: other.result.trains.find((t) => t.model === ma.name),
          text: other.result.files.get(ma.file)?.text,
        },
        {
          model: mb,
          source: { file: shown(c.path) },
          train: c.result.trains.find((t) => t.model === mb.name),
          text: c.text,
        },
      );
      const data = buildCompareData({
        diff,
        a: { model: ma, result: other.result, revealable: other.rev === undefined },
        b: { model: mb, result: c.result, revealable: true },
        options: display(s),
      });
      return { uri: p.uri, diff, data };
    }),
  );

  // The read-only ONNX editor: the file read through the confined host (inside the workspace, a
  // regular file, at most MAX_ONNX_BYTES) and its graph without weight data.
  const onnxFailure = (e: unknown): string | undefined =>
    e instanceof FsError || e instanceof OnnxReadError || e instanceof OnnxImportError
      ? e.message
      : undefined;
  connection.onRequest(
    Requests.onnxGraph,
    safe('onnxGraph', { uri: '', diagnostics: [] } as OnnxGraphResponse, (p) => {
      const file = uriToPath(p.uri);
      const fail = (error: string): OnnxGraphResponse => ({ uri: p.uri, error, diagnostics: [] });
      if (!file) return fail(`${p.uri} is not a file`);
      if (!host().readsDisk)
        return fail('ONNX files open only when a folder is open (File: Open Folder…).');
      try {
        const shown = nodePath.posix.relative(host().root, file) || file;
        const g = readOnnxGraph(host().fs.readBytes(file, MAX_ONNX_BYTES), { file: shown });
        return {
          uri: p.uri,
          graph: onnxGraphData(g, { file }),
          opset: g.opset,
          producer: g.producer,
          diagnostics: g.diagnostics.map((d) => ({ ...d })),
        };
      } catch (e) {
        const why = onnxFailure(e);
        if (why !== undefined) return fail(why);
        throw e;
      }
    }),
  );
  connection.onRequest(
    Requests.onnxImport,
    safe(
      'onnxImport',
      { error: 'the import failed (see the server log)' } as OnnxImportResponse,
      (p) => {
        const file = uriToPath(p.uri);
        if (!file) return { error: `${p.uri} is not a file` };
        if (!host().readsDisk)
          return { error: 'Converting needs an open folder (File: Open Folder…).' };
        const out =
          p.outUri !== undefined ? uriToPath(p.outUri) : file.replace(/\.onnx$/i, '') + '.dlm';
        if (!out) return { error: `${p.outUri} is not a file` };
        try {
          const r = importOnnxFile(host().fs, file, out, {
            show: (f) => nodePath.posix.relative(host().root, f) || f,
          });
          host().invalidate(r.dlm);
          return {
            dlmUri: pathToUri(r.dlm),
            weightsUri: pathToUri(r.weights),
            modelName: r.result.modelName,
            layers: r.result.layers,
          };
        } catch (e) {
          const why = onnxFailure(e);
          if (why !== undefined) return { error: why };
          throw e;
        }
      },
    ),
  );

  connection.onRequest(Requests.stats, (p?: StatsParams): ServerStats => {
    const collect = (globalThis as { gc?: () => void }).gc;
    const gc = !!p?.gc && typeof collect === 'function';
    if (gc) collect!();
    const m = process.memoryUsage();
    return {
      pid: process.pid,
      gc,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      ...stats(),
    };
  });
}

/** The size of a regular file, or undefined. */
function fileSize(p: string): number | undefined {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** `.dlm` files under `root`, skipping dot folders and node_modules. */
function listDlmFiles(root: string, limit: number): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (out.length >= limit || depth > 12) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= limit) return;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = nodePath.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.dlm')) out.push(normalize(p));
    }
  };
  walk(root, 0);
  return out;
}

// Started as a module (dist/server.js): the transport comes from the command line
// (--node-ipc from vscode-languageclient, --stdio for other editors and the benchmark).
process.on('uncaughtException', (err) => {
  console.error(`[dlm] uncaught: ${err.stack ?? err.message}`);
});
process.on('unhandledRejection', (err) => {
  console.error(`[dlm] unhandled rejection: ${String(err)}`);
});
traceToFile('server');
trace('server.loaded');
// With the trace on, each garbage collection is a step too (its pause, at its start): the
// benchmarks match slow requests against them.
if (tracing())
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      trace('server.gc', e.duration.toFixed(2), performance.timeOrigin + e.startTime);
  }).observe({ entryTypes: ['gc'] });
startServer(createConnection(ProposedFeatures.all), NODE_PLATFORM, desktopRequests);
