/**
 * The training dashboard's entry point (bundled to dist/webview/dashboard.js). A thin renderer of
 * the host's messages (webview/protocol.ts, dashboard section): controls and overrides, live uPlot
 * charts (decimated per pixel, redrawn at most once per animation frame), gradient norms with
 * vanishing/exploding flags, weight histograms and dead ReLUs, the decision boundary of 2-D
 * problems, the confusion matrix, run history with overlays, and a message area for failures.
 * The view state (tab, overrides, overlay, log scale) persists with getState/setState.
 */
import type {
  DashboardTab,
  DashboardToHost,
  DashboardViewState,
  DashDatasetInfo,
  DashDatasetOption,
  DashEpoch,
  DashFailure,
  DashNeuronLayer,
  DashOverrides,
  DashParam,
  DashRunStatus,
  DashRunSummary,
  DashStep,
  DashTrainConfig,
  HostToDashboard,
} from '../protocol';
import { BoundaryView } from './boundary';
import { LineChart, onFrame, perf, rebuildAll, type ChartSource } from './charts';
import { renderConfusion } from './confusion';
import { Series } from './decimate';
import {
  button as vscButton,
  checkbox,
  labelled,
  option,
  select,
  textField,
  withLabel,
} from '../controls';
import { fmt, h, palette } from './dom';
import { EXPLODING, VANISHING, renderGradTable, renderHistograms } from './gradients';
import { renderHistory } from './history';

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

interface RunData {
  runId: string;
  model: string;
  config?: DashTrainConfig;
  dataset?: DashDatasetInfo;
  stepsPerEpoch: number;
  params: DashParam[];
  live: boolean;
  status: DashRunStatus;
  stepLoss: Series;
  stepLr: Series;
  globalGrad: Series;
  grads: Series[];
  latestGrads: (number | undefined)[];
  stepMetrics: Map<string, Series>;
  epochLoss: Series;
  valLoss: Series;
  best: Series;
  epochMetrics: Map<string, Series>;
  lastStep?: DashStep;
  lastEpoch?: DashEpoch;
  bestEpoch?: number;
}

const newRun = (runId: string, model: string): RunData => ({
  runId,
  model,
  stepsPerEpoch: 0,
  params: [],
  live: true,
  status: 'running',
  stepLoss: new Series(),
  stepLr: new Series(),
  globalGrad: new Series(),
  grads: [],
  latestGrads: [],
  stepMetrics: new Map(),
  epochLoss: new Series(),
  valLoss: new Series(),
  best: new Series(),
  epochMetrics: new Map(),
});

let run: RunData | undefined;
let init: Extract<HostToDashboard, { type: 'init' }> | undefined;
let runs: readonly DashRunSummary[] = [];
const overlayCurves = new Map<
  string,
  { loss: Series; val: Series; metrics: Map<string, Series> }
>();
const failures: { failure: DashFailure; runId?: string }[] = [];

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
app.append(toolbar, overridesRow, messages, tabBar, content);

// ------------------------------------------------------------------------------- metrics panel

const metricsPanel = panels.get('metrics')!;
const logToggle = checkbox({ id: 'log-scale' });
const chartTools = h(
  'div',
  { class: 'chart-tools' },
  withLabel(logToggle, 'Log scale (loss)'),
  h('span', { class: 'muted hint' }, 'Drag to zoom · double-click to reset'),
);
const metricsGrid = h('div', { class: 'chart-grid' });
metricsPanel.append(chartTools, metricsGrid);

const overlaySources = (
  pick: (c: { loss: Series; val: Series; metrics: Map<string, Series> }) => [string, Series][],
): ChartSource[] => {
  const out: ChartSource[] = [];
  let k = 0;
  for (const id of view.overlay) {
    const c = overlayCurves.get(id);
    if (!c || id === run?.runId) continue;
    for (const [label, s] of pick(c)) {
      out.push({
        spec: {
          key: `ov:${id}:${label}`,
          label: `${id} ${label}`,
          color: 3 + k,
          dash: [5, 4],
          width: 1.25,
        },
        data: s,
      });
    }
    k++;
  }
  return out;
};

