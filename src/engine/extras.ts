/**
 * The dashboard's visual extras, computed in the trainer child next to the training loop:
 *
 * - `boundary`: for 2-feature classification data, class probabilities on a 48×48 grid over the
 *   data's bounding box (+10% margin), from the eval graph's model output (`output:<name>`) run at
 *   a fixed grid batch in a session created once; programs whose eval graph has no model output
 *   (the hand-written reference) fall back to the export graph with the current params. Points (a
 *   subsample of ≤ 600 train and validation samples) go with the first boundary only. Throttled
 *   to ≤ 4 per second, except for the first epoch's and the run's final boundary.
 * - `confusion`: the validation confusion matrix after every validation pass (classification).
 * - `histograms`: a 30-bin histogram of every parameter tensor, every epoch, with the dead ReLUs
 *   of every ReLU layer: units whose output is exactly 0 for every sample of a fixed probe batch
 *   (≤ 256 samples spread evenly over the validation set, or the train set without one), from a
 *   probe graph that returns the ReLU outputs (src/engine/probe.ts). Such a unit gets no gradient
 *   from any of these samples, so it has stopped learning.
 * - `neurons` (on request, 2-feature inputs): the output of every unit of one hidden layer over
 *   the boundary's grid, from the probe graph at the grid's batch; at most 64 units are sent.
 *
 * Field names match the dashboard messages (webview/protocol.ts, via trainingFeed.ts
 * `ExtraEvent`): `epoch` in these events is 1-based (epochs completed, or the epoch in progress),
 * unlike the 0-based `epoch` of `step`/`epoch` events.
 */
import * as ort from 'onnxruntime-node';
import { product, type Dataset, type Split } from './datasets';
import type { ProbeLayer } from './probe';
import type { StepProgram } from './program';
import type {
  DashDeadRelu,
  DashGrid,
  DashHistogram,
  DashNeuronLayer,
} from '../../webview/protocol';

type Feeds = Record<string, ort.Tensor>;
export type ExtraEmit = (
  e:
    | { type: 'boundary'; step: number; epoch: number; grid: DashGrid; points?: Points }
    | { type: 'confusion'; epoch: number; classes: string[]; matrix: number[][] }
    | {
        type: 'histograms';
        step: number;
        weights: DashHistogram[];
        deadRelu?: DashDeadRelu[];
        probeSamples?: number;
      }
    | {
        type: 'neurons';
        layer: string;
        layers: string[];
        step: number;
        grid: DashGrid;
        units: number;
        label: string;
      },
  log: boolean,
) => void;

interface Points {
  x: number[];
  y: number[];
  label: number[];
  validation: boolean[];
}

export const GRID = 48;
export const HIST_BINS = 30;
const MAX_POINTS = 600;
/** Minimum milliseconds between two boundary events (≤ 4 per second). */
export const BOUNDARY_INTERVAL_MS = 250;
/** Samples in the dead-ReLU probe batch. */
export const PROBE_SAMPLES = 256;
/**
 * At most this many ReLU output values per probe run (16 Mi floats, 64 MB): large conv nets run
 * the probe batch in chunks of fewer samples (the liveness is accumulated over the chunks).
 */
export const PROBE_CHUNK_VALUES = 1 << 24;
/** Units per neuron-map reply (the first ones of the layer). */
export const MAX_NEURON_MAPS = 64;

const round3 = (v: number): number => Math.round(v * 1000) / 1000;
const round4s = (v: number): number => (Number.isFinite(v) ? +v.toPrecision(4) : 0);

/**
 * Dead units of one layer's output `d` ([n, ...sampleShape], C order): a unit (an index along
 * `unitAxis` of the sample shape) is dead when every value of it is exactly 0 over all n samples.
 */
