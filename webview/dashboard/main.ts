/**
 * The training dashboard's entry point (bundled to dist/webview/dashboard.js): the toolbar,
 * overrides, status and messages, the tab bar, and the dispatch of the host's messages
 * (webview/protocol.ts, dashboard section). The run status, banners and what the controls allow
 * are DashState (state.ts, a pure `apply`, unit-tested in Node); the run's series are RunData
 * (run.ts); each tab renders in its own module: metricsTab.ts, gradientsTab.ts, boundaryTab.ts,
 * confusion.ts and history.ts. The view state (tab, overrides, overlay, log scale, neuron layer)
 * persists with getState/setState.
 */
import type {
  DashboardTab,
  DashboardToHost,
  DashboardViewState,
  DashDatasetOption,
  DashEpoch,
  DashFailure,
  DashOverrides,
  DashRunSummary,
  DashStep,
  HostToDashboard,
} from '../protocol';
import { boundaryTab } from './boundaryTab';
import { onFrame, perf, rebuildAll } from './charts';
import { confusionTab } from './confusion';
import { button as vscButton, labelled, select, textField } from '../controls';
import { fmt, h, setOptions } from './dom';
import { gradientsTab } from './gradientsTab';
import { renderHistory } from './history';
import { metricsTab } from './metricsTab';
import { addEpoch, addSteps, newRun, overlayOf, type OverlayCurves, type RunData } from './run';
import {
  EMPTY_STATE,
  apply,
  canStart,
  isActive as stateActive,
  runStatus,
  type DashEvent,
  type DashState,
} from './state';