const lossChart = new LineChart(metricsGrid, {
  id: 'chart-loss',
  title: 'Loss',
  xLabel: 'epoch',
  height: 240,
  yLog: () => view.logScale,
  xMin: 0,
  sources: () => {
    const r = run;
    const s: ChartSource[] = [];
    if (r) {
      s.push({
        spec: { key: 'step', label: 'train (per step)', color: 0, alpha: 0.35, width: 1 },
        data: r.stepLoss,
      });
      s.push({
        spec: { key: 'epoch', label: 'train', color: 0, width: 2, points: true },
        data: r.epochLoss,
      });
      s.push({
        spec: { key: 'val', label: 'validation', color: 1, width: 2, points: true },
        data: r.valLoss,
      });
      s.push({ spec: { key: 'best', label: 'best', color: 2, pointsOnly: true }, data: r.best });
    }
    return [...s, ...overlaySources((c) => [['val', c.val.n ? c.val : c.loss]])];
  },
});
const metricChart = new LineChart(metricsGrid, {
  id: 'chart-metrics',
  title: 'Metrics',
  xLabel: 'epoch',
  height: 240,
  xMin: 0,
  sources: () => {
    const r = run;
    const s: ChartSource[] = [];
    if (r) {
      let i = 0;
      const em = [...r.epochMetrics.keys()].sort();
      for (const k of em)
        s.push({
          spec: {
            key: `e:${k}`,
            label: k,
            color: i++ % 3 === 0 && k.startsWith('val') ? 1 : i - 1,
            width: 2,
            points: true,
          },
          data: r.epochMetrics.get(k)!,
        });
      if (!em.length)
        for (const [k, v] of r.stepMetrics)
          s.push({ spec: { key: `s:${k}`, label: k, color: i++, width: 1 }, data: v });
    }
    return [
      ...s,
      ...overlaySources((c) => [...c.metrics.entries()].filter(([k]) => k.startsWith('val'))),
    ];
  },
});
const lrChart = new LineChart(metricsGrid, {
  id: 'chart-lr',
  title: 'Learning rate',
  xLabel: 'epoch',
  height: 160,
  xMin: 0,
  legend: false,
  sources: () =>
    run
      ? [{ spec: { key: 'lr', label: 'learning rate', color: 3, width: 1.5 }, data: run.stepLr }]
      : [],
});

logToggle.addEventListener('change', () => {
  view.logScale = (logToggle as unknown as { checked: boolean }).checked;
  saveState();
  lossChart.invalidate(true);
});

// ----------------------------------------------------------------------------- gradients panel

const gradPanel = panels.get('gradients')!;
const gradSummary = h('div', { id: 'grad-summary', class: 'grad-summary' });
const gradGrid = h('div', { class: 'chart-grid single' });
const gradTableHost = h('div', { class: 'grad-table-host' });
const histHost = h('div', { id: 'histograms', class: 'histograms' });
/** Tensors with vanishing/exploding gradients, ReLU layers more than half dead: flag the tab. */
let gradFlags = 0;
let deadFlags = 0;
gradPanel.append(gradSummary, gradGrid, gradTableHost, histHost);
const gradColor = (i: number): string => {
  const p = palette();
  return p.series[i % p.series.length]!;
};
const gradChart = new LineChart(gradGrid, {
  id: 'chart-grads',
  title: 'Gradient norm per parameter tensor (log scale)',
  xLabel: 'epoch',
  height: 260,
  yLog: true,
  legend: true,
  xMin: 0,
  thresholds: [
    { value: VANISHING, label: 'vanishing 1e-7' },
    { value: EXPLODING, label: 'exploding 1e3' },
  ],
  sources: () => {
    const r = run;
    if (!r) return [];
    const s: ChartSource[] = r.grads.map((g, i) => ({
      spec: {
        key: `g${i}`,
        label: r.params[i]?.name ?? `param ${i}`,
        color: i,
        width: 1.25,
        ...(i >= 6 ? { dash: [4, 3] } : {}),
      },
      data: g,
    }));
    if (r.globalGrad.n)
      s.push({
        spec: { key: 'global', label: 'global', color: palette().fg, width: 2 },
        data: r.globalGrad,
      });
    return s;
  },
});

// ------------------------------------------------------------------------------ boundary panel

