/**
 * "DLM: Train Model": the training dashboard panel (webview/dashboard) and the trainer it drives.
 * The trainer runs in a child process under src/engine/supervisor.ts, owned by the extension host:
 * hiding the panel (its webview is destroyed) or reloading the webview does not stop a run; the
 * panel gets the whole run again when it reloads (DashboardFeed.replay). After the extension
 * host restarted (window reload), the trainer is gone and the panel shows the run from its
 * `.dlm/runs/<run>/metrics.jsonl`. Untrusted workspaces cannot train. The train sections come
 * from the language server (request `dlm/train`); the trainer process compiles the model itself.
 */
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DASHBOARD_PAGE, panelPage } from './webview';
import { TRAINING_VIEW_TYPE } from './lazyModules';
import { ConfinedFs, MAX_CONFIG_BYTES } from '../engine/host';
import type { TrainResponse } from '../server/protocol';
import {
  findCheckpoint,
  importRun,
  LAST_CHECKPOINT,
  listRuns,
  readMetrics,
  resumePoint,
  RUNS_DIR,
  type ResumePoint,
} from '../engine/runs';
import { eventLines, startLines } from './trainingLog';
import { TrainerSupervisor } from '../engine/supervisor';
import type { CallOverride, TrainerEvent } from '../engine/protocol';
import type {
  DashboardToHost,
  DashboardViewState,
  DashOverrides,
  HostToDashboard,
} from '../../webview/protocol';
import type { CheckedTrain } from '../language/checked';
import {
  DashboardFeed,
  OPTIMIZERS,
  curvesOf,
  datasetId,
  datasetOptions,
  replayRecords,
  runSummary,
  startOverrides,
  starterOptions,
  trainView,
} from './trainingFeed';

export { TRAINING_VIEW_TYPE };
/** The buttons of the notification when a run finishes. */
export const END_BUTTONS = ['Export ONNX', 'Export PyTorch', 'Reveal run'] as const;
const FLUSH_MS = 100;
const UNTRUSTED =
  'Training is disabled in an untrusted workspace: it runs code on your data. Trust the workspace (Manage Workspace Trust) to train.';

/** What the dashboard needs of the server's `dlm/train` answer. */
export type TrainInfo = Pick<TrainResponse, 'trains' | 'models' | 'starters'>;

type Starter = NonNullable<TrainResponse['starters']>[number];

/**
 * What a run of `model` trains with: its train section, or for a model without one, the starter
 * section on the dataset the panel picked (a `datasetId`), else the first dataset that fits.
 */
export function trainPlan(
  info: TrainInfo,
  model: string,
  datasetPick?: string,
):
  | { train: CheckedTrain; starter?: { s: Starter; choice: Starter['choices'][number] } }
  | undefined {
  const train = info.trains.find((t) => t.model === model);
  if (train) return { train };
  const s = info.starters?.find((x) => x.model === model);
  const choice =
    s?.choices.find((c) => c.train && datasetId(c.train) === datasetPick) ?? s?.choices[0];
  return s && choice?.train ? { train: choice.train, starter: { s, choice } } : undefined;
}

/** Why a model cannot train from the panel, naming it (no train section and nothing fits). */
export function noTrainMessage(
  info: TrainInfo | undefined,
  model: string | undefined,
  file: string,
): string {
  if (!model) return `${file} has no model to train.`;
  const s = info?.starters?.find((x) => x.model === model);
  if (s && !s.choices.length)
    return `${model} has no train section in ${file}, and no bundled or synthetic dataset fits it: add one with your data (train ${model} { data = Npy("x.npy", "y.npy") }).`;
  return `${model} cannot train yet: fix the errors in ${file} first (or add a train section: train ${model} { data = … }).`;
}

export interface TrainingDeps {
  /** The train sections and models of a document, as the language server checked it. */
  getTrain(uri: vscode.Uri): Promise<TrainInfo | undefined>;
}

