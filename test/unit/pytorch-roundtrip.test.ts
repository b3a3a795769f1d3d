/**
 * Design here, train there, inspect here again: the spiral example is exported to a PyTorch
 * project, trained by the generated train.py in real torch (Debian's /usr/bin/python3; skipped,
 * saying so, when it has no torch), imported with `dlm import-run` (it then appears in the run
 * history), and `dlm predict` with the imported weights gives torch's own predictions within
 * 1e-5.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { importRun, listRuns } from '../../src/engine/runs';

const root = resolve(__dirname, '../..');
const MAIN = resolve(root, 'src/cli/main.ts');
const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const SKIP = hasTorch ? false : `${PY} has no torch (install Debian's python3-torch)`;

const ws = mkdtempSync(join(tmpdir(), 'dlm-roundtrip-'));
after(() => rmSync(ws, { recursive: true, force: true }));

function dlm(args: string[]): { stdout: string; stderr: string } {
  // Run from the repository (where tsx resolves), on the workspace given as --root.
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args, '--root', ws], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `dlm ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const ROWS = [
  [0.5, 0.2],
  [-0.3, 0.8],
  [0.05, -0.6],
  [-0.7, -0.1],
];

describe('PyTorch round trip: export, train in torch, import, predict', { skip: SKIP }, () => {
  it('predictions with the imported weights equal torch within 1e-5', () => {
    copyFileSync(join(root, 'examples', 'spiral.dlm'), join(ws, 'spiral.dlm'));
    dlm(['export', join(ws, 'spiral.dlm'), '--pytorch', join(ws, 'out')]);
    const t = spawnSync(PY, ['train.py', '--epochs', '2'], {
      cwd: join(ws, 'out'),
      encoding: 'utf8',
    });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^epoch 2\/2 /m);
    const imported = dlm(['import-run', join(ws, 'out', 'run')]);
    assert.match(imported.stderr, /imported \d+ records of SpiralNet into .*\.dlm\/runs\//);
    const runs = listRuns(ws, 'SpiralNet');
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.config?.source, 'pytorch');
    assert.ok(runs[0]!.checkpoints.some((c) => c.endsWith('best.safetensors')));
    assert.equal(runs[0]!.last?.type, 'finished');

    writeFileSync(join(ws, 'in.csv'), 'x1,x2\n' + ROWS.map((r) => r.join(',')).join('\n') + '\n');
    const ours = dlm([
      'predict',
      join(ws, 'spiral.dlm'),
      '--weights',
      runs[0]!.dir,
      '--input',
      join(ws, 'in.csv'),
    ])
      .stdout.trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').slice(1).map(Number));
    const py = spawnSync(
      PY,
      [
        '-c',
        `import json, sys, torch
sys.path.insert(0, "out")
from model import SpiralNet, load_safetensors
m = SpiralNet()
m.load_state_dict(load_safetensors("out/run/best.safetensors"), strict=True)
m.eval()
x = torch.tensor(${JSON.stringify(ROWS)}, dtype=torch.float32)
print(json.dumps(torch.softmax(m(x), -1).tolist()))`,
      ],
      { cwd: ws, encoding: 'utf8' },
    );
    assert.equal(py.status, 0, py.stderr);
    const theirs = JSON.parse(py.stdout) as number[][];
    assert.equal(ours.length, ROWS.length);
    ours.forEach((row, i) =>
      row.forEach((p, j) =>
        assert.ok(Math.abs(p - theirs[i]![j]!) < 1e-5, `row ${i} p_${j}: ${p} vs ${theirs[i]![j]}`),
      ),
    );
  });
});

describe('import-run refuses what is not a run', () => {
  it('a folder without metrics.jsonl, and one without step or epoch records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-notrun-'));
    try {
      assert.throws(() => importRun(ws, dir), /is not a run folder: it has no metrics\.jsonl/);
      writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"started","model":"M"}\n');
      assert.throws(() => importRun(ws, dir), /has no step or epoch records/);
      writeFileSync(join(dir, 'metrics.jsonl'), '{"type":"epoch","epoch":0,"step":3}\n');
      assert.throws(() => importRun(ws, dir), /does not name its model/);
      const r = importRun(ws, dir, 'M');
      assert.equal(r.model, 'M');
      // a damaged checkpoint is refused, naming the file
      writeFileSync(join(dir, 'best.safetensors'), Buffer.from('not a safetensors file'));
      assert.throws(() => importRun(ws, dir, 'M'), /best\.safetensors/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
