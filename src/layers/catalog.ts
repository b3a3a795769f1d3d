/**
 * The layer catalog: every built-in layer by name. Hover, completion, docs/layers.md and the
 * checker all read it from here.
 */
import type { Shape } from '../core';
import type { Code } from '../core/codes';
import { resolveAttrs, type AttrIssue } from './attrs';
import * as activation from './activation';
import * as attention from './attention';
import * as conv from './conv';
import { Dense } from './dense';
import * as embedding from './embedding';
import * as merge from './merge';
import * as norm from './norm';
import * as pool from './pool';
import * as recurrent from './recurrent';
import * as regularization from './regularization';
import * as shape from './shape';
import {
  ShapeError,
  type IssueOpts,
  type LayerDef,
  type LayerResult,
  type LayerWarning,
  type Value,
} from './types';

const isLayerDef = (v: unknown): v is LayerDef =>
  typeof v === 'object' && v !== null && 'infer' in v && 'name' in v && 'attrs' in v;

/** In catalog order: family by family, as the docs list them. */
const ALL: readonly LayerDef[] = [
  Dense,
  ...[
    conv,
    pool,
    norm,
    regularization,
    embedding,
    recurrent,
    attention,
    activation,
    shape,
    merge,
  ].flatMap((m) => Object.values(m).filter(isLayerDef)),
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
  positional: readonly Value[] = [],
  keyword: Readonly<Record<string, Value>> = {},
): LayerRun {
  const { attrs, errors } = resolveAttrs(
    def,
    positional.map((value) => ({ value })),
    Object.entries(keyword).map(([name, value]) => ({ name, value })),
  );
  const warnings: LayerWarning[] = [];
  if (errors.length) return { attrErrors: errors, warnings };
  try {
    const result = def.infer({
      inputs,
      attrs,
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