interface Target {
  uri: vscode.Uri;
  model?: string;
}

/** The model under the cursor (a train section or model whose span holds it), else undefined. */
function modelAtCursor(info: TrainInfo, uri: vscode.Uri): string | undefined {
  const ed = vscode.window.activeTextEditor;
  if (!ed || ed.document.uri.toString() !== uri.toString()) return undefined;
  const off = ed.document.offsetAt(ed.selection.active);
  const t = info.trains.find((x) => x.span.start <= off && off <= x.span.end);
  if (t) return t.model;
  // a model block: the nearest `model Name` header above the cursor (with or without a section)
  const text = ed.document.getText().slice(0, off);
  const m = [...text.matchAll(/^\s*model\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].pop();
  return m && info.models.includes(m[1]!) ? m[1] : undefined;
}

class Session {
  readonly feed: DashboardFeed;
  private readonly timer: ReturnType<typeof setInterval>;
  ended = false;

  constructor(
    readonly sup: TrainerSupervisor,
    readonly uri: vscode.Uri,
    readonly model: string,
    readonly root: string,
    feed: (send: (m: HostToDashboard) => void) => DashboardFeed,
    send: (m: HostToDashboard) => void,
    onEnd: (e: TrainerEvent) => void,
    log: (e: TrainerEvent) => void,
  ) {
    this.feed = feed(send);
    this.timer = setInterval(() => this.feed.flush(), FLUSH_MS);
    sup.onEvent((e: TrainerEvent) => {
      log(e);
      // a failed neuron-map request is a notice, not a failure of the run
      if (e.type === 'error' && !e.fatal && e.details?.request === 'neurons') {
        send({ type: 'notice', level: 'error', message: e.message, topic: 'neurons' });
        return;
      }
      this.feed.push(e);
      if (e.type === 'finished' || (e.type === 'error' && e.fatal)) {
        if (this.ended) return;
        this.ended = true;
        clearInterval(this.timer);
        void sup.shutdown().catch(() => undefined);
        onEnd(e);
      }
    });
  }

  get active(): boolean {
    return !this.ended && this.sup.alive;
  }

  dispose(): void {
    clearInterval(this.timer);
    void this.sup.dispose();
  }
}

export function registerTraining(
  context: vscode.ExtensionContext,
  deps: TrainingDeps,
): vscode.Disposable {
  const getTrain = (uri: vscode.Uri): Promise<TrainInfo | undefined> => deps.getTrain(uri);
  let panel: vscode.WebviewPanel | undefined;
  let ready = false;
  let target: Target | undefined;
  let session: Session | undefined;
  let restoredState: Partial<DashboardViewState> | undefined;
  const output = vscode.window.createOutputChannel('DLM Training');

  const post = (m: HostToDashboard): void => {
    if (panel && ready) void panel.webview.postMessage(m);
  };
  /** The `dlm.trainingActive` context key: Stop Training is enabled only while a run goes. */
  let trainingActive = false;
  const syncActive = (): void => {
    const on = !!session?.active;
    if (on === trainingActive) return;
    trainingActive = on;
    void vscode.commands.executeCommand('setContext', 'dlm.trainingActive', on);
  };

  const rootOf = (uri: vscode.Uri): string =>
    vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);

  const runsOf = (root: string, model?: string) => {
    try {
      return listRuns(root, model);
    } catch {
      return [];
    }
  };
  /** A run's metrics.jsonl, read through the confined host ([] when it is refused). */
  const metricsOf = (dir: string, root: string) => {
    try {
      return readMetrics(path.join(dir, 'metrics.jsonl'), root);
    } catch {
      return [];
    }
  };

  const sendHistory = (): void => {
    if (!target) return;
    const runs = runsOf(rootOf(target.uri), target.model).map((r) =>
      runSummary({ ...r, hasOnnx: existsSync(path.join(r.dir, 'model.onnx')) }),
    );
    post({ type: 'history', runs });
  };

  const sendInit = async (): Promise<TrainInfo | undefined> => {
    if (!target) {
      post({
        type: 'init',
        uri: '',
        models: [],
        datasets: [],
        optimizers: OPTIMIZERS,
        disabled: 'Open a .dlm file with a model and run “DLM: Train Model”.',
        disabledReason: 'nothing-to-train',
      });
      return undefined;
    }
    let info: TrainInfo | undefined;
    try {
      info = await getTrain(target.uri);
    } catch (err) {
      output.appendLine(`[init] ${String(err)}`);
    }
    const trains = info?.trains ?? [];
    const model = target.model ?? trains[0]?.model ?? info?.starters?.[0]?.model;
    if (model) target.model = model;
    const plan = info && model ? trainPlan(info, model) : undefined;
    const file = path.basename(target.uri.fsPath);
    const disabled = !vscode.workspace.isTrusted
      ? UNTRUSTED
      : !plan
        ? noTrainMessage(info, model, file)
        : undefined;
    post({
      type: 'init',
      uri: target.uri.toString(),
      ...(model ? { model } : {}),
      models: [...trains.map((t) => t.model), ...(info?.starters ?? []).map((x) => x.model)],
      ...(plan ? { train: trainView(plan.train) } : {}),
      // a model without a train section offers the datasets that fit it
      datasets: plan?.starter
        ? starterOptions(plan.starter.s)
        : datasetOptions(trains.find((t) => t.model === model)),
      optimizers: OPTIMIZERS,
      ...(plan?.starter
        ? {
            starter: {
              model: plan.starter.s.model,
              file,
              section: plan.starter.choice.section,
            },
          }
        : {}),
      ...(disabled
        ? {
            disabled,
            disabledReason: vscode.workspace.isTrusted
              ? ('nothing-to-train' as const)
              : ('untrusted' as const),
          }
        : {}),
    });
    return info;
  };

  /** The newest run of the target model, shown from metrics.jsonl (no live trainer). */
  const showLastRun = async (): Promise<void> => {
    if (!target?.model) return;
    const root = rootOf(target.uri);
    const last = runsOf(root, target.model)[0];
    if (!last) return;
    const records = metricsOf(last.dir, root);
    if (!records.length) return;
    const info = await getTrain(target.uri).catch(() => undefined);
    const plan = info && trainPlan(info, target.model);
    if (!plan) return;
    post({ type: 'reset' });
    for (const m of replayRecords(records, {
      model: plan.train.model,
      config: trainView(plan.train),
    }))
      post(m);
  };

  const onReady = async (): Promise<void> => {
    ready = true;
    await sendInit();
    sendHistory();
    if (
      session &&
      session.uri.toString() === target?.uri.toString() &&
      session.model === target.model
    ) {
      for (const m of session.feed.replay()) post(m);
    } else await showLastRun();
  };

  const start = async (
    overrides: DashOverrides,
    model?: string,
    persist = true,
    resume?: ResumePoint,
  ): Promise<void> => {
    if (!vscode.workspace.isTrusted) {
      post({ type: 'failure', failure: { kind: 'untrusted', message: UNTRUSTED } });
      void vscode.window.showWarningMessage(`DLM: ${UNTRUSTED}`);
      return;
    }
    if (!target) return;
    if (session?.active) {
      post({
        type: 'notice',
        level: 'info',
        message: `A run of ${session.model} is in progress; stop it first.`,
      });
      return;
    }
    const info = await getTrain(target.uri).catch(() => undefined);
    const m = model ?? target.model ?? info?.trains[0]?.model ?? info?.starters?.[0]?.model;
    const plan = info && m ? trainPlan(info, m, overrides.dataset) : undefined;
    if (!info || !plan || !m) {
      const message = noTrainMessage(info, m, path.basename(target.uri.fsPath));
      output.appendLine(`[${new Date().toISOString().slice(11, 19)}] cannot train: ${message}`);
      post({ type: 'failure', failure: { kind: 'config', message } });
      return;
    }
    const train = plan.train;
    target.model = m;
    if (persist) await context.workspaceState.update('dlm.training.overrides', overrides);
    const root = rootOf(target.uri);
    // `dlm.trainer.threads`: 0 (default) → one per CPU core, at most 8 (as `dlm train`)
    const setting = vscode.workspace.getConfiguration('dlm').get<number>('trainer.threads', 0);
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : 2;
    const threads = setting > 0 ? Math.floor(setting) : Math.max(1, Math.min(8, cores));
    session?.dispose();
    let sup: TrainerSupervisor;
    const entry = context.asAbsolutePath(path.join('dist', 'trainer.js'));
    // the panel's dataset pick of a model without a section is the starter's choice, with its
    // arguments (`Spiral(classes=4)`); a resumed run keeps the settings it started with
    const trainerOverrides = resume
      ? {}
      : {
          ...startOverrides(
            plan.starter ? { ...overrides, dataset: undefined } : overrides,
            info.trains,
          ),
          ...(plan.starter
            ? { dataset: { name: plan.starter.choice.dataset, args: plan.starter.choice.args } }
            : {}),
        };
    const request = {
      workspaceRoot: root,
      modelPath: target.uri.fsPath,
      model: m,
      overrides: trainerOverrides,
      threads,
      stepEventInterval: 50,
      ...(resume ? { resumeFrom: resume.checkpoint } : {}),
    };
    output.appendLine('');
    for (const l of startLines(request, { execPath: process.execPath, entry, cwd: root }))
      output.appendLine(l);
    try {
      sup = new TrainerSupervisor({ entry, cwd: root });
    } catch (err) {
      post({
        type: 'failure',
        failure: { kind: 'crash', message: `could not start the trainer: ${String(err)}` },
      });
      return;
    }
    const config = trainView(train);
    const uri = target.uri;
    session = new Session(
      sup,
      uri,
      m,
      root,
      (send) => new DashboardFeed({ model: m, config, modelPath: uri.fsPath }, send),
      (msg) => {
        if (target?.uri.toString() === uri.toString() && target.model === m) post(msg);
      },
      (e) => {
        sendHistory();
        syncActive();
        if (e.type === 'finished') void announceEnd(uri, m, e);
      },
      (e) => {
        for (const l of eventLines(e)) output.appendLine(l);
      },
    );
    syncActive();
    post({ type: 'reset' });
    try {
      await sup.ready;
      sup.start(request);
    } catch (err) {
      // the supervisor turns an exit into an `error` event; this covers a failed handshake
      output.appendLine(`[start] ${String(err)}`);
      if (sup.stderr) output.appendLine(sup.stderr.slice(-2000));
      syncActive();
      if (!session.ended)
        post({
          type: 'failure',
          failure: {
            kind: 'crash',
            message: `the trainer did not start: ${err instanceof Error ? err.message : String(err)}`,
            ...(sup.stderr ? { detail: sup.stderr.slice(-2000) } : {}),
          },
        });
    }
  };

  /**
   * When a run finishes, say so outside the panel: the best checkpoint, and buttons to export
   * the model with its weights or reveal the run folder. `dlm._trainingEnded` returns the last
   * announcement (tests).
   */
  const announceEnd = async (
    uri: vscode.Uri,
    model: string,
    e: Extract<TrainerEvent, { type: 'finished' }>,
  ): Promise<void> => {
    const best = findCheckpoint(e.runDir, 'best', rootOf(uri));
    const how =
      e.reason === 'early_stopping'
        ? 'early-stopped'
        : e.reason === 'stopped'
          ? 'stopped'
          : 'finished training';
    const bestText =
      e.bestEpoch !== undefined
        ? `best epoch ${e.bestEpoch + 1}${e.bestValLoss !== undefined ? ` (validation loss ${e.bestValLoss.toPrecision(4)})` : ''}`
        : 'no best epoch yet';
    const text = `DLM: ${model} ${how} after ${e.epoch} epoch${e.epoch === 1 ? '' : 's'}; ${bestText}${best ? `: ${vscode.workspace.asRelativePath(best)}` : ''}.`;
    lastAnnouncement = { text, runDir: e.runDir, buttons: [...END_BUTTONS] };
    const choice = await vscode.window.showInformationMessage(text, ...END_BUTTONS);
    if (choice === 'Export ONNX')
      await vscode.commands.executeCommand('dlm.exportOnnx', uri, model, e.runDir);
    else if (choice === 'Export PyTorch')
      await vscode.commands.executeCommand('dlm.exportPytorch', uri, model, e.runDir);
    else if (choice === 'Reveal run')
      await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(e.runDir));
  };
  let lastAnnouncement: { text: string; runDir: string; buttons: string[] } | undefined;

  /** Resume a run of the History from its last checkpoint (as `dlm train --resume RUN`). */
  const resumeRun = async (runId: string): Promise<void> => {
    if (!target) return;
    let point: ResumePoint;
    try {
      point = resumePoint(rootOf(target.uri), path.basename(runId));
    } catch (err) {
      post({
        type: 'failure',
        failure: { kind: 'config', message: `Cannot resume ${runId}: ${(err as Error).message}` },
      });
      return;
    }
    await start({}, point.model ?? target.model, false, point);
  };

  /** "Add train section": write the starter section after the model, then show it. */
  const addTrainSection = async (model: string, datasetPick?: string): Promise<boolean> => {
    if (!target) return false;
    const uri = target.uri;
    const info = await getTrain(uri).catch(() => undefined);
    const plan = info && trainPlan(info, model, datasetPick);
    if (!plan?.starter) return false;
    const doc = await vscode.workspace.openTextDocument(uri);
    const at = doc.positionAt(plan.starter.s.insertAt);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, at, `\n\n${plan.starter.choice.section.trimEnd()}`);
    if (!(await vscode.workspace.applyEdit(edit))) return false;
    const ed = await vscode.window.showTextDocument(doc, {
      viewColumn: vscode.ViewColumn.One,
      preserveFocus: false,
    });
    const start = doc.positionAt(plan.starter.s.insertAt + 2);
    ed.revealRange(new vscode.Range(start, start));
    return true;
  };

  /**
   * Neuron maps of a finished run (its trainer has exited): a short-lived trainer compiles the
   * model again and answers from the run's last checkpoint (last.safetensors, or a legacy
   * last.ckpt).
   */
  let neuronsBusy = false;
  const neuronsOfFinishedRun = async (runId: string, layer: string | undefined): Promise<void> => {
    if (!target || neuronsBusy) return;
    const notice = (message: string) =>
      post({ type: 'notice', level: 'error', message, topic: 'neurons' });
    if (!vscode.workspace.isTrusted) return notice(`Neuron maps: ${UNTRUSTED}`);
    const root = rootOf(target.uri);
    const dir = path.join(root, RUNS_DIR, path.basename(runId));
    const checkpoint = findCheckpoint(dir, 'last', root);
    let cfg: { model?: string; modelPath?: string; train?: { data?: CallOverride } };
    try {
      cfg = JSON.parse(
        new ConfinedFs(root).readText(path.join(dir, 'config.json'), MAX_CONFIG_BYTES),
      ) as typeof cfg;
    } catch {
      return notice(`Neuron maps: ${runId} has no readable config.json.`);
    }
    if (!checkpoint || !cfg.model || !cfg.modelPath)
      return notice(`Neuron maps: ${runId} has no checkpoint (${LAST_CHECKPOINT}) to load.`);
    neuronsBusy = true;
    let sup: TrainerSupervisor | undefined;
    try {
      sup = new TrainerSupervisor({
        entry: context.asAbsolutePath(path.join('dist', 'trainer.js')),
        cwd: root,
      });
      await sup.ready;
      const reply = new Promise<TrainerEvent>((resolve) => {
        sup!.onEvent((e) => {
          if (e.type === 'neurons' || e.type === 'error') resolve(e);
        });
        setTimeout(
          () =>
            resolve({
              type: 'error',
              v: 1,
              kind: 'internal',
              message: 'Neuron maps: the trainer did not answer within 2 minutes.',
              fatal: false,
            }),
          120_000,
        ).unref();
      });
      sup.send({
        type: 'neurons',
        ...(layer ? { layer } : {}),
        from: {
          workspaceRoot: root,
          modelPath: path.resolve(root, cfg.modelPath),
          model: cfg.model,
          checkpoint,
          ...(cfg.train?.data ? { dataset: cfg.train.data } : {}),
        },
      });
      const e = await reply;
      if (e.type === 'neurons') {
        const { v: _v, ...rest } = e;
        post({ ...rest, runId });
      } else if (e.type === 'error') notice(e.message);
    } catch (err) {
      notice(`Neuron maps: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      neuronsBusy = false;
      await sup?.shutdown().catch(() => undefined);
    }
  };

  const onMessage = async (m: DashboardToHost): Promise<void> => {
    switch (m.type) {
      case 'ready':
        return onReady();
      case 'start':
        return start(m.overrides, m.model);
      case 'pause':
      case 'resume':
      case 'stop': {
        const s = session;
        if (!s?.active || s.feed.runId !== m.runId) return;
        try {
          if (m.type === 'pause') s.sup.pause();
          else if (m.type === 'resume') s.sup.resume();
          else s.sup.stop();
        } catch (err) {
          post({ type: 'notice', level: 'error', message: String(err) });
        }
        return;
      }
      case 'request-curves': {
        if (!target) return;
        const root = rootOf(target.uri);
        const runs = runsOf(root);
        for (const id of m.runIds) {
          const r = runs.find((x) => x.id === id);
          if (!r) continue;
          post({
            type: 'run-curves',
            runId: id,
            epochs: curvesOf(metricsOf(r.dir, root)),
          });
        }
        return;
      }
      case 'open-config': {
        if (!target) return;
        const file = path.join(rootOf(target.uri), RUNS_DIR, path.basename(m.runId), 'config.json');
        if (!existsSync(file)) {
          post({ type: 'notice', level: 'error', message: `${m.runId} has no config.json` });
          return;
        }
        await vscode.window.showTextDocument(vscode.Uri.file(file), {
          viewColumn: vscode.ViewColumn.One,
          preview: true,
        });
        return;
      }
      case 'export-onnx': {
        if (!target) return;
        const runDir = path.join(rootOf(target.uri), RUNS_DIR, path.basename(m.runId));
        const commands = await vscode.commands.getCommands(true);
        if (!commands.includes('dlm.exportOnnx')) {
          post({
            type: 'failure',
            failure: { kind: 'export', message: 'ONNX export is not available in this build.' },
          });
          return;
        }
        try {
          await vscode.commands.executeCommand('dlm.exportOnnx', target.uri, target.model, runDir);
          sendHistory();
        } catch (err) {
          post({
            type: 'failure',
            failure: { kind: 'export', message: err instanceof Error ? err.message : String(err) },
          });
        }
        return;
      }
      case 'request-neurons': {
        const s = session;
        if (s?.active && s.feed.runId === m.runId) {
          // the run in progress answers with its current parameters (DashboardFeed forwards it)
          try {
            s.sup.send({ type: 'neurons', ...(m.layer ? { layer: m.layer } : {}) });
          } catch (err) {
            post({ type: 'notice', level: 'error', message: String(err) });
          }
          return;
        }
        return neuronsOfFinishedRun(m.runId, m.layer);
      }
      case 'log':
        output.appendLine(`[webview ${m.level}] ${m.message}`);
        return;
      case 'resume-run':
        return resumeRun(m.runId);
      case 'add-train-section':
        if (await addTrainSection(m.model, m.dataset)) await sendInit();
        return;
    }
  };

  const attach = (p: vscode.WebviewPanel): vscode.WebviewPanel => {
    panel = p;
    ready = false;
    p.webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(context.extensionUri, 'media'),
      ],
    };
    p.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'dlm-icon.svg');
    p.webview.html = panelPage(DASHBOARD_PAGE, p.webview, context.extensionUri);
    const subs = [
      p.webview.onDidReceiveMessage((m: DashboardToHost) => {
        onMessage(m).catch((err: unknown) => output.appendLine(`[${m.type}] ${String(err)}`));
      }),
      // a hidden webview is destroyed (no retainContextWhenHidden); it posts `ready` when shown
      p.onDidChangeViewState(() => {
        if (!p.visible) ready = false;
      }),
      p.onDidDispose(() => {
        if (panel === p) {
          panel = undefined;
          ready = false;
        }
        subs.forEach((s) => s.dispose());
      }),
    ];
    return p;
  };

  const show = (t: Target): vscode.WebviewPanel => {
    const same = target?.uri.toString() === t.uri.toString() && target.model === t.model;
    target = t;
    if (!panel) {
      attach(
        vscode.window.createWebviewPanel(
          TRAINING_VIEW_TYPE,
          `Train: ${t.model ?? path.basename(t.uri.fsPath)}`,
          { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
          { enableScripts: true, retainContextWhenHidden: false },
        ),
      );
    } else {
      panel.title = `Train: ${t.model ?? path.basename(t.uri.fsPath)}`;
      panel.reveal(undefined, true);
      // the same model again: its file may have changed (a train section added), so the panel
      // gets the model's current settings and datasets
      if (ready) void (same ? sendInit() : onReady());
    }
    return panel!;
  };

  const resolveTarget = async (arg?: unknown, model?: unknown): Promise<Target | undefined> => {
    const editor = vscode.window.activeTextEditor;
    let uri: vscode.Uri | undefined;
    if (arg instanceof vscode.Uri) uri = arg;
    else if (typeof arg === 'string') uri = vscode.Uri.parse(arg);
    else if (
      editor &&
      (editor.document.languageId === 'dlm' || editor.document.uri.path.endsWith('.dlm'))
    )
      uri = editor.document.uri;
    if (!uri) return undefined;
    if (typeof model === 'string') return { uri, model };
    const info = await getTrain(uri).catch(() => undefined);
    const m =
      (info && modelAtCursor(info, uri)) ?? info?.trains[0]?.model ?? info?.starters?.[0]?.model;
    return { uri, ...(m ? { model: m } : {}) };
  };

  const trainCmd = vscode.commands.registerCommand(
    'dlm.train',
    /** `opts` (tests, scripts): overrides for this run over the panel's saved ones. */
    async (arg?: unknown, model?: unknown, opts?: DashOverrides) => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window
          .showWarningMessage(`DLM: ${UNTRUSTED}`, 'Manage Workspace Trust')
          .then((c) => {
            if (c) void vscode.commands.executeCommand('workbench.trust.manage');
          });
        return 'untrusted';
      }
      const t = await resolveTarget(arg, model);
      if (!t) {
        void vscode.window.showInformationMessage(
          'DLM: open a .dlm file with a train section to train it.',
        );
        return undefined;
      }
      show(t);
      if (session?.active)
        return { model: session.model, runId: session.feed.runId, running: true };
      const saved = context.workspaceState.get<DashOverrides>('dlm.training.overrides') ?? {};
      const overrides: DashOverrides =
        opts && typeof opts === 'object' ? { ...saved, ...opts } : saved;
      // start once the webview listens, so it sees the run from the first message
      if (!ready)
        await new Promise<void>((resolve) => {
          const started = Date.now();
          const tick = setInterval(() => {
            if (ready || Date.now() - started > 10_000) {
              clearInterval(tick);
              resolve();
            }
          }, 50);
        });
      await start(overrides, t.model, overrides === saved);
      return { model: t.model, runId: session?.feed.runId, running: !!session?.active };
    },
  );

  const stopCmd = vscode.commands.registerCommand('dlm.stopTraining', () => {
    if (!session?.active) {
      void vscode.window.showInformationMessage('DLM: no training run is in progress.');
      return false;
    }
    try {
      session.sup.stop();
    } catch {
      session.dispose();
    }
    return true;
  });

  // Runs trained elsewhere (an exported train.py's run/ folder) join the run history.
  const importCmd = vscode.commands.registerCommand(
    'dlm.importRun',
    async (folder?: unknown, model?: unknown): Promise<string | undefined> => {
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showErrorMessage(`DLM: Import Run: ${UNTRUSTED}`);
        return undefined;
      }
      const ws = target ? rootOf(target.uri) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (!ws) {
        void vscode.window.showErrorMessage('DLM: Import Run needs an open folder.');
        return undefined;
      }
      let dir = typeof folder === 'string' ? folder : undefined;
      if (!dir) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          openLabel: 'Import run',
          title: 'A run folder with metrics.jsonl (e.g. the run/ folder of an exported train.py)',
        });
        dir = picked?.[0]?.fsPath;
      }
      if (!dir) return undefined;
      try {
        const r = importRun(ws, dir, typeof model === 'string' ? model : undefined);
        output.appendLine(`imported ${r.records} records of ${r.model} from ${dir} into ${r.dir}`);
        sendHistory();
        void vscode.window.showInformationMessage(
          `DLM: imported the ${r.model} run from ${path.basename(dir)}; it is in the History of the training panel.`,
        );
        return r.dir;
      } catch (e) {
        void vscode.window.showErrorMessage(
          `DLM: Import Run: ${e instanceof Error ? e.message : String(e)}`,
        );
        return undefined;
      }
    },
  );

  // Test hook (not in the palette): the current or last run's trainer events.
  const stateCmd = vscode.commands.registerCommand('dlm._trainingState', () =>
    session
      ? {
          model: session.model,
          runId: session.feed.runId,
          runDir: session.feed.runDir,
          status: session.feed.status,
          active: session.active,
          contextKey: trainingActive,
          panelVisible: !!panel?.visible,
          events: [...session.sup.events],
        }
      : undefined,
  );

  // Test hooks (not in the palette): the last end-of-run notification; resume a run.
  const endedCmd = vscode.commands.registerCommand('dlm._trainingEnded', () => lastAnnouncement);
  const resumeCmd = vscode.commands.registerCommand('dlm._resumeRun', async (runId: string) => {
    await resumeRun(runId);
    return { model: session?.model, runId: session?.feed.runId, running: !!session?.active };
  });

  const serializer = vscode.window.registerWebviewPanelSerializer(TRAINING_VIEW_TYPE, {
    async deserializeWebviewPanel(p: vscode.WebviewPanel, state: unknown) {
      restoredState = (state ?? {}) as Partial<DashboardViewState>;
      if (panel && panel !== p) panel.dispose();
      if (restoredState.uri)
        target = {
          uri: vscode.Uri.parse(restoredState.uri),
          ...(restoredState.model ? { model: restoredState.model } : {}),
        };
      attach(p);
    },
  });

  const disposable = vscode.Disposable.from(
    trainCmd,
    stopCmd,
    importCmd,
    stateCmd,
    endedCmd,
    resumeCmd,
    serializer,
    output,
    {
      dispose: () => {
        session?.dispose();
        session = undefined;
        syncActive();
        panel?.dispose();
      },
    },
  );
  context.subscriptions.push(disposable);
  return disposable;
}
