import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { UsageError, parseArgs, run, type CliIO } from '../../src/cli/main';
import { loadProgram } from '../../src/cli/export';
import { saveCheckpoint } from '../../src/engine/runs';
import { Rng } from '../../src/engine/rng';

const REPO = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
/** tsx by absolute URL, for runs whose current folder is a temporary workspace. */
const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a child process, as a user would (through tsx, no build needed). */
function dlm(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI in-process with captured output. */
function runIn(args: string[], io: Partial<CliIO> = {}): Result {
  let stdout = '';
  let stderr = '';
  const code = run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: REPO,
    env: {},
    isTTY: false,
    ...io,
  });
  return { code, stdout, stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function tmpFile(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const GOOD = `model Tiny(x: [B, 4]) -> [B, 2] {
  x |> Dense(8) |> ReLU |> Dense(2)
}

model Other(x: [B, 3]) -> [B, 1] {
  x |> Dense(1)
}
`;

const BAD = `model Bad(x: [B, 4]) -> [B, 2] {
  x |> Dense(8, in=5) |> Dense(2)
}
`;

describe('parseArgs', () => {
  const specs = [
    { name: 'json', type: 'boolean', help: '' },
    { name: 'batch', type: 'int', help: '' },
    { name: 'style', type: 'string', help: '', choices: ['brackets', 'times'] },
  ] as const;

  it('parses flags, values, = forms and positionals', () => {
    const a = parseArgs(['f.dlm', '--json', '--batch', '8', '--style=times', 'g.dlm'], specs);
    assert.deepEqual(a.positionals, ['f.dlm', 'g.dlm']);
    assert.deepEqual(a.options, { json: true, batch: 8, style: 'times' });
    assert.deepEqual(parseArgs(['--no-json', '--', '--x'], specs), {
      positionals: ['--x'],
      options: { json: false },
    });
  });

  it('rejects bad input with a UsageError', () => {
    assert.throws(() => parseArgs(['--nope'], specs), UsageError);
    assert.throws(() => parseArgs(['--batch'], specs), /needs a value/);
    assert.throws(() => parseArgs(['--batch', 'x'], specs), /positive integer/);
    assert.throws(() => parseArgs(['--batch', '0'], specs), /positive integer/);
    assert.throws(() => parseArgs(['--style', 'round'], specs), /one of brackets, times/);
    assert.throws(() => parseArgs(['--json=yes'], specs), /flag/);
  });
});

describe('dlm (in-process)', () => {
  it('prints help and version', () => {
    const h = runIn(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /Usage: dlm <command>/);
    assert.match(h.stdout, /check\s+Check \.dlm files/);
    assert.match(h.stdout, /train\s+Train a model/);
    assert.doesNotMatch(h.stdout, /not available yet/);
    assert.equal(runIn(['help']).stdout, h.stdout);
    assert.match(runIn(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
    const hs = runIn(['help', 'summary']);
    assert.equal(hs.code, 0);
    assert.match(hs.stdout, /Usage: dlm summary FILE/);
    assert.match(hs.stdout, /--batch N/);
    assert.equal(runIn(['summary', '--help']).stdout, hs.stdout);
  });

  it('exits 2 with usage on unknown commands, options and no arguments', () => {
    const u = runIn(['frobnicate']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown command 'frobnicate'/);
    assert.match(u.stderr, /Usage: dlm <command>/);
    assert.equal(runIn([]).code, 2);
    const o = runIn(['check', '--frob']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /unknown option '--frob'/);
    assert.match(o.stderr, /Usage: dlm check/);
    assert.equal(runIn(['check']).code, 2);
    assert.equal(runIn(['summary', 'a.dlm', '--json', '--markdown']).code, 2);
  });

  it('train, export and predict check their arguments (exit 2)', () => {
    assert.match(runIn(['train', 'x.dlm']).stderr, /cannot read 'x\.dlm'/);
    assert.match(runIn(['export', 'x.dlm']).stderr, /needs --onnx OUT/);
    assert.match(runIn(['predict', 'x.dlm', '--run', 'r']).stderr, /needs --input CSV/);
    for (const cmd of ['train', 'export', 'predict'])
      assert.equal(runIn([cmd, 'x.dlm']).code, 2, cmd);
  });

  it('export --pytorch writes model.py, weights.safetensors, train.py and README.md', () => {
    const out = path.join(tmp, 'pt-spiral');
    const r = runIn(['export', 'examples/spiral.dlm', '--pytorch', out]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of [
      'model.py',
      'weights.safetensors',
      'train.py',
      'README.md',
      'data/x_train.npy',
    ])
      assert.ok(existsSync(path.join(out, f)), f);
    assert.match(readFileSync(path.join(out, 'model.py'), 'utf8'), /class SpiralNet\(nn\.Module\)/);
    const both = runIn(['export', 'examples/spiral.dlm', '--pytorch', out, '--onnx', 'a.onnx']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --onnx OUT or --pytorch OUT_DIR/);
  });

  it('export --pytorch of a model without a train section writes model.py and its weights', () => {
    const out = path.join(tmp, 'pt-lenet');
    const r = runIn(['export', 'examples/lenet5.dlm', '--pytorch', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /no train section: writing model\.py and the weights, without train\.py/,
    );
    for (const f of ['model.py', 'weights.safetensors', 'README.md'])
      assert.ok(existsSync(path.join(out, f)), f);
    assert.ok(!existsSync(path.join(out, 'train.py')));
    // the weights are the model's own parameters, by the summary's names
    const st = readFileSync(path.join(out, 'weights.safetensors'));
    const n = Number(st.readBigUInt64LE(0));
    const header = JSON.parse(st.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
    assert.ok('conv0.weight' in header || Object.keys(header).some((k) => k.endsWith('.weight')));
  });

  it('reports unreadable files with exit 2', () => {
    const r = runIn(['check', path.join(tmp, 'missing.dlm')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read .*missing\.dlm/);
  });

  it('checks a clean temp file: no output, exit 0', () => {
    const f = tmpFile('good.dlm', GOOD);
    const r = runIn(['check', 'good.dlm'], { cwd: tmp });
    assert.equal(r.stdout, '');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^1 file checked: 0 errors, 0 warnings$/m);
    assert.ok(existsSync(f));
  });

  it('checks a broken temp file: file:line:col: severity code message, exit 1', () => {
    tmpFile('bad.dlm', BAD);
    const r = runIn(['check', 'bad.dlm'], { cwd: tmp });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^bad\.dlm:2:\d+: error DLM100 /m);
    assert.match(r.stderr, /1 file checked: 1 error, \d+ warnings?/);
    const j = runIn(['check', 'bad.dlm', '--json'], { cwd: tmp });
    assert.equal(j.code, 1);
    const ds = JSON.parse(j.stdout) as {
      file: string;
      line: number;
      code: string;
      severity: string;
      range: { start: { line: number } };
    }[];
    assert.ok(ds.length >= 1);
    assert.equal(ds[0]!.file, 'bad.dlm');
    assert.equal(ds[0]!.code, 'DLM100');
    assert.equal(ds[0]!.severity, 'error');
    assert.equal(ds[0]!.line, 2);
    assert.equal(ds[0]!.range.start.line, 1);
  });

  it('summarizes every model, or the one named', () => {
    tmpFile('two.dlm', GOOD);
    const all = runIn(['summary', 'two.dlm'], { cwd: tmp });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^Model: Tiny/m);
    assert.match(all.stdout, /^Model: Other/m);
    // Tiny: 4·8+8 + 8·2+2 = 58
    assert.match(all.stdout, /^Total params: 58$/m);
    const one = runIn(['summary', 'two.dlm', '--model', 'Other', '--json'], { cwd: tmp });
    assert.equal(one.code, 0);
    const s = JSON.parse(one.stdout) as {
      schema: string;
      model: string;
      totals: { total: number };
    };
    assert.equal(s.schema, 'dlm.summary/1');
    assert.equal(s.model, 'Other');
    assert.equal(s.totals.total, 4);
    const arr = JSON.parse(runIn(['summary', 'two.dlm', '--json'], { cwd: tmp }).stdout) as {
      file: string;
      rows: { span: { file: string; line: number } }[];
    }[];
    assert.equal(arr.length, 2);
    assert.equal(arr[0]!.file, 'two.dlm');
    assert.equal(arr[0]!.rows[0]!.span.file, 'two.dlm');
    assert.equal(arr[0]!.rows[0]!.span.line, 1);
  });

  it('prints symbolic sizes in the units of their titles', () => {
    // [B, T] token ids (4 bytes each) into a 4-wide embedding, at B = 1
    tmpFile('seq.dlm', 'model S(x: [B, T]) -> [B, T, 4] {\n  x |> Embedding(10, 4)\n}\n');
    const r = runIn(['summary', 'seq.dlm', '--batch', '1'], { cwd: tmp });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Input size \(MB\): 0\.000004·T$/m);
    assert.match(r.stdout, /^Forward activations \(MB\): 0\.000016·T$/m);
    assert.doesNotMatch(r.stdout, /bytes/);
  });

  it('reports counts beyond 2^53 instead of crashing or rounding them', () => {
    // 10^16 activation elements: no exact double, so no summary number.
    tmpFile(
      'huge.dlm',
      'model M(x: [B, 100000000, 100000000]) -> [B, 100000000, 100000000] {\n  x |> ReLU\n}\n',
    );
    const r = runIn(['summary', 'huge.dlm'], { cwd: tmp });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot summarize model M: the size 10000000000000000 is out of range/);
  });

  it('exits 2 on an unknown model name and lists the available ones', () => {
    tmpFile('names.dlm', GOOD);
    const r = runIn(['summary', 'names.dlm', '--model', 'Nope'], { cwd: tmp });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no model 'Nope'.*available: Tiny, Other/);
  });

  it('uses colors only on a terminal without NO_COLOR, or when forced', () => {
    tmpFile('bad2.dlm', BAD);
    const esc = String.fromCharCode(27);
    assert.ok(!runIn(['check', 'bad2.dlm'], { cwd: tmp }).stdout.includes(esc));
    assert.ok(runIn(['check', 'bad2.dlm'], { cwd: tmp, isTTY: true }).stdout.includes(esc));
    const noColor = runIn(['check', 'bad2.dlm'], { cwd: tmp, isTTY: true, env: { NO_COLOR: '1' } });
    assert.ok(!noColor.stdout.includes(esc));
    assert.ok(runIn(['check', 'bad2.dlm', '--color'], { cwd: tmp }).stdout.includes(esc));
  });
});

describe('dlm (child process, examples/)', () => {
  const hasExamples = existsSync(path.join(REPO, 'examples', 'lenet5.dlm'));

  it('summary examples/lenet5.dlm shows 61,706 parameters', { skip: !hasExamples }, () => {
    const r = dlm(['summary', 'examples/lenet5.dlm']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /61,706/);
    assert.match(r.stdout, /^Total params: 61,706$/m);
    assert.match(r.stdout, /^Total MACs: .* \(FLOPs = 2·MACs: .*\)/m);
    assert.match(r.stdout, /Optimizer state \(Adam, 2 per param\)/);
    assert.ok(!r.stdout.includes(String.fromCharCode(27)), 'no colors when piped');
  });

  it('summary --markdown --style times', { skip: !hasExamples }, () => {
    const r = dlm([
      'summary',
      'examples/lenet5.dlm',
      '--markdown',
      '--style',
      'times',
      '--batch',
      '4',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^\| Layer \(type\) \| Input shape \| Output shape \| Param # \| MACs \| Train mem \(MB\) \|$/m,
    );
    assert.match(r.stdout, /B×1×32×32/);
    assert.match(r.stdout, /MACs at B = 4/);
  });

  it(
    'summary --dim binds the sequence length for the memory breakdown',
    { skip: !hasExamples },
    () => {
      const r = dlm([
        'summary',
        'examples/transformer.dlm',
        '--model',
        'TextTransformer',
        '--batch',
        '2',
        '--dim',
        'T=64',
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as {
        dims: Record<string, number>;
        totals: { macs: unknown; training: { activationBytes: unknown } };
        rows: { layer: string; memory: { savedBytes: unknown } }[];
      };
      assert.deepEqual(s.dims, { T: 64 });
      assert.equal(typeof s.totals.macs, 'number');
      // Within 10% of PyTorch's 1,905,680 saved bytes (test/fixtures/torch/memory.json).
      const saved = s.totals.training.activationBytes as number;
      assert.ok(Math.abs(saved / 1_905_680 - 1) < 0.1, String(saved));
      const enc = s.rows.find((x) => x.layer === 'TransformerEncoder')!;
      assert.equal(typeof enc.memory.savedBytes, 'number');
      const text = dlm(['summary', 'examples/transformer.dlm', '--batch', '2', '--dim', 'T=64']);
      assert.match(text.stdout, /^Training memory \(batch 2, T = 64, float32\)$/m);
      assert.match(text.stdout, /^ {2}Saved activations \(MB\): 1\.91$/m);
      const bad = dlm(['summary', 'examples/transformer.dlm', '--dim', 'T']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--dim expects NAME=N/);
    },
  );

  it(
    'check examples/broken/lenet_wrong_in.dlm exits 1 with a DLM100 line',
    { skip: !existsSync(path.join(REPO, 'examples', 'broken', 'lenet_wrong_in.dlm')) },
    () => {
      const r = dlm(['check', 'examples/broken/lenet_wrong_in.dlm']);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^examples\/broken\/lenet_wrong_in\.dlm:\d+:\d+: error DLM100 /m);
      assert.match(r.stderr, /1 file checked: 1 error/);
    },
  );

  it('check on a clean example exits 0', { skip: !hasExamples }, () => {
    const r = dlm(['check', 'examples/lenet5.dlm']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /1 file checked: 0 errors/);
  });

  it('--version and unknown command from the shell', () => {
    assert.match(dlm(['--version']).stdout, /^\d+\.\d+\.\d+$/m);
    const u = dlm(['nope']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown command 'nope'/);
  });
});

const TRAINABLE = `model Net(x: [B, 2]) -> [B, 3] {
  x |> Dense(4) |> ReLU |> Dense(3)
}

train Net {
  data = Spiral(points=60, classes=3, seed=1)
  loss = CrossEntropy
  optimizer = SGD(lr=0.1)
  epochs = 1
  batch = 16
}
`;

describe('dlm export and train: files and streams', () => {
  it('export --weights of a checkpoint outside a run folder writes only -o/--onnx OUT', () => {
    const ws = mkdtempSync(path.join(tmp, 'export-'));
    writeFileSync(path.join(ws, 'net.dlm'), TRAINABLE);
    const { program } = loadProgram({
      file: path.join(ws, 'net.dlm'),
      root: ws,
      model: 'Net',
      result: undefined as never,
    });
    mkdirSync(path.join(ws, 'weights'));
    saveCheckpoint(path.join(ws, 'weights', 'some.ckpt'), {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      rng: new Rng(1).getState(),
      tensors: program.params.map((t) => ({
        name: t.name,
        kind: 'param' as const,
        shape: t.shape,
        data: t.init,
      })),
    });
    const r = runIn(['export', 'net.dlm', '--onnx', 'net.onnx', '--weights', 'weights/some.ckpt'], {
      cwd: ws,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(ws, 'net.onnx')), 'OUT is written in the current folder');
    assert.ok(
      !existsSync(path.join(ws, 'weights', 'model.onnx')),
      'no model.onnx beside a checkpoint that is not in a run folder',
    );
    assert.doesNotMatch(r.stderr, /copied to/);
  });

  it('train on a CSV without a header row, labels 1..3: every row is a sample, the renumbering is a warning', () => {
    const ws = mkdtempSync(path.join(tmp, 'csv-'));
    const rows = Array.from({ length: 12 }, (_, i) => `${i % 5}.5,${i % 3},${(i % 3) + 1}`);
    writeFileSync(path.join(ws, 'd.csv'), rows.join('\n') + '\n');
    writeFileSync(
      path.join(ws, 'net.dlm'),
      TRAINABLE.replace(
        'Spiral(points=60, classes=3, seed=1)',
        'Csv("d.csv", categorical=true)',
      ).replace('batch = 16', 'batch = 4\n  validation = 0'),
    );
    const r = spawnSync(
      process.execPath,
      ['--import', TSX, MAIN, 'train', 'net.dlm', '--threads', '1'],
      {
        cwd: ws,
        env: { ...process.env, NO_COLOR: '1' },
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Csv 'd\.csv' \(12 train \/ 0 validation\)/, 'no row lost to a header');
    assert.match(
      r.stderr,
      /note: line 1 \(0\.5,0,1\) is all numbers, so d\.csv is read as having no header row/,
    );
    assert.match(
      r.stderr,
      /warning: the labels in target column 'column 3' are not the class ids 0\.\.2, so they were renumbered: 1→0, 2→1, 3→2/,
    );
    const [run] = readdirSync(path.join(ws, '.dlm', 'runs'));
    const config = JSON.parse(
      readFileSync(path.join(ws, '.dlm', 'runs', run!, 'config.json'), 'utf8'),
    ) as { dataset: { relabelled?: unknown } };
    assert.deepEqual(config.dataset.relabelled, { column: 'column 3', labels: ['1', '2', '3'] });
  });

  it('train --json | head -1: ends quietly when stdout closes and stops the trainer', async () => {
    const ws = mkdtempSync(path.join(tmp, 'epipe-'));
    writeFileSync(path.join(ws, 'net.dlm'), TRAINABLE.replace('epochs = 1', 'epochs = 100000'));
    const child = spawn(
      process.execPath,
      ['--import', TSX, MAIN, 'train', 'net.dlm', '--json', '--threads', '1'],
      { cwd: ws, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    let out = '';
    // like `head -1` after the first event of the run: read up to 'started', then close the pipe
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (t: string) => {
        out += t;
        if (out.includes('"type":"started"')) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    // 100,000 epochs: the process ends only because the trainer was stopped
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at .*\.ts:\d+/);
    const runs = path.join(ws, '.dlm', 'runs');
    const [run] = readdirSync(runs);
    assert.ok(
      existsSync(path.join(runs, run!, 'last.safetensors')),
      'the stopped run wrote last.safetensors',
    );
  });
});