const boundaryPanel = panels.get('boundary')!;
const boundaryNote = h(
  'p',
  { id: 'boundary-note', class: 'muted empty-note' },
  'The decision boundary appears for datasets with two input features once training starts.',
);
const neuronLayerPicker = select({
  id: 'neuron-layer',
  'aria-label': 'Layer for neuron maps',
});
const neuronBtn = button(
  'neuron-maps-btn',
  'Show neuron maps',
  'Show each unit’s activation over the plane',
);
const neuronStatus = h('span', { id: 'neuron-status', class: 'muted', 'aria-live': 'polite' });
const boundaryTools = h(
  'div',
  { class: 'chart-tools' },
  labelled('Layer', neuronLayerPicker),
  neuronBtn,
  neuronStatus,
);
const boundary = new BoundaryView(boundaryPanel);
boundaryPanel.prepend(boundaryNote, boundaryTools);
boundaryPanel.appendChild(boundary.neurons);
neuronBtn.addEventListener('click', () => {
  if (!run) return;
  const layer = (neuronLayerPicker as unknown as { value: string }).value || undefined;
  view.neuronLayer = layer;
  saveState();
  neuronStatus.textContent =
    run.status === 'running' || run.status === 'paused'
      ? 'Computing the maps with the current weights…'
      : 'Loading the run’s last checkpoint…';
  post({ type: 'request-neurons', runId: run.runId, ...(layer ? { layer } : {}) });
});
let neuronLayers: readonly DashNeuronLayer[] = [];
/** The layer picker: hidden layers of the run (default: the first activation layer). */
function fillNeuronLayers(layers: readonly DashNeuronLayer[]): void {
  neuronLayers = layers;
  const names = layers.map((l) => l.name);
  const first = layers.find((l) => / after /.test(l.label)) ?? layers[0];
  const selected =
    view.neuronLayer && names.includes(view.neuronLayer) ? view.neuronLayer : first?.name;
  setOptions(
    neuronLayerPicker,
    layers.map((l) => ({
      value: l.name,
      label: l.units ? `${l.name} · ${l.label} · ${l.units} units` : l.name,
      title: l.label,
    })),
    selected,
  );
  neuronBtn.toggleAttribute('disabled', layers.length === 0);
  neuronStatus.textContent = layers.length
    ? ''
    : 'Neuron maps need a compiled .dlm model with a hidden layer.';
}

// ---------------------------------------------------------------------------- confusion/history

const confusionPanel = panels.get('confusion')!;
const confusionHost = h(
  'div',
  { id: 'confusion' },
  h(
    'p',
    { class: 'muted empty-note' },
    'The confusion matrix on the validation set appears after the first epoch of a classification run.',
  ),
);
confusionPanel.appendChild(confusionHost);
const historyPanel = panels.get('history')!;
const historyHost = h('div', { id: 'history' });
historyPanel.appendChild(historyHost);

// --------------------------------------------------------------------------------------- helpers

function setOptions(
  dropdown: HTMLSelectElement,
  options: readonly { value: string; label: string; title?: string }[],
  selected: string | undefined,
): void {
  dropdown.replaceChildren(
    ...options.map((o) => {
      const el = option(o.value, o.label, o.title);
      if (o.value === selected) el.setAttribute('selected', '');
      return el;
    }),
  );
  if (selected !== undefined) (dropdown as unknown as { value: string }).value = selected;
}

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
  for (const c of [lossChart, metricChart, lrChart, gradChart]) c.invalidate();
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
}
defaultsBtn.addEventListener('click', () => {
  view.overrides = {};
  saveState();
  fillOverrides();
});

const isActive = (): boolean =>
  !!run && run.live && (run.status === 'running' || run.status === 'paused');
function updateControls(): void {
  const active = isActive();
  const disabled = init?.disabled;
  const set = (el: HTMLElement, on: boolean): void => {
    if (on) el.removeAttribute('disabled');
    else el.setAttribute('disabled', '');
  };
  set(startBtn, !active && !disabled && !!init);
  set(pauseBtn, active && run?.status === 'running');
  set(resumeBtn, active && run?.status === 'paused');
  resumeBtn.hidden = !(active && run?.status === 'paused');
  pauseBtn.hidden = !resumeBtn.hidden;
  set(stopBtn, active);
  for (const el of [epochsField, batchField, lrField, optimizerPicker, datasetPicker, defaultsBtn])
    set(el, !active);
  document.body.dataset.runStatus = run?.status ?? 'idle';
  if (disabled && !run) statusText.textContent = disabled;
}

