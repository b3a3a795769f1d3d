/**
 * The layer catalog: every built-in layer by name. Hover, completion, docs/layers.md and the
 * checker all read it from here.
 */
import type { Shape } from '../core';
import type { Code } from '../core/codes';
import { resolveAttrs, type AttrIssue } from './attrs';
import * as A from './activation';
import { MultiHeadAttention, TransformerEncoder } from './attention';
import { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d } from './conv';
import { Dense } from './dense';
import { Embedding, PaddingMask, PositionalEncoding } from './embedding';
import { Expand, Parameter } from './learned';
import { Add, Concat, Multiply, Reparameterize } from './merge';
import {
  BatchNorm1d,
  BatchNorm2d,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  LayerNorm,
} from './norm';
import * as P from './pool';
import { GRU, LSTM, SimpleRNN } from './recurrent';
import { Dropout } from './regularization';
import { Flatten, Identity, Mean, Permute, RepeatVector, Reshape, Select } from './shape';
import {
  ShapeError,
  describeValue,
  type IssueOpts,
  type LayerDef,
  type LayerResult,
  type LayerWarning,
  type AttrValue,
} from './types';

/** In catalog order: family by family, as decision 0001 and the docs list them. */
const ALL: readonly LayerDef[] = [
  Dense,
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  P.MaxPool1d,
  P.MaxPool2d,
  P.AvgPool1d,
  P.AvgPool2d,
  P.GlobalAvgPool,
  P.GlobalMaxPool,
  P.AdaptiveAvgPool2d,
  P.Upsample,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  Dropout,
  Embedding,
  PaddingMask,
  PositionalEncoding,
  SimpleRNN,
  LSTM,
  GRU,
  MultiHeadAttention,
  TransformerEncoder,
  A.ReLU,
  A.ReLU6,
  A.Hardtanh,
  A.Hardsigmoid,
  A.Hardswish,
  A.Mish,
  A.LeakyReLU,
  A.PReLU,
  A.ELU,
  A.GELU,
  A.SiLU,
  A.Sigmoid,
  A.Tanh,
  A.Softplus,
  A.Softmax,
  A.LogSoftmax,
  Flatten,
  Reshape,
  Permute,
  Identity,
  Mean,
  Select,
  RepeatVector,
  Add,
  Multiply,
  Concat,
  Expand,
  Reparameterize,
  Parameter,
];

export const LAYERS: ReadonlyMap<string, LayerDef> = new Map(ALL.map((d) => [d.name, d]));

export function getLayer(name: string): LayerDef | undefined {
  return LAYERS.get(name);
}

/** All layer names, in catalog order. */
export function layerNames(): string[] {
  return [...LAYERS.keys()];
}

export interface LayerRun {
  /** Undefined when an attribute error or a ShapeError prevented inference. */
  readonly result?: LayerResult;
  readonly error?: ShapeError;
  readonly attrErrors: readonly AttrIssue[];
  readonly warnings: readonly LayerWarning[];
}

/**
 * Resolve the arguments and run a layer's shape rule on concrete input shapes: the whole
 * pipeline for one call, for tools and tests. Non-ShapeError exceptions propagate (bugs).
 */
export function runLayer(
  def: LayerDef,
  inputs: readonly Shape[],
  positional: readonly AttrValue[] = [],
  keyword: Readonly<Record<string, AttrValue>> = {},
): LayerRun {
  const { attrs, errors } = resolveAttrs(
    def,
    positional.map((value) => ({ value })),
    Object.entries(keyword).map(([name, value]) => ({ name, value })),
  );
  const warnings: LayerWarning[] = [];
  if (errors.length) return { attrErrors: errors, warnings };
  try {
    const args = [
      ...positional.map(describeValue),
      ...Object.entries(keyword).map(([k, v]) => `${k}=${describeValue(v)}`),
    ];
    const result = def.infer({
      inputs,
      attrs,
      call: args.length ? `${def.name}(${args.join(', ')})` : def.name,
      warn: (code: Code, message: string, opts?: IssueOpts) =>
        warnings.push({ code, message, opts }),
    });
    return { result, attrErrors: [], warnings };
  } catch (e) {
    if (e instanceof ShapeError) return { error: e, attrErrors: [], warnings };
    throw e;
  }
}

/** Trainable and non-trainable parameter counts of a result. */
export function countParams(result: LayerResult): { trainable: number; nonTrainable: number } {
  let trainable = 0;
  let nonTrainable = 0;
  for (const p of result.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.trainable) trainable += n;
    else nonTrainable += n;
  }
  return { trainable, nonTrainable };
}
