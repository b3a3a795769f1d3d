/**
 * Test helpers for layer lowerings: a one-stage model from a DLM stage text, and the
 * deterministic inputs and parameter values that test/fixtures/torch/gen_forward.py also uses.
 */
import type { CheckedModel } from '../../../src/language/checked';
import { checkText, memoryHost } from '../../../src/language/program';

/** `model M(x0: [..], x1: [..]) { (x0, x1) |> <stage> }`, checked; throws on diagnostics. */
export function stageModel(stage: string, inputs: readonly (readonly number[])[]): CheckedModel {
  const sig = inputs.map((s, k) => `x${k}: [${s.join(', ')}]`).join(', ');
  const args = inputs.length === 1 ? 'x0' : `(${inputs.map((_, k) => `x${k}`).join(', ')})`;
  return modelFromText(`model M(${sig}) {\n  ${args} |> ${stage}\n}\n`);
}

export function modelFromText(src: string, name?: string): CheckedModel {
  const r = checkText('/t.dlm', src, memoryHost({ '/t.dlm': src }));
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) throw new Error(errs.map((d) => `${d.code} ${d.message}`).join('\n'));
  const m = name ? r.models.find((x) => x.name === name) : r.models[0];
  if (!m) throw new Error('no model');
  return m;
}

/** Input k, element j: 0.9·sin(0.23·j + 0.5 + 1.1·k). */
export function inputValues(shape: readonly number[], k: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, j) => 0.9 * Math.sin(0.23 * j + 0.5 + 1.1 * k));
}

/** Integer ids, element j: (7·j + 3) mod vocab. */
export function idValues(shape: readonly number[], vocab: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, j) => (7 * j + 3) % vocab);
}

/** Parameter `name` (its PyTorch name, no prefix), element j: see gen_forward.py. */
export function paramValues(name: string, shape: readonly number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const c = [...new TextEncoder().encode(name)].reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, (_, j) => {
    const v = Math.sin(0.37 * j + 0.01 * c + 0.3);
    return name.endsWith('running_var') ? 0.6 + 0.4 * v : 0.5 * v;
  });
}

/** The PyTorch-local name of a qualified parameter: `conv2d0.weight` → `weight`. */
export function localName(qualified: string, prefix: string): string {
  return qualified.slice(prefix.length + 1);
}

/** max |a − b| / (atol + rtol·|b|) ≤ 1 means close. Returns the worst ratio and where. */
export function closeness(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rtol: number,
  atol: number,
): { worst: number; at: number; maxAbs: number } {
  let worst = 0;
  let at = -1;
  let maxAbs = 0;
  if (a.length !== b.length) return { worst: Infinity, at: -1, maxAbs: Infinity };
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    const r = d / (atol + rtol * Math.abs(b[i]!));
    maxAbs = Math.max(maxAbs, d);
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  return { worst, at, maxAbs };
}