export function deadUnits(
  d: ArrayLike<number>,
  n: number,
  sampleShape: readonly number[],
  unitAxis: number,
  alive?: Uint8Array,
): Uint8Array {
  const units = sampleShape[unitAxis] ?? 1;
  const inner = sampleShape.slice(unitAxis + 1).reduce((a, b) => a * b, 1);
  const outer = sampleShape.slice(0, unitAxis).reduce((a, b) => a * b, 1);
  const live = alive ?? new Uint8Array(units);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < outer; o++)
      for (let u = 0; u < units; u++) {
        if (live[u]) continue;
        const base = ((s * outer + o) * units + u) * inner;
        for (let i = 0; i < inner; i++)
          if (d[base + i] !== 0) {
            live[u] = 1;
            break;
          }
      }
  return live;
}

/** Logits (or probabilities) per row → probabilities, in place. */
export function toProbabilities(v: Float32Array, rows: number, channels: number): Float32Array {
  if (channels === 1) {
    let probs = true;
    for (let i = 0; i < rows; i++) if (!(v[i]! >= 0 && v[i]! <= 1)) probs = false;
    if (!probs) for (let i = 0; i < rows; i++) v[i] = 1 / (1 + Math.exp(-v[i]!));
    return v;
  }
  // already a distribution (a model ending in Softmax)? then keep it
  let probs = true;
  for (let r = 0; r < rows && probs; r++) {
    let s = 0;
    for (let c = 0; c < channels; c++) {
      const p = v[r * channels + c]!;
      if (!(p >= 0)) probs = false;
      s += p;
    }
    if (Math.abs(s - 1) > 1e-3) probs = false;
  }
  if (probs) return v;
  for (let r = 0; r < rows; r++) {
    const o = r * channels;
    let m = -Infinity;
    for (let c = 0; c < channels; c++) m = Math.max(m, v[o + c]!);
    let s = 0;
    for (let c = 0; c < channels; c++) {
      const e = Math.exp(v[o + c]! - m);
      v[o + c] = e;
      s += e;
    }
    for (let c = 0; c < channels; c++) v[o + c] = v[o + c]! / s;
  }
  return v;
}

/** Equal-width histogram over [min, max]. */
export function histogram(name: string, d: ArrayLike<number>, bins = HIST_BINS): DashHistogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) return { name, min: 0, max: 0, counts: new Array<number>(bins).fill(0) };
  const counts = new Array<number>(bins).fill(0);
  const w = max - min;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) continue;
    const b = w > 0 ? Math.min(bins - 1, Math.floor(((v - min) / w) * bins)) : 0;
    counts[b]!++;
  }
  return { name, min, max, counts };
}

/** Rows of the model output for `x` (n samples), with the current params. */
interface Predictor {
  run(x: Float32Array, n: number, params: Feeds): Promise<Float32Array>;
  release(): Promise<void>;
}

/** The eval graph at a fixed batch (session created once); the model output `name`. */
class EvalPredictor implements Predictor {
  private session: ort.InferenceSession | undefined;
  private readonly x: Float32Array;
  private readonly feeds: Feeds = {};
  constructor(
    private readonly program: StepProgram,
    private readonly output: string,
    private readonly batch: number,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {
    const { x, y } = program.inputs;
    const fx = product(x.sampleShape);
    this.x = new Float32Array(batch * fx);
    this.feeds[x.name] = new ort.Tensor('float32', this.x, [batch, ...x.sampleShape]);
    if (y) {
      const n = batch * product(y.sampleShape);
      const data =
        y.dtype === 'int64'
          ? new BigInt64Array(n)
          : y.dtype === 'int32'
            ? new Int32Array(n)
            : new Float32Array(n);
      this.feeds[y.name] = new ort.Tensor(y.dtype, data, [batch, ...y.sampleShape]);
    }
  }
  async run(x: Float32Array, n: number, params: Feeds): Promise<Float32Array> {
    this.session ??= await ort.InferenceSession.create(
      this.program.eval.graph(this.batch),
      this.options,
    );
    const fx = this.x.length / this.batch;
    let out: Float32Array | undefined;
    let channels = 0;
    for (let s = 0; s < n; s += this.batch) {
      const b = Math.min(this.batch, n - s);
      this.x.fill(0);
      this.x.set(x.subarray(s * fx, (s + b) * fx));
      for (const p of this.program.params) this.feeds[p.name] = params[p.name]!;
      const r = await this.session.run(this.feeds);
      const o = r[this.output];
      if (!o) throw new Error(`the eval graph has no output '${this.output}'`);
      const d = o.data as Float32Array;
      channels ||= d.length / this.batch;
      out ??= new Float32Array(n * channels);
      out.set(d.subarray(0, b * channels), s * channels);
    }
    return out ?? new Float32Array(0);
  }
  async release(): Promise<void> {
    await this.session?.release();
  }
}

/** The export graph with the current params baked in (a session per call: small models only). */
class ExportPredictor implements Predictor {
  constructor(
    private readonly program: StepProgram,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {}
  async run(x: Float32Array, n: number, params: Feeds): Promise<Float32Array> {
    const values = new Map<string, Float32Array>();
    for (const p of this.program.params) values.set(p.name, params[p.name]!.data as Float32Array);
    const s = await ort.InferenceSession.create(this.program.exportGraph!(values), this.options);
    try {
      const xs = this.program.inputs.x.sampleShape;
      const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [n, ...xs]) });
      return r[s.outputNames[0]!]!.data as Float32Array;
    } finally {
      await s.release();
    }
  }
  async release(): Promise<void> {}
}

