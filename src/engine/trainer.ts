/**
 * The trainer child process (bundled to dist/trainer.js). Speaks the protocol in protocol.ts
 * over Node's IPC channel: one run at a time; pause/resume/stop take effect between steps;
 * shutdown stops the run and exits; a lost parent (disconnect) ends the process, so no orphans.
 */
import './compile';
import {
  neuronsFromCheckpoint,
  runTraining,
  versions,
  type Control,
  type EmitEvent,
  type LiveRun,
} from './loop';
import { PROTOCOL_VERSION, validateRequest, type TrainerEvent } from './protocol';

if (typeof process.send !== 'function') {
  console.error('dlm trainer: must be started by the extension or the CLI (no IPC channel)');
  process.exit(2);
}

function send(e: EmitEvent): void {
  if (!process.connected) return;
  try {
    process.send!({ ...e, v: PROTOCOL_VERSION } as TrainerEvent);
  } catch {
    /* the parent went away; 'disconnect' ends us */
  }
}

let running: Promise<unknown> | undefined;
/** The run in progress, for `neurons` requests. */
let live: LiveRun | undefined;
let paused = false;
let stopRequested = false;
let wake: (() => void) | undefined;

const control: Control = {
  get paused() {
    return paused;
  },
  get stopRequested() {
    return stopRequested;
  },
  waitWhilePaused() {
    return new Promise<void>((resolve) => {
      if (!paused || stopRequested) return resolve();
      wake = resolve;
    });
  },
};

function release(): void {
  const w = wake;
  wake = undefined;
  w?.();
}

async function shutdown(code = 0): Promise<void> {
  stopRequested = true;
  release();
  const hardExit = setTimeout(() => process.exit(code), 3000);
  hardExit.unref();
  if (running) await running.catch(() => undefined);
  process.exitCode = code;
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(code), 200).unref();
}

let leaving = false;
function parentGone(): void {
  // The parent is gone (or we disconnected): stop at the next step boundary and exit.
  if (leaving) return;
  leaving = true;
  stopRequested = true;
  release();
  setTimeout(() => process.exit(0), 500).unref();
  void (running ?? Promise.resolve()).finally(() => process.exit(0));
}
process.on('disconnect', parentGone);
// Belt and braces: if the channel's EOF is missed, notice being re-parented.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid || !process.connected) parentGone();
}, 1000).unref();

process.on('message', (raw: unknown) => {
  const r = validateRequest(raw);
  if (!r.ok) {
    send({ type: 'error', kind: 'internal', message: `bad request: ${r.error}`, fatal: false });
    return;
  }
  const req = r.value;
  switch (req.type) {
    case 'start':
      if (running) {
        send({
          type: 'error',
          kind: 'internal',
          message: 'a run is already in progress; stop it first',
          fatal: false,
        });
        return;
      }
      paused = false;
      stopRequested = false;
      running = runTraining(req, control, send, (l) => (live = l)).finally(() => {
        running = undefined;
        live = undefined;
      });
      return;
    case 'pause':
      if (running) paused = true;
      return;
    case 'resume':
      paused = false;
      release();
      return;
    case 'stop':
      stopRequested = true;
      release();
      return;
    case 'shutdown':
      void shutdown(0);
      return;
    case 'neurons': {
      // During a run: the current params; with none: the `from` checkpoint of a finished run.
      const answer = live
        ? live.neurons(req.layer)
        : req.from && !running
          ? neuronsFromCheckpoint(req.from, req.layer, send)
          : Promise.reject(
              new Error(
                running
                  ? 'the run is still starting; ask for neuron maps again in a moment'
                  : 'no run in progress, and the request names no checkpoint to load',
              ),
            );
      answer.catch((e: unknown) =>
        send({
          type: 'error',
          kind:
            (e as { kind?: unknown }).kind === 'data' || (e as Error).name === 'DataError'
              ? 'data'
              : 'internal',
          message: `neuron maps: ${e instanceof Error ? e.message : String(e)}`,
          details: { request: 'neurons', ...(req.layer ? { layer: req.layer } : {}) },
          fatal: false,
        }),
      );
      return;
    }
  }
});

process.on('uncaughtException', (e) => {
  send({
    type: 'error',
    kind: 'internal',
    message: e.message,
    details: { stack: e.stack },
    fatal: true,
  });
  void shutdown(1);
});

send({ type: 'ready', pid: process.pid, versions: versions() });
