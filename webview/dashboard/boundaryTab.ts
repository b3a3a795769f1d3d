/**
 * The Boundary tab: the decision boundary of a model with two input features, redrawn at most
 * once per animation frame, and per-neuron maps of a hidden layer over the same plane.
 */
import type {
  DashboardToHost,
  DashDatasetInfo,
  DashNeuronLayer,
  HostToDashboard,
} from '../protocol';
import { button, labelled, select } from '../controls';
import { BoundaryView } from './boundary';
import { onFrame } from './charts';
import { h, setOptions } from './dom';
import type { RunData } from './run';

export interface BoundaryContext {
  run(): RunData | undefined;
  post(m: DashboardToHost): void;
  /** The layer chosen for neuron maps (persisted with the view state). */
  neuronLayer(): string | undefined;
  setNeuronLayer(layer: string | undefined): void;
  /** Whether the tab is showing (draws wait until it is). */
  visible(): boolean;
}

export interface BoundaryTab {
  /** A new run: its classes, whether it has two input features, its hidden layers. */
  start(dataset: DashDatasetInfo, layers: readonly DashNeuronLayer[]): void;
  /** A boundary message: coalesced, drawn on the next frame. */
  boundary(m: Extract<HostToDashboard, { type: 'boundary' }>): void;
  neurons(m: Extract<HostToDashboard, { type: 'neurons' }>): void;
  /** A notice about the neuron maps (no checkpoint, …). */
  neuronNotice(text: string): void;
  clear(): void;
  draw(): void;
}

export function boundaryTab(panel: HTMLElement, ctx: BoundaryContext): BoundaryTab {
  const note = h(
    'p',
    { id: 'boundary-note', class: 'muted empty-note' },
    'The decision boundary appears for datasets with two input features once training starts.',
  );
  const picker = select({ id: 'neuron-layer', 'aria-label': 'Layer for neuron maps' });
  const title = 'Show each unit’s activation over the plane';
  const neuronBtn = button('Show neuron maps', {
    id: 'neuron-maps-btn',
    title,
    'aria-label': title,
  });
  const status = h('span', { id: 'neuron-status', class: 'muted', 'aria-live': 'polite' });
  const tools = h('div', { class: 'chart-tools' }, labelled('Layer', picker), neuronBtn, status);
  const view = new BoundaryView(panel);
  panel.prepend(note, tools);
  panel.appendChild(view.neurons);

  let layers: readonly DashNeuronLayer[] = [];
  /** The layer picker: hidden layers of the run (default: the first activation layer). */
  function fillLayers(ls: readonly DashNeuronLayer[]): void {
    layers = ls;
    const names = ls.map((l) => l.name);
    const first = ls.find((l) => / after /.test(l.label)) ?? ls[0];
    const chosen = ctx.neuronLayer();
    setOptions(
      picker,
      ls.map((l) => ({
        value: l.name,
        label: l.units ? `${l.name} · ${l.label} · ${l.units} units` : l.name,
        title: l.label,
      })),
      chosen && names.includes(chosen) ? chosen : first?.name,
    );
    neuronBtn.toggleAttribute('disabled', ls.length === 0);
    status.textContent = ls.length
      ? ''
      : 'Neuron maps need a compiled .dlm model with a hidden layer.';
  }

  neuronBtn.addEventListener('click', () => {
    const r = ctx.run();
    if (!r) return;
    const layer = (picker as unknown as { value: string }).value || undefined;
    ctx.setNeuronLayer(layer);
    status.textContent =
      r.status === 'running' || r.status === 'paused'
        ? 'Computing the maps with the current weights…'
        : 'Loading the run’s last checkpoint…';
    ctx.post({ type: 'request-neurons', runId: r.runId, ...(layer ? { layer } : {}) });
  });

  let pending: Extract<HostToDashboard, { type: 'boundary' }> | undefined;
  function flush(): void {
    const b = pending;
    pending = undefined;
    if (!b) return;
    note.hidden = true;
    tools.hidden = false;
    view.update(b.grid, b.points, `Epoch ${b.epoch} · step ${b.step}`);
    if (ctx.visible()) view.draw();
  }

  return {
    start(dataset, ls) {
      view.clear();
      view.setClasses(dataset.classNames ?? []);
      const twoD = dataset.xShape.length === 1 && dataset.xShape[0] === 2;
      note.hidden = twoD;
      tools.hidden = !twoD;
      if (!twoD)
        note.textContent = `No decision boundary: ${dataset.name} has inputs of shape [${dataset.xShape.join(', ')}]; the boundary needs two input features.`;
      fillLayers(ls);
    },
    boundary(m) {
      if (!pending) onFrame(flush);
      // keep the points of an earlier message that was coalesced away
      pending = m.points || !pending?.points ? m : { ...m, points: pending.points };
    },
    neurons(m) {
      if (m.layers.length && m.layers.join() !== layers.map((l) => l.name).join())
        fillLayers(m.layers.map((name) => ({ name, label: name, units: 0 })));
      status.textContent = '';
      view.drawNeurons(m.layer, m.grid, {
        step: m.step,
        ...(m.label ? { label: m.label } : {}),
        ...(m.units !== undefined ? { units: m.units } : {}),
      });
    },
    neuronNotice(text) {
      status.textContent = text;
    },
    clear: () => view.clear(),
    draw: () => view.draw(),
  };
}
