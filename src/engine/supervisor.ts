/**
 * Parent-side helper used by the extension and the CLI: forks the trainer (dist/trainer.js, or
 * a .ts entry with `--import tsx` in tests), sends typed requests, validates incoming events,
 * and turns an unexpected exit of the child into an `error` event of kind 'crash'.
 * dispose() kills the child (SIGTERM, then SIGKILL).
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  PROTOCOL_VERSION,
  validateEvent,
  type EventOf,
  type ReadyEvent,
  type StartRequest,
  type TrainerEvent,
  type TrainerRequest,
} from './protocol';

export interface SupervisorOptions {
  /** The trainer entry; default `trainer.js` next to the bundle that includes this file. */
  entry?: string;
  /** Extra node flags, e.g. `['--import', 'tsx']` for a .ts entry. */
  execArgv?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds between SIGTERM and SIGKILL on dispose (default 2000). */
  killTimeoutMs?: number;
}

export type Listener = (e: TrainerEvent) => void;

type Without<T> = T extends unknown ? Omit<T, 'v'> : never;

export function defaultTrainerEntry(): string {
  return path.join(__dirname, 'trainer.js');
}

export class TrainerSupervisor {
  readonly child: ChildProcess;
  readonly ready: Promise<ReadyEvent>;
  /** Every event received, in order. */
  readonly events: TrainerEvent[] = [];
  /** The last ~8 KB of the child's stderr (shown with crashes). */
  stderr = '';
  private readonly listeners = new Set<Listener>();
  private expectingExit = false;
  private exited = false;
  private readonly exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(private readonly opts: SupervisorOptions = {}) {
    const entry = opts.entry ?? defaultTrainerEntry();
    this.child = fork(entry, [], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      execArgv: opts.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stdout?.on('data', () => undefined);
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8192);
    });
    this.ready = this.next('ready', undefined, 30_000);
    this.ready.catch(() => undefined);
    this.child.on('message', (m: unknown) => {
      const r = validateEvent(m);
      if (r.ok) this.dispatch(r.value);
      else
        this.dispatch({
          type: 'error',
          v: PROTOCOL_VERSION,
          kind: 'internal',
          message: `invalid event from trainer: ${r.error}`,
          fatal: false,
        });
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        if (!this.expectingExit) {
          const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          this.dispatch({
            type: 'error',
            v: PROTOCOL_VERSION,
            kind: 'crash',
            message: `the trainer process ${how}`,
            details: { exitCode: code, signal, stderr: this.stderr.slice(-2000) },
            suggestion:
              'the last checkpoint (last.safetensors in the run folder) can resume the run',
            fatal: true,
          });
        }
        resolve({ code, signal });
      });
    });
    this.child.on('error', (err) => {
      this.dispatch({
        type: 'error',
        v: PROTOCOL_VERSION,
        kind: 'crash',
        message: `trainer process error: ${err.message}`,
        fatal: true,
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  private dispatch(e: TrainerEvent): void {
    this.events.push(e);
    for (const l of [...this.listeners]) l(e);
  }

  /** Subscribe to events; returns the unsubscribe function. */
  onEvent(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  send(r: Without<TrainerRequest>): void {
    if (this.exited || !this.child.connected) throw new Error('the trainer process is not running');
    this.child.send({ ...r, v: PROTOCOL_VERSION });
  }

  start(r: Omit<StartRequest, 'type' | 'v'>): void {
    this.send({ type: 'start', ...r });
  }
  pause(): void {
    this.send({ type: 'pause' });
  }
  resume(): void {
    this.send({ type: 'resume' });
  }
  stop(): void {
    this.send({ type: 'stop' });
  }

  /** The next event of `type` (matching `pred`); rejects on timeout or on a fatal error first. */
  next<T extends TrainerEvent['type']>(
    type: T,
    pred?: (e: EventOf<T>) => boolean,
    timeoutMs = 60_000,
  ): Promise<EventOf<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for '${type}'`));
      }, timeoutMs);
      const off = this.onEvent((e) => {
        if (e.type === type && (!pred || pred(e as EventOf<T>))) {
          clearTimeout(timer);
          off();
          resolve(e as EventOf<T>);
        } else if (e.type === 'error' && e.fatal && type !== 'error') {
          clearTimeout(timer);
          off();
          reject(new Error(`trainer error (${e.kind}): ${e.message}`));
        }
      });
    });
  }

  /** Ask the trainer to stop its run and exit; kills it if it does not exit in time. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    this.expectingExit = true;
    try {
      this.send({ type: 'shutdown' });
    } catch {
      /* already disconnected */
    }
    const t = setTimeout(() => this.kill(), timeoutMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  private kill(): void {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    setTimeout(() => {
      if (!this.exited) this.child.kill('SIGKILL');
    }, this.opts.killTimeoutMs ?? 2000).unref();
  }

  /** Resolves when the child has exited. */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }

  /** Kill the child (no crash event) and drop listeners. */
  async dispose(): Promise<void> {
    this.expectingExit = true;
    this.kill();
    await this.exitPromise;
    this.listeners.clear();
  }
}