/** The model-output names of an eval graph, if the program declares them (the compiler does). */
function evalOutputs(p: StepProgram): readonly string[] {
  const o = (p.eval as { outputs?: unknown }).outputs;
  return Array.isArray(o) ? o.filter((x): x is string => typeof x === 'string') : [];
}

export class Extras {
  private predictor: Predictor | undefined;
  private readonly classification: boolean;
  private readonly classes: number;
  private readonly classNames: string[];
  private readonly boundaryOn: boolean;
  private bounds: { x0: number; x1: number; y0: number; y1: number } | undefined;
  private gridX: Float32Array | undefined;
  private pointsSent = false;
  private lastBoundary = -Infinity;
  private lastBoundaryStep = -1;
  private readonly outputName: string | undefined;
  /** Confusion counts of the validation pass in progress (from the eval graph's output). */
  private conf: number[][] | undefined;
  /** Probe-graph sessions by batch and layer set. */
  private readonly probes = new Map<string, Promise<ort.InferenceSession>>();
  private probeX: { x: Float32Array; n: number } | undefined;
  private readonly twoD: boolean;

  constructor(
    private readonly program: StepProgram,
    private readonly dataset: Dataset,
    private readonly split: Split,
    private readonly options: ort.InferenceSession.SessionOptions,
    private readonly emit: ExtraEmit,
  ) {
    this.classification = dataset.task === 'classification' && (dataset.classes ?? 0) >= 2;
    this.classes = dataset.classes ?? 0;
    this.classNames = Array.from(
      { length: this.classes },
      (_, i) => dataset.classNames?.[i] ?? String(i),
    );
    this.outputName = evalOutputs(program)[0];
    const twoD = product(split.train.xShape) === 2 && product(program.inputs.x.sampleShape) === 2;
    this.twoD = twoD;
    const canPredict = this.outputName !== undefined || program.exportGraph !== undefined;
    this.boundaryOn = this.classification && twoD && canPredict;
    if (this.outputName !== undefined)
      this.predictor = new EvalPredictor(program, this.outputName, GRID * GRID, options);
    else if (program.exportGraph) this.predictor = new ExportPredictor(program, options);
  }

  get hasBoundary(): boolean {
    return this.boundaryOn;
  }