function updateStatus(): void {
  const r = run;
  if (!r) {
    statusText.textContent =
      init?.disabled ?? (init?.train ? `Ready to train ${init.train.model}` : 'No train section');
    return;
  }
  const total = r.config?.epochs;
  const parts: string[] = [];
  const e = r.lastEpoch;
  const st = r.lastStep;
  const state: Record<DashRunStatus, string> = {
    running: 'Training',
    paused: 'Paused',
    completed: 'Completed',
    stopped: 'Stopped',
    failed: 'Failed',
    'early-stopped': 'Early-stopped',
  };
  parts.push(`${state[r.status]}${r.live ? '' : ' (from .dlm/runs)'}`);
  if (st)
    parts.push(
      `epoch ${Math.min(total ?? Infinity, Math.floor(st.epoch) + 1)}${total ? `/${total}` : ''}`,
      `step ${st.step}`,
      `loss ${fmt(st.loss)}`,
    );
  else if (e) parts.push(`epoch ${e.epoch}${total ? `/${total}` : ''}`);
  if (e?.valLoss !== undefined) parts.push(`val ${fmt(e.valLoss)}`);
  const acc = e?.metrics.val_accuracy ?? e?.metrics.accuracy;
  if (acc !== undefined) parts.push(`acc ${(acc * 100).toFixed(1)}%`);
  if (r.bestEpoch !== undefined) parts.push(`best epoch ${r.bestEpoch}`);
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
    ...failures.map((f, i) => {
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
        failures.splice(i, 1);
        renderMessages();
      });
      return h(
        'div',
        { class: `msg msg-${x.kind}`, 'data-kind': x.kind },
        h('div', { class: 'msg-body' }, ...lines),
        close,
      );
    }),
  );
  messages.hidden = failures.length === 0;
}

// ---------------------------------------------------------------------------------- run updates

function seriesFor(map: Map<string, Series>, key: string): Series {
  let s = map.get(key);
  if (!s) {
    s = new Series();
    map.set(key, s);
  }
  return s;
}

let gradTableDirty = false;
function onSteps(steps: readonly DashStep[]): void {
  const r = run;
  if (!r) return;
  for (const st of steps) {
    r.stepLoss.push(st.epoch, st.loss);
    if (st.lr !== undefined) r.stepLr.push(st.epoch, st.lr);
    if (st.gradNorm !== undefined) r.globalGrad.push(st.epoch, st.gradNorm);
    if (st.grads) {
      for (let i = 0; i < st.grads.length; i++) {
        const s = (r.grads[i] ??= new Series());
        s.push(st.epoch, st.grads[i]!);
        r.latestGrads[i] = st.grads[i];
      }
    }
    if (st.metrics)
      for (const [k, v] of Object.entries(st.metrics))
        seriesFor(r.stepMetrics, k).push(st.epoch, v);
  }
  const last = steps[steps.length - 1];
  if (last) r.lastStep = last;
  lossChart.invalidate();
  lrChart.invalidate();
  gradChart.invalidate();
  if (!r.epochMetrics.size && r.stepMetrics.size) metricChart.invalidate();
  if (!gradTableDirty) {
    gradTableDirty = true;
    onFrame(() => {
      gradTableDirty = false;
      drawGradTable();
      updateStatus();
    });
  }
}

function drawGradTable(): void {
  const r = run;
  if (!r || !r.grads.length) {
    gradSummary.textContent = r ? 'No per-tensor gradient norms from the trainer yet.' : '';
    gradTableHost.replaceChildren();
    return;
  }
  const params = r.params.length
    ? r.params
    : r.grads.map((_, i) => ({ name: `param ${i}`, shape: [] }));
  const { vanishing, exploding } = renderGradTable(gradTableHost, params, r.latestGrads, gradColor);
  gradSummary.textContent =
    vanishing || exploding
      ? `${vanishing} tensor(s) with vanishing gradients (< 1e-7), ${exploding} exploding (> 1e3)`
      : `All ${params.length} parameter tensors have gradient norms in [1e-7, 1e3]`;
  gradSummary.className = `grad-summary${vanishing || exploding ? ' warn' : ''}`;
  gradFlags = vanishing + exploding;
  tabButtons.get('gradients')!.classList.toggle('flagged', gradFlags + deadFlags > 0);
}