interface VsCodeApi {
  postMessage(msg: DashboardToHost): void;
  getState(): unknown;
  setState(state: DashboardViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
declare global {
  interface Window {
    __dashPerf?: typeof perf;
  }
}
const vscode = acquireVsCodeApi();
const post = (m: DashboardToHost): void => vscode.postMessage(m);
window.__dashPerf = perf;

// ---------------------------------------------------------------------------------------- state

const TABS: readonly { id: DashboardTab; label: string }[] = [
  { id: 'metrics', label: 'Metrics' },
  { id: 'gradients', label: 'Gradients' },
  { id: 'boundary', label: 'Boundary' },
  { id: 'confusion', label: 'Confusion' },
  { id: 'history', label: 'History' },
];
const saved = (vscode.getState() ?? {}) as Partial<DashboardViewState>;
const view = {
  tab: (TABS.some((t) => t.id === saved.tab) ? saved.tab : 'metrics') as DashboardTab,
  overrides: { ...(saved.overrides ?? {}) } as DashOverrides,
  overlay: new Set<string>(saved.overlay ?? []),
  logScale: saved.logScale ?? false,
  neuronLayer: saved.neuronLayer,
};
function saveState(): void {
  const uri = init?.uri ?? saved.uri;
  const model = run?.model ?? init?.train?.model ?? saved.model;
  vscode.setState({
    ...(uri ? { uri } : {}),
    ...(model ? { model } : {}),
    tab: view.tab,
    overrides: view.overrides,
    overlay: [...view.overlay],
    logScale: view.logScale,
    ...(view.neuronLayer ? { neuronLayer: view.neuronLayer } : {}),
  });
}

let run: RunData | undefined;
let init: Extract<HostToDashboard, { type: 'init' }> | undefined;
/** Model, run status, banners and what the controls allow: see state.ts. */
let state: DashState = EMPTY_STATE;
function dispatch(m: DashEvent): void {
  state = apply(state, m);
  if (run && state.run?.runId === run.runId) run.status = state.run.status;
}
let runs: readonly DashRunSummary[] = [];
const overlayCurves = new Map<string, OverlayCurves>();

// ------------------------------------------------------------------------------------------ DOM

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
const button = (
  id: string,
  label: string,
  title: string,
  appearance: 'primary' | 'secondary' = 'secondary',
): HTMLButtonElement => vscButton(label, { id, title, 'aria-label': title }, appearance);
const startBtn = button('start', 'Start', 'Start training with these settings', 'primary');
const pauseBtn = button('pause', 'Pause', 'Pause training');
const resumeBtn = button('resume', 'Resume', 'Resume training');
const stopBtn = button('stop', 'Stop', 'Stop training');
const addSectionBtn = button(
  'add-train-section',
  'Add train section',
  'Write a train section with these settings into the file',
);
const starterNote = h('div', { id: 'starter-note', class: 'starter-note muted' });
starterNote.hidden = true;
const modelPicker = select({
  id: 'model-picker',
  title: 'Model',
  'aria-label': 'Model',
});
const statusText = h('span', {
  id: 'status',
  class: 'status',
  role: 'status',
  'aria-live': 'polite',
});
const toolbar = h(
  'div',
  { class: 'toolbar', role: 'toolbar', 'aria-label': 'Training controls' },
  modelPicker,
  startBtn,
  pauseBtn,
  resumeBtn,
  stopBtn,
  addSectionBtn,
  statusText,
);

const field = (id: string, label: string, size = '7'): HTMLInputElement =>
  textField({ id, size, 'aria-label': label });
const epochsField = field('ov-epochs', 'Epochs', '5');
const batchField = field('ov-batch', 'Batch', '5');
const lrField = field('ov-lr', 'Learning rate', '8');
const optimizerPicker = select({
  id: 'ov-optimizer',
  'aria-label': 'Optimizer',
});
const datasetPicker = select({ id: 'ov-dataset', 'aria-label': 'Dataset' });
const defaultsBtn = button('ov-defaults', 'Reset', 'Use the values of the train section');
const overridesRow = h(
  'div',
  { class: 'overrides', role: 'group', 'aria-label': 'Overrides of the train section' },
  labelled('Epochs', epochsField),
  labelled('Batch', batchField),
  labelled('Learning rate', lrField),
  labelled('Optimizer', optimizerPicker),
  labelled('Dataset', datasetPicker),
  defaultsBtn,
);

const messages = h('div', {
  id: 'messages',
  class: 'messages',
  role: 'alert',
  'aria-live': 'assertive',
});

const tabBar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Dashboard views' });
const panels = new Map<DashboardTab, HTMLElement>();
const tabButtons = new Map<DashboardTab, HTMLButtonElement>();
for (const t of TABS) {
  const b = h('button', {
    class: 'tab',
    role: 'tab',
    id: `tab-${t.id}`,
    'aria-controls': `panel-${t.id}`,
    'data-tab': t.id,
  });
  b.textContent = t.label;
  b.addEventListener('click', () => selectTab(t.id, true));
  tabBar.appendChild(b);
  tabButtons.set(t.id, b);
  const p = h('div', {
    class: 'panel',
    role: 'tabpanel',
    id: `panel-${t.id}`,
    'aria-labelledby': `tab-${t.id}`,
  });
  panels.set(t.id, p);
}
tabBar.addEventListener('keydown', (ev) => {
  const i = TABS.findIndex((t) => t.id === view.tab);
  let j = -1;
  if (ev.key === 'ArrowRight') j = (i + 1) % TABS.length;
  else if (ev.key === 'ArrowLeft') j = (i - 1 + TABS.length) % TABS.length;
  else if (ev.key === 'Home') j = 0;
  else if (ev.key === 'End') j = TABS.length - 1;
  if (j < 0) return;
  ev.preventDefault();
  selectTab(TABS[j]!.id, true);
  tabButtons.get(TABS[j]!.id)?.focus();
});

const content = h('div', { class: 'content' }, ...panels.values());
app.append(toolbar, overridesRow, starterNote, messages, tabBar, content);

// ------------------------------------------------------------------------------------------ tabs

const metrics = metricsTab(panels.get('metrics')!, {
  run: () => run,
  overlay: () => view.overlay,
  curves: overlayCurves,
  logScale: () => view.logScale,
  setLogScale: (on) => {
    view.logScale = on;
    saveState();
  },
});
const grads = gradientsTab(panels.get('gradients')!, {
  run: () => run,
  flag: (on) => tabButtons.get('gradients')!.classList.toggle('flagged', on),
});
const boundary = boundaryTab(panels.get('boundary')!, {
  run: () => run,
  post,
  neuronLayer: () => view.neuronLayer,
  setNeuronLayer: (layer) => {
    view.neuronLayer = layer;
    saveState();
  },
  visible: () => view.tab === 'boundary',
});
const confusion = confusionTab(panels.get('confusion')!);
const historyHost = h('div', { id: 'history' });
panels.get('history')!.appendChild(historyHost);
const CHARTS = [metrics.loss, metrics.metrics, metrics.lr, grads.chart];

// --------------------------------------------------------------------------------------- helpers

function selectTab(tab: DashboardTab, save: boolean): void {
  view.tab = tab;
  document.body.dataset.tab = tab;
  for (const [id, b] of tabButtons) {
    const on = id === tab;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;
    panels.get(id)!.hidden = !on;
  }
  if (save) saveState();
  // hidden charts skipped their draws; the ResizeObserver picks them up, this covers the rest
  for (const c of CHARTS) c.invalidate();
  if (tab === 'boundary') onFrame(() => boundary.draw());
}

const valueOf = (el: HTMLElement): string =>
  String((el as unknown as { value?: string }).value ?? '').trim();
const setValue = (el: HTMLElement, v: string): void => {
  (el as unknown as { value: string }).value = v;
};

function readOverrides(): DashOverrides {
  const t = init?.train;
  const num = (el: HTMLElement, int: boolean, base: number | undefined): number | undefined => {
    const s = valueOf(el);
    if (s === '') {
      el.removeAttribute('aria-invalid');
      el.classList.remove('invalid');
      return undefined;
    }
    const v = Number(s);
    const ok = Number.isFinite(v) && v > 0 && (!int || Number.isInteger(v));
    el.classList.toggle('invalid', !ok);
    if (ok) el.removeAttribute('aria-invalid');
    else el.setAttribute('aria-invalid', 'true');
    return ok && v !== base ? v : undefined;
  };
  const o: { -readonly [K in keyof DashOverrides]: DashOverrides[K] } = {};
  const epochs = num(epochsField, true, t?.epochs);
  const batch = num(batchField, true, t?.batch);
  const lr = num(lrField, false, t?.lr);
  if (epochs !== undefined) o.epochs = epochs;
  if (batch !== undefined) o.batch = batch;
  if (lr !== undefined) o.lr = lr;
  const opt = valueOf(optimizerPicker);
  if (opt && opt !== t?.optimizer.name) o.optimizer = opt;
  const ds = valueOf(datasetPicker);
  if (ds && ds !== t?.dataset) o.dataset = ds;
  return o;
}

function fillOverrides(): void {
  const t = init?.train;
  const o = view.overrides;
  setValue(epochsField, String(o.epochs ?? t?.epochs ?? ''));
  setValue(batchField, String(o.batch ?? t?.batch ?? ''));
  setValue(lrField, o.lr !== undefined ? String(o.lr) : t ? String(t.lr) : '');
  const opts = [...(init?.optimizers ?? [])];
  if (t && !opts.includes(t.optimizer.name)) opts.unshift(t.optimizer.name);
  setOptions(
    optimizerPicker,
    opts.map((n) => ({ value: n, label: n })),
    o.optimizer ?? t?.optimizer.name,
  );
  const ds: readonly DashDatasetOption[] = init?.datasets ?? [];
  setOptions(
    datasetPicker,
    ds.map((d) => ({
      value: d.id,
      label: d.kind === 'declaration' ? `${d.label} (this file)` : d.label,
      ...(d.detail ? { title: d.detail } : {}),
    })),
    o.dataset ?? t?.dataset,
  );
}

for (const el of [epochsField, batchField, lrField]) el.addEventListener('input', onOverride);
for (const el of [optimizerPicker, datasetPicker]) el.addEventListener('change', onOverride);
function onOverride(): void {
  view.overrides = readOverrides();
  saveState();
  // new settings: a data problem is for the next Start to find again
  dispatch({ type: 'ui-settings-changed' });
  updateControls();
  updateStatus();
}
defaultsBtn.addEventListener('click', () => {
  view.overrides = {};
  saveState();
  fillOverrides();
});

function updateControls(): void {
  const active = stateActive(state);
  const set = (el: HTMLElement, on: boolean): void => {
    if (on) el.removeAttribute('disabled');
    else el.setAttribute('disabled', '');
  };
  set(startBtn, canStart(state) && !!init);
  startBtn.title = state.dataProblem
    ? `Fix the data problem first: ${state.dataProblem}`
    : 'Start training with these settings';
  addSectionBtn.hidden = !state.starter;
  set(addSectionBtn, !!state.starter && !active);
  starterNote.hidden = !state.starter;
  if (state.starter)
    starterNote.textContent = `${state.starter.model} has no train section in ${state.starter.file}: it trains on the dataset picked below with CrossEntropy or MSE and Adam (the starter settings). Add train section writes them into the file.`;
  set(pauseBtn, active && run?.status === 'running');
  set(resumeBtn, active && run?.status === 'paused');
  resumeBtn.hidden = !(active && run?.status === 'paused');
  pauseBtn.hidden = !resumeBtn.hidden;
  set(stopBtn, active);
  for (const el of [epochsField, batchField, lrField, optimizerPicker, datasetPicker, defaultsBtn])
    set(el, !active);
  document.body.dataset.runStatus = run?.status ?? 'idle';
  document.body.dataset.model = state.model ?? '';
}

function updateStatus(): void {
  const r = run;
  if (!r || !state.run || state.notice) {
    statusText.textContent = runStatus(state, {});
    return;
  }
  const e = r.lastEpoch;
  const st = r.lastStep;
  const parts = [
    runStatus(state, {
      ...(st ? { stepEpoch: st.epoch, step: st.step } : e ? { epochDone: e.epoch } : {}),
    }),
  ];
  if (st) parts.push(`loss ${fmt(st.loss)}`);
  if (e?.valLoss !== undefined) parts.push(`val ${fmt(e.valLoss)}`);
  const acc = e?.metrics.val_accuracy ?? e?.metrics.accuracy;
  if (acc !== undefined) parts.push(`acc ${(acc * 100).toFixed(1)}%`);
  if (state.run.bestEpoch !== undefined) parts.push(`best epoch ${state.run.bestEpoch}`);
  statusText.textContent = parts.join(' · ');
}

// -------------------------------------------------------------------------------------- failures

const FAILURE_TITLE: Record<DashFailure['kind'], string> = {
  data: 'Data problem',
  nan: 'Training diverged (NaN)',
  io: 'Cannot write the run files',
  crash: 'The trainer crashed',
  config: 'Cannot start training',
  untrusted: 'Workspace not trusted',
  export: 'Export failed',
  relabelled: 'Class labels renumbered',
};

function renderMessages(): void {
  messages.replaceChildren(
    ...state.banners.map((f, i) => {
      const x = f.failure;
      const lines: (Node | string)[] = [
        h('div', { class: 'msg-title' }, FAILURE_TITLE[x.kind]),
        h('div', { class: 'msg-text' }, x.message),
      ];
      const facts: string[] = [];
      if (x.parameter) facts.push(`parameter ${x.parameter}`);
      if (x.step !== undefined) facts.push(`step ${x.step}`);
      if (x.epoch !== undefined) facts.push(`epoch ${x.epoch}`);
      if (x.exitCode !== undefined && x.exitCode !== null) facts.push(`exit code ${x.exitCode}`);
      if (x.signal) facts.push(`signal ${x.signal}`);
      if (facts.length) lines.push(h('div', { class: 'msg-facts' }, facts.join(' · ')));
      if (x.suggestion) lines.push(h('div', { class: 'msg-suggestion' }, `Try: ${x.suggestion}`));
      if (x.detail) lines.push(h('pre', { class: 'msg-detail' }, x.detail));
      const close = vscButton(
        '✕',
        { class: 'msg-close', title: 'Dismiss', 'aria-label': 'Dismiss message' },
        'icon',
      );
      close.addEventListener('click', () => {
        dispatch({ type: 'ui-dismiss', index: i });
        renderMessages();
        updateControls();
        updateStatus();
      });
      return h(
        'div',
        { class: `msg msg-${x.kind}`, 'data-kind': x.kind },
        h('div', { class: 'msg-body' }, ...lines),
        close,
      );
    }),
  );
  messages.hidden = state.banners.length === 0;
}

// ---------------------------------------------------------------------------------- run updates

let gradTableDirty = false;
function onSteps(steps: readonly DashStep[]): void {
  const r = run;
  if (!r) return;
  addSteps(r, steps);
  metrics.loss.invalidate();
  metrics.lr.invalidate();
  grads.chart.invalidate();
  if (!r.epochMetrics.size && r.stepMetrics.size) metrics.metrics.invalidate();
  if (!gradTableDirty) {
    gradTableDirty = true;
    onFrame(() => {
      gradTableDirty = false;
      grads.drawTable();
      updateStatus();
    });
  }
}

function onEpoch(e: DashEpoch): void {
  const r = run;
  if (!r) return;
  addEpoch(r, e);
  dispatch({ type: 'epoch', runId: r.runId, epoch: e });
  metrics.loss.invalidate();
  metrics.metrics.invalidate();
  updateStatus();
}

function startRun(m: Extract<HostToDashboard, { type: 'run-started' }>): void {
  run = newRun(m.runId, m.model);
  run.config = m.config;
  run.dataset = m.dataset;
  run.stepsPerEpoch = m.stepsPerEpoch;
  run.params = [...m.params];
  run.live = m.live;
  run.status = m.live ? 'running' : 'completed';
  dispatch(m);
  renderMessages();
  boundary.start(m.dataset, m.neuronLayers ?? []);
  confusion.start(m.dataset);
  grads.start();
  for (const c of CHARTS) c.invalidate(true);
  grads.drawTable();
  updateControls();
  updateStatus();
  drawHistory();
}

function clearAll(): void {
  run = undefined;
  boundary.clear();
  renderMessages();
  for (const c of CHARTS) c.invalidate(true);
  grads.drawTable();
  grads.clear();
  updateControls();
  updateStatus();
}

function drawHistory(): void {
  renderHistory(historyHost, runs, view.overlay, run?.runId, {
    overlay: (id, on) => {
      if (on) view.overlay.add(id);
      else view.overlay.delete(id);
      saveState();
      requestCurves();
      metrics.loss.invalidate();
      metrics.metrics.invalidate();
    },
    openConfig: (id) => post({ type: 'open-config', runId: id }),
    exportOnnx: (id) => post({ type: 'export-onnx', runId: id }),
    resume: (id) => {
      post({ type: 'resume-run', runId: id });
      dispatch({ type: 'ui-note', text: `Resuming ${id}…` });
      updateStatus();
    },
  });
}

function requestCurves(): void {
  const known = new Set(runs.map((r) => r.runId));
  const want = [...view.overlay].filter((id) => !overlayCurves.has(id) && known.has(id));
  if (want.length) post({ type: 'request-curves', runIds: want });
}

// --------------------------------------------------------------------------------------- buttons

startBtn.addEventListener('click', () => {
  if (startBtn.hasAttribute('disabled')) return;
  view.overrides = readOverrides();
  saveState();
  const model = valueOf(modelPicker) || state.model;
  post({ type: 'start', ...(model ? { model } : {}), overrides: view.overrides });
  dispatch({ type: 'ui-note', text: 'Starting…' });
  updateStatus();
});
addSectionBtn.addEventListener('click', () => {
  if (!state.starter || addSectionBtn.hasAttribute('disabled')) return;
  const ds = valueOf(datasetPicker);
  post({ type: 'add-train-section', model: state.starter.model, ...(ds ? { dataset: ds } : {}) });
});
pauseBtn.addEventListener('click', () => {
  if (!run || pauseBtn.hasAttribute('disabled')) return;
  post({ type: 'pause', runId: run.runId });
  dispatch({ type: 'ui-note', text: 'Pausing…' });
  updateStatus();
});
resumeBtn.addEventListener('click', () => {
  if (!run || resumeBtn.hasAttribute('disabled')) return;
  post({ type: 'resume', runId: run.runId });
});
stopBtn.addEventListener('click', () => {
  if (!run || stopBtn.hasAttribute('disabled')) return;
  post({ type: 'stop', runId: run.runId });
  dispatch({ type: 'ui-note', text: 'Stopping…' });
  updateStatus();
});

// -------------------------------------------------------------------------------------- messages

const matches = (runId: string | undefined): boolean => !!run && runId === run.runId;

function onMessage(m: HostToDashboard): void {
  switch (m.type) {
    case 'init': {
      const previous = state;
      init = m;
      dispatch(m);
      // another model or file: its own panel (no run, charts or banners of the previous one)
      if (previous.model !== state.model || previous.uri !== state.uri) clearAll();
      saveState();
      setOptions(
        modelPicker,
        m.models.map((x) => ({ value: x, label: x })),
        state.model ?? m.models[0],
      );
      modelPicker.hidden = m.models.length < 2;
      fillOverrides();
      renderMessages();
      updateControls();
      updateStatus();
      break;
    }
    case 'reset':
      dispatch(m);
      clearAll();
      break;
    case 'run-started':
      startRun(m);
      break;
    case 'steps':
      if (!matches(m.runId) || !run) break;
      if (m.params) {
        run.params = [...m.params];
        grads.chart.invalidate(true);
      }
      onSteps(m.steps);
      break;
    case 'epoch':
      if (matches(m.runId)) onEpoch(m.epoch);
      break;
    case 'histograms':
      if (matches(m.runId)) grads.histograms(m);
      break;
    case 'boundary':
      if (matches(m.runId)) boundary.boundary(m);
      break;
    case 'neurons':
      if (matches(m.runId)) boundary.neurons(m);
      break;
    case 'confusion':
      if (matches(m.runId)) confusion.show(m);
      break;
    case 'checkpoint':
      break;
    case 'status':
    case 'run-ended':
      if (!matches(m.runId) || !run) break;
      dispatch(m);
      updateControls();
      updateStatus();
      break;
    case 'failure':
      dispatch(m);
      updateControls();
      updateStatus();
      renderMessages();
      break;
    case 'history':
      runs = m.runs;
      for (const id of [...view.overlay])
        if (!runs.some((r) => r.runId === id)) view.overlay.delete(id);
      drawHistory();
      requestCurves();
      break;
    case 'run-curves':
      overlayCurves.set(m.runId, overlayOf(m.epochs));
      metrics.loss.invalidate();
      metrics.metrics.invalidate();
      break;
    case 'notice':
      dispatch(m);
      updateStatus();
      if (m.topic === 'neurons') boundary.neuronNotice(m.message);
      break;
  }
}

window.addEventListener('message', (ev: MessageEvent<HostToDashboard>) => {
  const m = ev.data;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
  try {
    onMessage(m);
  } catch (err) {
    post({
      type: 'log',
      level: 'error',
      message: `dashboard: ${m.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    });
  }
});

// theme changes: VS Code swaps the body class and the CSS variables; canvases need a redraw
new MutationObserver(() => {
  rebuildAll();
  onFrame(() => {
    if (view.tab === 'boundary') boundary.draw();
    grads.drawTable();
  });
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('resize', () => {
  if (view.tab === 'boundary') onFrame(() => boundary.draw());
});

// ------------------------------------------------------------------------------------------ boot

metrics.syncLogScale();
selectTab(view.tab, false);
renderMessages();
drawHistory();
updateControls();
updateStatus();
document.body.dataset.ready = 'true';
post({ type: 'ready' });
