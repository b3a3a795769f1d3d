/**
 * `dlm export --pytorch` runs in real PyTorch (Debian's /usr/bin/python3 with torch 1.13; the
 * tests skip, saying so, when it has no torch). For every model of every example (the zoo):
 * the generated model.py loads weights.safetensors with strict=True and no renaming, its
 * state_dict keys are the summary's parameter names, torch counts the summary's parameters, and
 * its forward pass on fixed inputs equals our eval graph (onnxruntime) within 1e-5 (absolute
 * plus relative). All models are checked by one python process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Dim } from '../../src/core';
import { initParams } from '../../src/compiler/init';
import { lowerModel } from '../../src/compiler/forward';
import { Graph } from '../../src/compiler/ir';
import { encode, f32Tensor, i64Tensor } from '../../src/interop/safetensors';
import { exportPytorch, pyName, TORCH_LAYERS } from '../../src/interop/pytorch';
import { LAYERS } from '../../src/layers/catalog';
import type { CheckedModel, CheckResult } from '../../src/language/checked';
import { checkFile } from '../../src/language/program';
import { compile, type Feeds } from './helpers/ort';
import { idValues, inputValues } from './helpers/lowering';

const root = resolve(__dirname, '../..');
const PY = '/usr/bin/python3';
export const hasTorch =
  spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const SKIP = hasTorch ? false : `${PY} has no torch (install Debian's python3-torch)`;

const host = {
  root,
  readFile: (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (p: string) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  },
};

function checkExample(file: string): CheckResult {
  return checkFile(resolve(root, 'examples', file), host as never);
}

interface Case {
  readonly id: string;
  readonly model: CheckedModel;
  readonly names: string[];
}

describe('PyTorch layer table', () => {
  it('covers every catalog layer, and nothing else', () => {
    assert.deepEqual(Object.keys(TORCH_LAYERS).sort(), [...LAYERS.keys()].sort());
    for (const [name, t] of Object.entries(TORCH_LAYERS))
      assert.ok(t.module || t.inline, `${name} has neither a module nor an inline form`);
  });
});

describe('dlm export --pytorch: every example in real PyTorch', { skip: SKIP }, () => {
  let dir = '';
  const cases: Case[] = [];
  const results = new Map<string, Record<string, unknown>>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dlm-pt-'));
    const files = readdirSync(resolve(root, 'examples')).filter((f) => f.endsWith('.dlm'));
    for (const f of files) {
      const check = checkExample(f);
      for (const model of check.models) {
        const id = `${f.replace(/\.dlm$/, '')}-${model.name}`;
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
          })),
          7,
        );
        const feeds: Feeds = {};
        const io: [string, ReturnType<typeof f32Tensor>][] = [];
        fw.inputs.forEach((inp, k) => {
          const vocab = model.nodes.find(
            (n) => n.def.name === 'Embedding' && n.inputs.includes(model.inputs[k]!.value),
          );
          const data = vocab
            ? idValues(inp.value.shape, Number(vocab.attrs['vocab']))
            : inputValues(inp.value.shape, k);
          feeds[inp.name] = data;
          io.push([
            `in:${k}`,
            vocab
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
        const weights = new Map(
          fw.params.map((p, i) => [p.name, { shape: p.shape, data: values[i]! }]),
        );
        const files = exportPytorch({
          check,
          model: model.name,
          weights,
          weightsSource: 'initial',
        });
        const d = join(dir, id);
        mkdirSync(d);
        for (const [name, bytes] of files) writeFileSync(join(d, name), bytes);
        writeFileSync(join(d, 'io.safetensors'), encode(io));
        writeFileSync(
          join(d, 'meta.json'),
          JSON.stringify({ class: pyName(model.name), inputs: fw.inputs.length }),
        );
        cases.push({ id, model, names: fw.params.map((p) => p.name) });
      }
    }
    const py = spawnSync(
      PY,
      [join(__dirname, 'helpers/torch_export_check.py'), ...cases.map((c) => join(dir, c.id))],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    if (py.status !== 0) throw new Error(`python failed: ${py.stderr}`);
    for (const line of py.stdout.trim().split('\n')) {
      const r = JSON.parse(line) as Record<string, unknown>;
      results.set(r['case'] as string, r);
    }
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('checks every example model', () => {
    assert.ok(cases.length >= 17, `only ${cases.length} models`);
    for (const c of cases) {
      const r = results.get(c.id);
      assert.ok(r, `${c.id}: no result`);
      assert.equal(r['error'], undefined, `${c.id}: ${r['error']}`);
      assert.deepEqual(r['keys'], [...c.names].sort(), `${c.id}: state_dict keys`);
      assert.equal(r['trainable'], c.model.totals.trainable, `${c.id}: trainable parameters`);
      assert.equal(r['non_trainable'], c.model.totals.nonTrainable, `${c.id}: non-trainable`);
      assert.ok((r['worst'] as number) <= 1, `${c.id}: forward differs (worst ${r['worst']})`);
    }
  });
});