function onEpoch(e: DashEpoch): void {
  const r = run;
  if (!r) return;
  // x of an epoch's end: (epoch index + 1) on the fractional-epoch axis (epochs count from 1)
  const x = e.epoch;
  r.epochLoss.push(x, e.trainLoss);
  if (e.valLoss !== undefined) r.valLoss.push(x, e.valLoss);
  for (const [k, v] of Object.entries(e.metrics)) seriesFor(r.epochMetrics, k).push(x, v);
  if (e.best) {
    r.best.clear();
    r.best.push(x, e.valLoss ?? e.trainLoss);
    r.bestEpoch = e.epoch;
  }
  r.lastEpoch = e;
  lossChart.invalidate();
  metricChart.invalidate();
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
  failures.splice(
    0,
    failures.length,
    ...failures.filter((f) => f.runId === undefined && f.failure.kind === 'untrusted'),
  );
  if (m.dataset.relabelled)
    failures.push({
      failure: { kind: 'relabelled', message: m.dataset.relabelled.message },
      runId: m.runId,
    });
  renderMessages();
  boundary.clear();
  boundary.setClasses(m.dataset.classNames ?? []);
  const twoD = m.dataset.xShape.length === 1 && m.dataset.xShape[0] === 2;
  boundaryNote.hidden = twoD;
  boundaryTools.hidden = !twoD;
  if (!twoD)
    boundaryNote.textContent = `No decision boundary: ${m.dataset.name} has inputs of shape [${m.dataset.xShape.join(', ')}]; the boundary needs two input features.`;
  fillNeuronLayers(m.neuronLayers ?? []);
  deadFlags = 0;
  confusionHost.replaceChildren(
    h(
      'p',
      { class: 'muted empty-note' },
      m.dataset.task === 'classification'
        ? 'The confusion matrix appears after the first validation pass.'
        : `No confusion matrix: ${m.dataset.name} is a ${m.dataset.task} task.`,
    ),
  );
  histHost.replaceChildren(
    h('p', { class: 'muted empty-note' }, 'Weight histograms appear when the trainer sends them.'),
  );
  for (const c of [lossChart, metricChart, lrChart, gradChart]) c.invalidate(true);
  drawGradTable();
  updateControls();
  updateStatus();
  drawHistory();
}

function clearAll(): void {
  run = undefined;
  boundary.clear();
  failures.length = 0;
  renderMessages();
  for (const c of [lossChart, metricChart, lrChart, gradChart]) c.invalidate(true);
  drawGradTable();
  histHost.replaceChildren();
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
      lossChart.invalidate();
      metricChart.invalidate();
    },
    openConfig: (id) => post({ type: 'open-config', runId: id }),
    exportOnnx: (id) => post({ type: 'export-onnx', runId: id }),
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
  const model = valueOf(modelPicker) || init?.train?.model;
  post({ type: 'start', ...(model ? { model } : {}), overrides: view.overrides });
  statusText.textContent = 'Starting…';
});
pauseBtn.addEventListener('click', () => {
  if (!run || pauseBtn.hasAttribute('disabled')) return;
  post({ type: 'pause', runId: run.runId });
  statusText.textContent = 'Pausing…';
});
resumeBtn.addEventListener('click', () => {
  if (!run || resumeBtn.hasAttribute('disabled')) return;
  post({ type: 'resume', runId: run.runId });
});
stopBtn.addEventListener('click', () => {
  if (!run || stopBtn.hasAttribute('disabled')) return;
  post({ type: 'stop', runId: run.runId });
  statusText.textContent = 'Stopping…';
});

// -------------------------------------------------------------------------------------- messages

let pendingBoundary: Extract<HostToDashboard, { type: 'boundary' }> | undefined;
let pendingConfusion: Extract<HostToDashboard, { type: 'confusion' }> | undefined;
const matches = (runId: string | undefined): boolean => !!run && runId === run.runId;

