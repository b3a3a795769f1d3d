/**
 * Hand-built CheckedModel objects for tests of consumers of the checker (summary, CLI), so they
 * do not depend on the parser or the layer catalog.
 */
import { Dim, shape, type Shape } from '../../../src/core';
import type {
  CheckedModel,
  CheckedTrain,
  Group,
  LayerNode,
  ValueInfo,
} from '../../../src/language/checked';
import {
  KEEPS_INPUT,
  KEEPS_OUTPUT,
  type LayerDef,
  type ParamSpec,
  type SavedSpec,
  type AttrValue,
} from '../../../src/layers/types';

/**
 * What these hand-built layers keep for the backward pass, as the catalog layers do
 * (src/layers: Dense, Conv2d and AvgPool2d their input, ReLU and Tanh their output, BatchNorm1d
 * its input and 2·C statistics). Layers not listed keep nothing.
 */
const SAVED: Record<string, SavedSpec> = {
  Dense: KEEPS_INPUT,
  Conv2d: KEEPS_INPUT,
  AvgPool2d: KEEPS_INPUT,
  ReLU: KEEPS_OUTPUT,
  Tanh: KEEPS_OUTPUT,
};

export const FILE = '/ws/models.dlm';
const SPAN = { start: 0, end: 1 };

function fakeDef(name: string): LayerDef {
  return {
    name,
    category: 'dense',
    doc: '',
    summary: '',
    attrs: [],
    positional: [],
    arity: { min: 1, max: 8 },
    infer() {
      throw new Error('fixture layer');
    },
  };
}

export function weight(name: string, dims: number[], trainable = true): ParamSpec {
  return { name, shape: dims, trainable, init: { kind: 'zeros' }, formula: dims.join('·') };
}

/** Builds a model node by node; value ids and node ids are assigned in order. */
export class ModelBuilder {
  readonly values: ValueInfo[] = [];
  readonly nodes: LayerNode[] = [];
  readonly groups: Group[] = [];
  readonly inputs: CheckedModel['inputs'][number][] = [];
  private nextSpan = 0;

  constructor(readonly name: string) {}

  private span(): { start: number; end: number } {
    const s = { start: this.nextSpan, end: this.nextSpan + 1 };
    this.nextSpan += 2;
    return s;
  }

  input(name: string, s: Shape): number {
    const id = this.values.length;
    this.values.push({ id, shape: s, name, file: FILE, span: SPAN });
    this.inputs.push({ name, value: id, declared: s, span: SPAN });
    return id;
  }

