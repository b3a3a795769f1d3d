/**
 * Export checked models with `exportPytorch` and check them in real PyTorch
 * (helpers/torch_export_check.py): strict load, state_dict keys, parameter counts, and the forward
 * pass against our eval graph (onnxruntime) within 1e-5 (absolute plus relative). Shared by the
 * every-example test and the tests of single constructs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dim } from '../../../src/core';
import { initParams } from '../../../src/compiler/init';
import { lowerModel, tiedAliases } from '../../../src/compiler/forward';
import { Graph } from '../../../src/compiler/ir';
import { encode, f32Tensor, i64Tensor } from '../../../src/interop/safetensors';
import { exportPytorch, pyName } from '../../../src/interop/pytorch';
import type { CheckedModel, CheckResult } from '../../../src/language/checked';
import { compile, type Feeds } from './ort';
import { idValues, inputValues } from './lowering';

export const PY = '/usr/bin/python3';

export interface TorchCase {
  readonly id: string;
  readonly model: CheckedModel;
  /** The state_dict keys PyTorch must have: our parameter names plus tied aliases. */
  readonly names: string[];
}

/** Lower, run in onnxruntime, export and write one case directory under `dir`. */
export async function writeTorchCase(
  dir: string,
  id: string,
  check: CheckResult,
  model: CheckedModel,
  /** Input k's values instead of the generated ones (ids: fed as int64), e.g. padded ids. */
  given: Readonly<Record<number, { readonly data: number[]; readonly ids: boolean }>> = {},
): Promise<TorchCase> {
  const dims: Record<string, number> = { B: 2 };
  for (const io of model.inputs)
    for (const d of io.declared ?? [])
      for (const s of (d as Dim).symbols()) if (!(s in dims)) dims[s] = 6;
  const g = new Graph();
  const fw = lowerModel(model, { training: false, dims }, g);
  fw.outputs.forEach((o, k) => g.output(`y${k}`, o.value));
  const values = initParams(
    fw.params.map((p) => ({
      name: p.name,
      shape: p.shape,
      init: p.init,
      trainable: p.trainable,
      zeroRow: p.zeroRow,
    })),
    7,
  );
  const feeds: Feeds = {};
  const io: [string, ReturnType<typeof f32Tensor>][] = [];
  fw.inputs.forEach((inp, k) => {
    const vocab = model.nodes.find(
      (n) => n.def.name === 'Embedding' && n.inputs.includes(model.inputs[k]!.value),
    );
    const data =
      given[k]?.data ??
      (vocab
        ? idValues(inp.value.shape, Number(vocab.attrs['vocab']))
        : inputValues(inp.value.shape, k));
    feeds[inp.name] = data;
    io.push([
      `in:${k}`,
      (given[k]?.ids ?? vocab)
        ? i64Tensor(inp.value.shape, data)
        : f32Tensor(inp.value.shape, Float32Array.from(data)),
    ]);
  });
  fw.params.forEach((p, i) => (feeds[p.name] = values[i]!));
  const r = await compile(g);
  const out = await r.run(feeds);
  await r.release();
  fw.outputs.forEach((o, k) =>
    io.push([`out:${k}`, f32Tensor(o.value.shape, Float32Array.from(out[`y${k}`]!))]),
  );
  const weights = new Map(fw.params.map((p, i) => [p.name, { shape: p.shape, data: values[i]! }]));
  const files = exportPytorch({ check, model: model.name, weights, weightsSource: 'initial' });
  const d = join(dir, id);
  mkdirSync(d);
  for (const [name, bytes] of files) writeFileSync(join(d, name), bytes);
  writeFileSync(join(d, 'io.safetensors'), encode(io));
  writeFileSync(
    join(d, 'meta.json'),
    JSON.stringify({ class: pyName(model.name), inputs: fw.inputs.length }),
  );
  return { id, model, names: [...fw.params.map((p) => p.name), ...tiedAliases(model).keys()] };
}

/** Runs torch_export_check.py on the case directories; one result object per case id. */
export function runTorchCases(
  dir: string,
  cases: readonly TorchCase[],
): Map<string, Record<string, unknown>> {
  const py = spawnSync(
    PY,
    [join(__dirname, 'torch_export_check.py'), ...cases.map((c) => join(dir, c.id))],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (py.status !== 0) throw new Error(`python failed: ${py.stderr}`);
  const results = new Map<string, Record<string, unknown>>();
  for (const line of py.stdout.trim().split('\n')) {
    const r = JSON.parse(line) as Record<string, unknown>;
    results.set(r['case'] as string, r);
  }
  return results;
}