function onMessage(m: HostToDashboard): void {
  switch (m.type) {
    case 'init': {
      init = m;
      saveState();
      setOptions(
        modelPicker,
        m.models.map((x) => ({ value: x, label: x })),
        m.train?.model ?? m.models[0],
      );
      modelPicker.hidden = m.models.length < 2;
      fillOverrides();
      if (
        m.disabled &&
        !failures.some((f) => f.failure.kind === 'untrusted') &&
        /trust/i.test(m.disabled)
      ) {
        failures.push({ failure: { kind: 'untrusted', message: m.disabled } });
        renderMessages();
      }
      updateControls();
      updateStatus();
      break;
    }
    case 'reset':
      clearAll();
      break;
    case 'run-started':
      startRun(m);
      break;
    case 'steps':
      if (!matches(m.runId) || !run) break;
      if (m.params) {
        run.params = [...m.params];
        gradChart.invalidate(true);
      }
      onSteps(m.steps);
      break;
    case 'epoch':
      if (matches(m.runId)) onEpoch(m.epoch);
      break;
    case 'histograms':
      if (matches(m.runId)) {
        deadFlags = renderHistograms(histHost, m.step, m.weights, m.deadRelu, m.probeSamples);
        tabButtons.get('gradients')!.classList.toggle('flagged', gradFlags + deadFlags > 0);
      }
      break;
    case 'boundary':
      if (!matches(m.runId)) break;
      if (!pendingBoundary) onFrame(flushBoundary);
      // keep the points of an earlier message that was coalesced away
      pendingBoundary =
        m.points || !pendingBoundary?.points ? m : { ...m, points: pendingBoundary.points };
      break;
    case 'neurons':
      if (!matches(m.runId)) break;
      if (m.layers.length && m.layers.join() !== neuronLayers.map((l) => l.name).join())
        fillNeuronLayers(m.layers.map((name) => ({ name, label: name, units: 0 })));
      neuronStatus.textContent = '';
      boundary.drawNeurons(m.layer, m.grid, {
        step: m.step,
        ...(m.label ? { label: m.label } : {}),
        ...(m.units !== undefined ? { units: m.units } : {}),
      });
      break;
    case 'confusion':
      if (!matches(m.runId)) break;
      if (!pendingConfusion)
        onFrame(() => {
          const c = pendingConfusion;
          pendingConfusion = undefined;
          if (c) renderConfusion(confusionHost, c.classes, c.matrix, c.epoch);
        });
      pendingConfusion = m;
      break;
    case 'checkpoint':
      break;
    case 'status':
      if (!matches(m.runId) || !run) break;
      run.status = m.status;
      updateControls();
      updateStatus();
      break;
    case 'run-ended':
      if (!matches(m.runId) || !run) break;
      run.status = m.status;
      if (m.bestEpoch !== undefined) run.bestEpoch = m.bestEpoch;
      updateControls();
      updateStatus();
      break;
    case 'failure':
      if (m.runId && run && m.runId === run.runId) {
        run.status = 'failed';
        updateControls();
        updateStatus();
      }
      failures.push({ failure: m.failure, ...(m.runId ? { runId: m.runId } : {}) });
      renderMessages();
      break;
    case 'history':
      runs = m.runs;
      for (const id of [...view.overlay])
        if (!runs.some((r) => r.runId === id)) view.overlay.delete(id);
      drawHistory();
      requestCurves();
      break;
    case 'run-curves': {
      const c = { loss: new Series(), val: new Series(), metrics: new Map<string, Series>() };
      for (const e of m.epochs) {
        c.loss.push(e.epoch, e.trainLoss);
        if (e.valLoss !== undefined) c.val.push(e.epoch, e.valLoss);
        for (const [k, v] of Object.entries(e.metrics)) seriesFor(c.metrics, k).push(e.epoch, v);
      }
      overlayCurves.set(m.runId, c);
      lossChart.invalidate();
      metricChart.invalidate();
      break;
    }
    case 'notice':
      statusText.textContent = m.message;
      if (/neuron maps/i.test(m.message)) neuronStatus.textContent = m.message;
      break;
  }
}

function flushBoundary(): void {
  const b = pendingBoundary;
  pendingBoundary = undefined;
  if (!b) return;
  boundaryNote.hidden = true;
  boundaryTools.hidden = false;
  boundary.update(b.grid, b.points, `Epoch ${b.epoch} · step ${b.step}`);
  if (view.tab === 'boundary') boundary.draw();
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
    drawGradTable();
  });
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('resize', () => {
  if (view.tab === 'boundary') onFrame(() => boundary.draw());
});

// ------------------------------------------------------------------------------------------ boot

(logToggle as unknown as { checked: boolean }).checked = view.logScale;
selectTab(view.tab, false);
renderMessages();
drawHistory();
updateControls();
updateStatus();
document.body.dataset.ready = 'true';
post({ type: 'ready' });