  group(
    kind: 'block' | 'repeat',
    label: string,
    parent?: number,
    extra: Partial<Group> = {},
  ): number {
    const id = this.groups.length;
    this.groups.push({
      id,
      kind,
      label,
      ...(kind === 'block' ? { name: label.replace(/\(.*$/, '') } : {}),
      ...(parent !== undefined ? { parent } : {}),
      file: FILE,
      span: this.span(),
      ...extra,
    });
    return id;
  }

  /** Adds a layer; returns its output value id. */
  layer(
    type: string,
    label: string,
    inputs: number | number[],
    out: Shape,
    opts: {
      params?: ParamSpec[];
      macs?: Dim;
      group?: number;
      sharedKey?: string;
      sharedRepeat?: boolean;
      rf?: number[];
      attrs?: Record<string, AttrValue>;
      saved?: SavedSpec;
    } = {},
  ): number {
    const nodeId = this.nodes.length;
    const valueId = this.values.length;
    this.values.push({ id: valueId, shape: out, producer: nodeId, file: FILE, span: SPAN });
    const span = this.span();
    this.nodes.push({
      id: nodeId,
      def: fakeDef(type),
      label,
      file: FILE,
      span,
      nameSpan: span,
      attrs: opts.attrs ?? {},
      inputs: Array.isArray(inputs) ? inputs : [inputs],
      outputs: [valueId],
      params: opts.params ?? [],
      macs: opts.macs ?? Dim.const(0),
      ...((opts.saved ?? SAVED[type]) ? { saved: opts.saved ?? SAVED[type] } : {}),
      frozen: false,
      ...(opts.group !== undefined ? { group: opts.group } : {}),
      ...(opts.sharedKey !== undefined ? { sharedKey: opts.sharedKey } : {}),
      ...(opts.sharedRepeat ? { sharedRepeat: true } : {}),
      ...(opts.rf ? { rf: { size: opts.rf, jump: opts.rf.map(() => 1) } } : {}),
    });
    return valueId;
  }

  build(outputs: number[], extra: Partial<CheckedModel> = {}): CheckedModel {
    const params = this.nodes.filter((n) => !n.sharedRepeat).flatMap((n) => n.params);
    const count = (ps: ParamSpec[]) =>
      ps.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
    return {
      name: this.name,
      file: FILE,
      span: SPAN,
      nameSpan: SPAN,
      inputs: this.inputs,
      outputs: outputs.map((v, i) => ({ name: `out${i}`, value: v, span: SPAN })),
      nodes: this.nodes,
      values: this.values,
      groups: this.groups,
      totals: {
        trainable: count(params.filter((p) => p.trainable)),
        nonTrainable: count(params.filter((p) => !p.trainable)),
        frozen: 0,
        macs: this.nodes.reduce((a, n) => a.add(n.macs), Dim.const(0)),
      },
      ok: true,
      ...extra,
    };
  }
}

const B = Dim.sym('B');

/** Classic LeNet-5 on 32×32: 61,706 parameters, 416,520·B MACs. */
export function lenet(): CheckedModel {
  const m = new ModelBuilder('LeNet');
  let x = m.input('x', shape('B', 1, 32, 32));
  x = m.layer('Conv2d', 'Conv2d(6, 5)', x, shape('B', 6, 28, 28), {
    params: [weight('weight', [6, 1, 5, 5]), weight('bias', [6])],
    macs: B.mul(6 * 28 * 28 * 25),
    rf: [5, 5],
  });
  x = m.layer('Tanh', 'Tanh', x, shape('B', 6, 28, 28));
  x = m.layer('AvgPool2d', 'AvgPool2d(2)', x, shape('B', 6, 14, 14), { rf: [6, 6] });
  x = m.layer('Conv2d', 'Conv2d(16, 5)', x, shape('B', 16, 10, 10), {
    params: [weight('weight', [16, 6, 5, 5]), weight('bias', [16])],
    macs: B.mul(16 * 10 * 10 * 150),
    rf: [14, 14],
  });
  x = m.layer('Tanh', 'Tanh', x, shape('B', 16, 10, 10));
  x = m.layer('AvgPool2d', 'AvgPool2d(2)', x, shape('B', 16, 5, 5), { rf: [16, 16] });
  x = m.layer('Flatten', 'Flatten', x, shape('B', 400));
  x = m.layer('Dense', 'Dense(120)', x, shape('B', 120), {
    params: [weight('weight', [120, 400]), weight('bias', [120])],
    macs: B.mul(48000),
  });
  x = m.layer('Tanh', 'Tanh', x, shape('B', 120));
  x = m.layer('Dense', 'Dense(84)', x, shape('B', 84), {
    params: [weight('weight', [84, 120]), weight('bias', [84])],
    macs: B.mul(10080),
  });
  x = m.layer('Tanh', 'Tanh', x, shape('B', 84));
  x = m.layer('Dense', 'Dense(10)', x, shape('B', 10), {
    params: [weight('weight', [10, 84]), weight('bias', [10])],
    macs: B.mul(840),
  });
  return m.build([x], { receptiveField: [16, 16] });
}

/**
 * A model with a block instance (Dense + BatchNorm1d + residual Add), a `repeat 2` whose
 * iterations are groups, and a tied layer used twice.
 *
 *   x [B, 8] |> Res(8) |> repeat 2 (Dense(8) |> ReLU) |> enc |> ReLU |> enc   (enc = Dense(8))
 */
export function nested(): CheckedModel {
  const m = new ModelBuilder('Nested');
  const x = m.input('x', shape('B', 8));
  const res = m.group('block', 'Res(8)');
  const h1 = m.layer('Dense', 'Dense(8)', x, shape('B', 8), {
    params: [weight('weight', [8, 8]), weight('bias', [8])],
    macs: B.mul(64),
    group: res,
  });
  const h2 = m.layer('BatchNorm1d', 'BatchNorm1d', h1, shape('B', 8), {
    params: [
      weight('weight', [8]),
      weight('bias', [8]),
      weight('running_mean', [8], false),
      weight('running_var', [8], false),
    ],
    macs: B.mul(8),
    group: res,
    saved: { inputs: [0], extraBytes: Dim.const(2 * 8 * 4) },
  });
  let y = m.layer('Add', 'Add', [h2, x], shape('B', 8), { group: res });
  const rep = m.group('repeat', 'repeat 2');
  for (let i = 0; i < 2; i++) {
    const it = m.group('repeat', 'repeat 2', rep, { index: i });
    y = m.layer('Dense', 'Dense(8)', y, shape('B', 8), {
      params: [weight('weight', [8, 8]), weight('bias', [8])],
      macs: B.mul(64),
      group: it,
    });
    y = m.layer('ReLU', 'ReLU', y, shape('B', 8), { group: it });
  }
  y = m.layer('Dense', 'enc: Dense(8)', y, shape('B', 8), {
    params: [weight('weight', [8, 8]), weight('bias', [8])],
    macs: B.mul(64),
    sharedKey: 'enc',
  });
  y = m.layer('ReLU', 'ReLU', y, shape('B', 8));
  y = m.layer('Dense', 'enc: Dense(8)', y, shape('B', 8), {
    params: [weight('weight', [8, 8]), weight('bias', [8])],
    macs: B.mul(64),
    sharedKey: 'enc',
    sharedRepeat: true,
  });
  return m.build([y]);
}

/** A sequence model whose MACs stay symbolic in T. */
export function sequence(): CheckedModel {
  const m = new ModelBuilder('Seq');
  const x = m.input('x', shape('B', 'T', 16));
  const y = m.layer('Dense', 'Dense(4)', x, shape('B', 'T', 4), {
    params: [weight('weight', [4, 16]), weight('bias', [4])],
    macs: B.mul(Dim.sym('T')).mul(64),
  });
  return m.build([y]);
}

export function trainWith(
  name: string,
  args: Record<string, AttrValue> = {},
  batch = 32,
): CheckedTrain {
  return {
    model: 'LeNet',
    file: FILE,
    span: SPAN,
    optimizer: { name, args, span: SPAN },
    epochs: 1,
    batch,
    validation: 0,
    seed: 0,
    l1: 0,
    l2: 0,
    metrics: [],
    shuffle: true,
    dropLast: false,
    target: 'labels',
  };
}