  private grid(): { x: Float32Array; b: { x0: number; x1: number; y0: number; y1: number } } {
    if (!this.gridX || !this.bounds) {
      let x0 = Infinity;
      let x1 = -Infinity;
      let y0 = Infinity;
      let y1 = -Infinity;
      for (const d of [this.split.train, this.split.validation]) {
        if (!d) continue;
        for (let i = 0; i < d.n; i++) {
          const a = d.x[2 * i]!;
          const b = d.x[2 * i + 1]!;
          if (a < x0) x0 = a;
          if (a > x1) x1 = a;
          if (b < y0) y0 = b;
          if (b > y1) y1 = b;
        }
      }
      if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
      if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
      const mx = 0.1 * (x1 - x0);
      const my = 0.1 * (y1 - y0);
      this.bounds = { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
      const g = new Float32Array(GRID * GRID * 2);
      const { x0: gx0, x1: gx1, y0: gy0, y1: gy1 } = this.bounds;
      for (let iy = 0; iy < GRID; iy++)
        for (let ix = 0; ix < GRID; ix++) {
          const k = iy * GRID + ix;
          g[2 * k] = gx0 + ((ix + 0.5) / GRID) * (gx1 - gx0);
          g[2 * k + 1] = gy0 + ((iy + 0.5) / GRID) * (gy1 - gy0);
        }
      this.gridX = g;
    }
    return { x: this.gridX, b: this.bounds };
  }

  private points(): Points {
    const parts: { d: Dataset; val: boolean }[] = [{ d: this.split.train, val: false }];
    if (this.split.validation) parts.push({ d: this.split.validation, val: true });
    const total = parts.reduce((a, p) => a + p.d.n, 0);
    const stride = Math.max(1, Math.ceil(total / MAX_POINTS));
    const out: Points = { x: [], y: [], label: [], validation: [] };
    let k = 0;
    for (const { d, val } of parts)
      for (let i = 0; i < d.n; i++, k++) {
        if (k % stride !== 0) continue;
        out.x.push(round3(d.x[2 * i]!));
        out.y.push(round3(d.x[2 * i + 1]!));
        out.label.push(Number(d.y[i]));
        out.validation.push(val);
      }
    return out;
  }

  /** Is a boundary due now (throttle), for a mid-epoch update? */
  boundaryDue(now = performance.now()): boolean {
    return this.boundaryOn && now - this.lastBoundary >= BOUNDARY_INTERVAL_MS;
  }

  /**
   * Emit a boundary for the current params. `force` ignores the throttle (first epoch, end of
   * the run); `log` also writes it to metrics.jsonl (the first one and the final one).
   */
  async boundary(
    params: Feeds,
    step: number,
    epoch: number,
    opts: { force?: boolean; log?: boolean } = {},
  ): Promise<void> {
    if (!this.boundaryOn || !this.predictor) return;
    if (step === this.lastBoundaryStep && !opts.log) return;
    const now = performance.now();
    if (!opts.force && now - this.lastBoundary < BOUNDARY_INTERVAL_MS) return;
    const { x, b } = this.grid();
    const n = GRID * GRID;
    const raw = await this.predictor.run(x, n, params);
    const channels = raw.length / n;
    if (!Number.isInteger(channels) || channels < 1) return;
    const probs = toProbabilities(raw, n, channels);
    const values = Array.from(probs, (v) => (Number.isFinite(v) ? round3(v) : 0));
    const first = !this.pointsSent;
    this.pointsSent = true;
    this.lastBoundary = performance.now();
    this.lastBoundaryStep = step;
    this.emit(
      {
        type: 'boundary',
        step,
        epoch,
        grid: { ...b, nx: GRID, ny: GRID, channels, values },
        ...(first ? { points: this.points() } : {}),
      },
      first || opts.log === true,
    );
  }

  /** Start a validation pass. */
  beginValidation(): void {
    this.conf = this.classification
      ? Array.from({ length: this.classes }, () => new Array<number>(this.classes).fill(0))
      : undefined;
  }

  /** One eval batch of the validation pass: rows `s..e` of the validation set. */
  validationBatch(out: ort.InferenceSession.OnnxValueMapType, val: Dataset, s: number, e: number) {
    if (!this.conf || !this.outputName) return;
    const o = out[this.outputName];
    if (!o) return;
    this.count(o.data as Float32Array, val, s, e);
  }

  private count(d: Float32Array, val: Dataset, s: number, e: number): void {
    const conf = this.conf!;
    const b = e - s;
    const ch = Math.floor(d.length / Math.max(1, b)) || 1;
    for (let i = 0; i < b; i++) {
      let pred: number;
      if (ch === 1) pred = d[i]! > (d[i]! >= 0 && d[i]! <= 1 ? 0.5 : 0) ? 1 : 0;
      else {
        pred = 0;
        for (let c = 1; c < ch; c++) if (d[i * ch + c]! > d[i * ch + pred]!) pred = c;
      }
      const actual = Number(val.y[s + i]);
      if (conf[actual] && pred < this.classes) conf[actual][pred]!++;
    }
  }

  /** End of the validation pass: emit the confusion matrix (`epoch` 1-based). */
  async endValidation(params: Feeds, val: Dataset, epoch: number): Promise<void> {
    const conf = this.conf;
    this.conf = undefined;
    if (!conf) return;
    let total = 0;
    for (const r of conf) for (const v of r) total += v;
    if (total === 0 && this.predictor instanceof ExportPredictor) {
      // no model output in the eval graph: predict the validation set with the export graph
      this.conf = conf;
      const d = await this.predictor.run(val.x, val.n, params);
      this.count(d, val, 0, val.n);
      this.conf = undefined;
      total = val.n;
    }
    if (total === 0) return;
    this.emit({ type: 'confusion', epoch, classes: this.classNames, matrix: conf }, true);
  }

  /** Weight histograms of every parameter tensor, with the dead ReLUs of every ReLU layer. */
  async histograms(params: Feeds, step: number): Promise<void> {
    const weights = this.program.params.map((p) =>
      histogram(p.name, params[p.name]!.data as Float32Array),
    );
    const dead = await this.deadRelus(params);
    if (weights.length || dead)
      this.emit(
        {
          type: 'histograms',
          step,
          weights,
          ...(dead ? { deadRelu: dead.entries, probeSamples: dead.samples } : {}),
        },
        true,
      );
  }

  /** The ReLU layers of the model (none without a probe graph). */
  get reluLayers(): readonly ProbeLayer[] {
    return this.program.probe?.layers.filter((l) => l.relu) ?? [];
  }

  /**
   * Layers per-neuron maps can show: vector-output hidden layers of a model with two input
   * features (none for other inputs or without a probe graph).
   */
  get neuronLayers(): DashNeuronLayer[] {
    if (!this.twoD || !this.program.probe) return [];
    return this.program.probe.layers
      .filter((l) => l.sampleShape.length === 1)
      .map(({ name, label, units }) => ({ name, label, units }));
  }

  private probeSession(batch: number, layers: readonly string[]): Promise<ort.InferenceSession> {
    const key = `${batch}|${layers.join(',')}`;
    let s = this.probes.get(key);
    if (!s) {
      s = ort.InferenceSession.create(this.program.probe!.graph(batch, layers), this.options);
      s.catch(() => this.probes.delete(key));
      this.probes.set(key, s);
    }
    return s;
  }

  /** Run the probe graph on `n` samples (one batch of n) and return its outputs. */
  private async runProbe(
    x: Float32Array,
    n: number,
    layers: readonly ProbeLayer[],
    params: Feeds,
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    const session = await this.probeSession(
      n,
      layers.map((l) => l.name),
    );
    const xs = this.program.inputs.x;
    const shape = [n, ...xs.sampleShape];
    const feeds: Feeds = {
      [xs.name]:
        xs.dtype === 'int64'
          ? new ort.Tensor(
              'int64',
              BigInt64Array.from(x, (v) => BigInt(Math.trunc(v))),
              shape,
            )
          : new ort.Tensor('float32', x, shape),
    };
    for (const p of this.program.params) feeds[p.name] = params[p.name]!;
    return session.run(feeds);
  }

  /** The fixed probe samples: ≤ 256 spread evenly over the validation (or train) set. */
  private probeSamples(): { x: Float32Array; n: number } {
    if (!this.probeX) {
      const d = this.split.validation?.n ? this.split.validation : this.split.train;
      const fx = product(d.xShape);
      const n = Math.min(d.n, PROBE_SAMPLES);
      const x = new Float32Array(n * fx);
      for (let i = 0; i < n; i++) {
        const src = Math.floor((i * d.n) / n);
        x.set(d.x.subarray(src * fx, (src + 1) * fx), i * fx);
      }
      this.probeX = { x, n };
    }
    return this.probeX;
  }

  /** Dead units of every ReLU layer on the probe batch, or undefined (no ReLU, no probe). */
  async deadRelus(
    params: Feeds,
    chunkValues = PROBE_CHUNK_VALUES,
  ): Promise<{ entries: DashDeadRelu[]; samples: number } | undefined> {
    const relus = this.reluLayers;
    if (!relus.length) return undefined;
    const { x, n } = this.probeSamples();
    if (n === 0) return undefined;
    // chunks of samples whose ReLU outputs together stay under PROBE_CHUNK_VALUES floats
    const perSample = relus.reduce((a, l) => a + product(l.sampleShape), 0);
    const chunk = Math.max(1, Math.min(n, Math.floor(chunkValues / Math.max(1, perSample))));
    const fx = x.length / n;
    const alive = relus.map((l) => new Uint8Array(l.units));
    const buf = chunk < n ? new Float32Array(chunk * fx) : x;
    for (let s = 0; s < n; s += chunk) {
      const b = Math.min(chunk, n - s);
      if (buf !== x) {
        buf.fill(0);
        buf.set(x.subarray(s * fx, (s + b) * fx));
      }
      const out = await this.runProbe(buf, chunk, relus, params);
      relus.forEach((l, k) => {
        const t = out[l.output];
        if (t) deadUnits(t.data as Float32Array, b, l.sampleShape, l.unitAxis, alive[k]);
      });
    }
    const entries = relus.map((l, k): DashDeadRelu => {
      let dead = 0;
      for (const v of alive[k]!) if (!v) dead++;
      return { layer: l.name, label: l.label, units: l.units, dead };
    });
    return { entries, samples: n };
  }

  /**
   * Per-neuron maps of `layer` (default: the first hidden activation layer) over the boundary
   * grid, emitted as a `neurons` event; throws a user-facing Error when maps are not available.
   */
  async neurons(params: Feeds, step: number, layer?: string): Promise<void> {
    const layers = this.neuronLayers;
    if (!layers.length)
      throw new Error(
        !this.twoD
          ? 'per-neuron maps need a model with two input features'
          : 'per-neuron maps need a compiled .dlm model with a hidden layer',
      );
    const probe = this.program.probe!;
    const name =
      layer ??
      probe.layers.find((l) => l.sampleShape.length === 1 && l.activation)?.name ??
      layers[0]!.name;
    const l = probe.layers.find((x) => x.name === name && x.sampleShape.length === 1);
    if (!l)
      throw new Error(
        `no hidden layer '${name}' for neuron maps (layers: ${layers.map((x) => x.name).join(', ')})`,
      );
    const { x, b } = this.grid();
    const n = GRID * GRID;
    const out = await this.runProbe(x, n, [l], params);
    const d = out[l.output]!.data as Float32Array;
    const units = l.units;
    const shown = Math.min(units, MAX_NEURON_MAPS);
    const values = new Array<number>(n * shown);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < shown; c++) values[i * shown + c] = round4s(d[i * units + c]!);
    this.emit(
      {
        type: 'neurons',
        layer: l.name,
        layers: layers.map((x) => x.name),
        step,
        grid: { ...b, nx: GRID, ny: GRID, channels: shown, values },
        units,
        label: l.label,
      },
      false,
    );
  }

  async release(): Promise<void> {
    await this.predictor?.release();
    for (const s of this.probes.values()) await (await s.catch(() => undefined))?.release();
    this.probes.clear();
  }
}
