/**
 * Sliding-window arithmetic shared by convolutions and pooling (one place for the output-size
 * formula, its errors and its floor warning) and the channels-first layout checks.
 */
import { Dim, type Shape } from '../core';
import { convOutputSize } from '../primitives/conv';
import { ShapeError, formatShapeInline, layoutText, type LayerCtx, type LayerFix } from './types';

export type SpatialRank = 1 | 2 | 3;

const SPATIAL: Record<SpatialRank, readonly string[]> = {
  1: ['L'],
  2: ['H', 'W'],
  3: ['D', 'H', 'W'],
};

/** Axis name → [noun, singular unit, plural unit] for messages. */
const AXIS_WORDS: Record<string, readonly [string, string, string]> = {
  L: ['length', 'position', 'positions'],
  D: ['depth', 'slice', 'slices'],
  H: ['height', 'row', 'rows'],
  W: ['width', 'column', 'columns'],
};

export function spatialAxes(rank: SpatialRank): readonly string[] {
  return SPATIAL[rank];
}

/** `[N, C, H, W]` for rank 2. */
export function channelsFirstLayout(rank: SpatialRank): string {
  return layoutText(['N', 'C', ...SPATIAL[rank]]);
}

const isqrt = (n: number): number | undefined => {
  const r = Math.round(Math.sqrt(n));
  return r * r === n ? r : undefined;
};

/** A Reshape that would turn a flat or channel-less input into `[N, C, spatial...]`. */
function reshapeHint(x: Shape, rank: SpatialRank): string | undefined {
  const rest = x.slice(1).map((d) => d.value);
  if (rest.some((v) => v === undefined)) return undefined;
  const vals = rest as number[];
  if (x.length === rank + 1) return `Reshape((1, ${vals.join(', ')}))`;
  if (x.length === 2) {
    const f = vals[0]!;
    if (rank === 1) return `Reshape((1, ${f}))`;
    if (rank === 2) {
      const s = isqrt(f);
      if (s !== undefined) return `Reshape((1, ${s}, ${s}))`;
      const s3 = f % 3 === 0 ? isqrt(f / 3) : undefined;
      if (s3 !== undefined) return `Reshape((3, ${s3}, ${s3}))`;
    }
  }
  return undefined;
}

/**
 * Require a batched channels-first input `[N, C, spatial...]`; otherwise DLM101, suggesting a
 * Reshape for flat vectors (Conv2d on `[B, 784]` → `Reshape((1, 28, 28))`).
 */
export function requireChannelsFirst(layer: string, x: Shape, rank: SpatialRank): void {
  if (x.length === rank + 2) return;
  const hint = reshapeHint(x, rank);
  const fixes: LayerFix[] = hint
    ? [{ kind: 'insertBefore', text: hint, title: `Insert ${hint} before ${layer}` }]
    : [];
  const advice =
    x.length < rank + 2
      ? hint
        ? `; reshape it first, e.g. ${hint}`
        : `; add the missing axes with Reshape`
      : '';
  throw new ShapeError(
    'DLM101',
    `${layer} expects ${channelsFirstLayout(rank)} (rank ${rank + 2}, channels first), but received ${formatShapeInline(x)} (rank ${x.length})${advice}`,
    { fixes },
  );
}

export interface WindowSpec {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padBefore: number;
  readonly padAfter: number;
  readonly ceilMode?: boolean;
}

const fmtNum = (x: number): string => {
  const r = Math.round(x * 100) / 100;
  return `${r === x ? '=' : '≈'} ${r}`;
};

/** `(224 + 2 − 11)/4 + 1`, the output formula with numbers. */
function formulaText(n: number, w: WindowSpec): string {
  const pad = w.padBefore + w.padAfter;
  const k = w.dilation === 1 ? `${w.kernel}` : `${w.dilation}·${w.kernel - 1} − 1`;
  const body = `${n}${pad ? ` + ${pad}` : ''} − ${k}`;
  return w.stride === 1 ? `${body} + 1` : `(${body})/${w.stride} + 1`;
}

