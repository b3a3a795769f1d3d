/**
 * The real language server (src/server/server.ts, run through tsx so the test needs no build)
 * spawned over stdio, with a minimal LSP client: initialize, open/change documents, wait for
 * their diagnostics, send requests, read the server's own memory statistics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
  type MessageConnection,
} from 'vscode-jsonrpc/node';

const SERVER = path.resolve(__dirname, '../../../src/server/server.ts');
/** tsx's loader by absolute URL: the server may run in another current directory. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

export interface Published {
  readonly uri: string;
  readonly version?: number;
  readonly diagnostics: readonly {
    readonly code?: string;
    readonly message: string;
    readonly severity?: number;
    readonly range: {
      readonly start: { line: number; character: number };
      readonly end: { line: number; character: number };
    };
  }[];
}

export interface ServerOptions {
  /** Workspace folder; omit it to initialize with no folder (no rootUri, no workspaceFolders). */
  readonly root?: string;
  /** The server process's current directory. */
  readonly cwd?: string;
  /** Extra node flags for the server process (e.g. --expose-gc). */
  readonly nodeFlags?: readonly string[];
}

export class StdioServer {
  readonly conn: MessageConnection;
  private readonly child: ChildProcess;
  private readonly published: Published[] = [];
  private readonly waiters: { test: (p: Published) => boolean; resolve: (p: Published) => void }[] =
    [];
  readonly logs: string[] = [];
  private versions = new Map<string, number>();

  private constructor(opts: ServerOptions) {
    this.child = spawn(
      process.execPath,
      [...(opts.nodeFlags ?? []), '--import', TSX, SERVER, '--stdio'],
      { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd ?? process.cwd() },
    );
    this.child.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    this.conn = createMessageConnection(
      new StreamMessageReader(this.child.stdout!),
      new StreamMessageWriter(this.child.stdin!),
    );
    this.conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
      this.published.push(p);
      for (const w of this.waiters.splice(0))
        if (w.test(p)) w.resolve(p);
        else this.waiters.push(w);
    });
    this.conn.onNotification('window/logMessage', (p: { message: string }) => {
      this.logs.push(p.message);
    });
    this.conn.onRequest('workspace/configuration', () => [null]);
    this.conn.onRequest('client/registerCapability', () => null);
    this.conn.listen();
  }

  static async start(opts: ServerOptions = {}): Promise<StdioServer> {
    const s = new StdioServer(opts);
    const folder = opts.root ? pathToFileURL(opts.root).href : undefined;
    await s.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folder ?? null,
      capabilities: {},
      ...(folder ? { workspaceFolders: [{ uri: folder, name: 'ws' }] } : {}),
    });
    s.conn.sendNotification('initialized', {});
    return s;
  }

  /** Open `file` with `text`; resolves with its first diagnostics. */
  open(file: string, text: string): Promise<Published> {
    const uri = pathToFileURL(file).href;
    this.versions.set(uri, 1);
    const done = this.diagnosticsFor(uri, 1);
    this.conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'dlm', version: 1, text },
    });
    return done;
  }

  /** Replace `range` with `text` (an incremental change); returns the new version. */
  change(
    file: string,
    range: {
      start: { line: number; character: number };
      end: { line: number; character: number };
    },
    text: string,
  ): number {
    const uri = pathToFileURL(file).href;
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range, text }],
    });
    return version;
  }

  /** The first diagnostics published for `uri` at `version` or later. */
  diagnosticsFor(uri: string, version: number): Promise<Published> {
    const test = (p: Published): boolean =>
      p.uri === uri && p.version !== undefined && p.version >= version;
    const done = this.published.find(test);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  /** The server's memory (`dlm/stats`); with `gc`, after a full garbage collection. */
  stats(gc = false): Promise<{ rss: number; heapUsed: number; gc?: boolean }> {
    return this.request('dlm/stats', { gc });
  }

  /** Resident set size of the server process from /proc (Linux), else from the server. */
  /** CPU time (user + system) the server process has used so far, in ms (Linux /proc). */
  cpuMs(): number {
    const fields = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, 100 Hz
  }

  async rss(): Promise<number> {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      if (m) return Number(m[1]) * 1024;
    } catch {
      /* not Linux */
    }
    return (await this.stats()).rss;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    // The server may still be answering when it is told to go: ignore writes to a closed pipe.
    this.child.stdin!.on('error', () => undefined);
    try {
      if (this.alive) {
        await Promise.race([
          this.conn.sendRequest('shutdown'),
          new Promise((r) => setTimeout(r, 5000)),
        ]);
        await this.conn.sendNotification('exit').catch(() => undefined);
      }
    } catch {
      /* already gone */
    }
    this.conn.dispose();
    this.child.kill();
  }
}