/**
 * Output size of a sliding window on one axis:
 * `out = floor((n + p_before + p_after − d·(k−1) − 1)/s) + 1` (ceil with `ceilMode`, where as in
 * PyTorch the last window must start inside the input or the left padding).
 *
 * Symbolic `n` stays symbolic (with `ceilMode` the last-window correction is applied only to
 * concrete sizes; it never triggers when kernel ≥ stride and there is no padding). Concrete: a non-positive result is DLM102; a floored result that
 * drops real input (not only padding) warns DLM103 and names the input sizes that tile exactly.
 * `call` names the layer in messages as written, e.g. `Conv2d(96, 11, stride=4)`.
 */
export function windowOutput(
  ctx: Pick<LayerCtx, 'warn'>,
  call: string,
  axis: string,
  n: Dim,
  w: WindowSpec,
): Dim {
  const pad = w.padBefore + w.padAfter;
  const eff = w.dilation * (w.kernel - 1) + 1;
  const num = n.add(pad - eff);
  const nv = n.value;
  const [noun, unit, units] = AXIS_WORDS[axis] ?? ['size', 'element', 'elements'];
  if (nv === undefined) return (w.ceilMode ? num.ceilDiv(w.stride) : num.floorDiv(w.stride)).add(1);

  const numV = nv + pad - eff;
  let out = convOutputSize(nv, w.kernel, w.stride, w.padBefore, w.padAfter, w.dilation, w.ceilMode);
  if (w.ceilMode && out > 0 && (out - 1) * w.stride >= nv + w.padBefore) out -= 1;
  const exact = numV / w.stride + 1;
  if (out <= 0) {
    const effText = w.dilation === 1 ? `kernel ${w.kernel}` : `effective kernel d·(k−1)+1 = ${eff}`;
    throw new ShapeError(
      'DLM102',
      `${call} on ${noun} ${nv}: ${formulaText(nv, w)} ${fmtNum(exact)}, so the output ${noun} is ${out} ≤ 0; ` +
        `the ${effText} is larger than the ${pad ? `padded ${noun} ${nv + pad}` : `input ${noun} ${nv}`}`,
    );
  }
  const rem = ((numV % w.stride) + w.stride) % w.stride;
  // The last `rem` positions of the padded input are never covered; only real input matters.
  const dropped = w.ceilMode ? 0 : rem - w.padAfter;
  // With eff < stride the windows leave gaps by design (a strided 1×1 conv subsamples), so
  // trailing input left out is no different from the skipped input in between: no warning.
  if (rem !== 0 && dropped > 0 && eff >= w.stride) {
    const up = nv + (w.stride - rem);
    const down = nv - rem;
    const upOut = out + 1;
    ctx.warn(
      'DLM103',
      `${call} on ${noun} ${nv}: ${formulaText(nv, w)} = ${Math.round(exact * 100) / 100} is floored to ${out}; ` +
        `${dropped} input ${dropped === 1 ? unit : units} ${dropped === 1 ? 'is' : 'are'} dropped. ` +
        `Input size ${up} tiles exactly (${upOut} outputs)${down >= eff - pad && down > 0 ? `, as does ${down} (${out} outputs)` : ''}`,
    );
  }
  return Dim.const(out);
}

/**
 * Transposed-convolution output on one axis (PyTorch):
 * `out = (n−1)·s − 2p + d·(k−1) + output_padding + 1`. Non-positive concrete results are DLM102.
 */
export function transposedOutput(
  call: string,
  axis: string,
  n: Dim,
  w: { kernel: number; stride: number; dilation: number; padding: number; outputPadding: number },
): Dim {
  const out = n
    .sub(1)
    .mul(w.stride)
    .add(-2 * w.padding + w.dilation * (w.kernel - 1) + w.outputPadding + 1);
  const v = out.value;
  const nv = n.value;
  if (v !== undefined && v <= 0) {
    const noun = AXIS_WORDS[axis]?.[0] ?? 'size';
    throw new ShapeError(
      'DLM102',
      `${call} on ${noun} ${nv}: (${nv} − 1)·${w.stride} − 2·${w.padding} + ${w.dilation}·(${w.kernel} − 1) + ${w.outputPadding} + 1 = ${v} ≤ 0; reduce padding`,
      { attr: 'padding' },
    );
  }
  return out;
}
