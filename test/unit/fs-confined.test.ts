/**
 * The confined host (src/engine/host.ts) and everything that reads the workspace through it:
 * links out of the workspace, /dev/zero behind a link, FIFOs and oversized files are refused
 * with a diagnostic, by the CLI (run as a child process), the trainer (forked by the supervisor),
 * the run history and the language server's host. None of them blocks or reads without bound.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConfinedFs, DiskHost, FsError, MAX_SOURCE_BYTES } from '../../src/engine/host';
import { loadDataset } from '../../src/engine/datasets';
import { prepare } from '../../src/engine/loop';
import { createRunDir, listRuns, readMetrics } from '../../src/engine/runs';
import { latestRun } from '../../src/engine/export';
import { TrainerSupervisor } from '../../src/engine/supervisor';
import { checkFile } from '../../src/language/program';
import { WorkspaceHost } from '../../src/server/host';

const REPO = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
/** tsx by absolute URL: the CLI runs from a temporary workspace without node_modules. */
const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const posix = process.platform !== 'win32';

const MODEL = `model Net(x: [B, 2]) -> [B, 3] {
  x |> Dense(8) |> ReLU |> Dense(3)
}
`;

const base = mkdtempSync(path.join(tmpdir(), 'dlm-fs-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/**
 * A fresh workspace `ws` next to an `outside` folder holding `secret.dlm` and `secret.csv`, with
 * `files` written into ws. Links: `out.dlm` → ../outside/secret.dlm, `zero.dlm` and `zero.csv` →
 * /dev/zero, `outdir` → ../outside; FIFOs: `pipe.dlm`, `pipe.csv`.
 */
function workspace(files: Record<string, string> = {}): { ws: string; outside: string } {
  const dir = path.join(base, `w${n++}`);
  const ws = path.join(dir, 'ws');
  const outside = path.join(dir, 'outside');
  mkdirSync(ws, { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.dlm'), 'block Secret(x) -> x {\n  x\n}\n');
  writeFileSync(path.join(outside, 'secret.csv'), 'a,b,label\n1,2,0\n3,4,1\n');
  symlinkSync(path.join(outside, 'secret.dlm'), path.join(ws, 'out.dlm'));
  symlinkSync('../outside', path.join(ws, 'outdir'));
  symlinkSync('/dev/zero', path.join(ws, 'zero.dlm'));
  symlinkSync('/dev/zero', path.join(ws, 'zero.csv'));
  execFileSync('mkfifo', [path.join(ws, 'pipe.dlm'), path.join(ws, 'pipe.csv')]);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ws, name)), { recursive: true });
    writeFileSync(path.join(ws, name), text);
  }
  return { ws, outside };
}

const refusal = (f: () => unknown): FsError => {
  try {
    f();
  } catch (e) {
    if (e instanceof FsError) return e;
    throw e;
  }
  assert.fail('expected a refusal');
};

describe('ConfinedFs', { skip: !posix }, () => {
  it('refuses links out of the workspace, devices, FIFOs and files over the cap', () => {
    const { ws } = workspace({ 'ok.dlm': MODEL, 'sub/in.csv': 'a\n1\n' });
    const fsx = new ConfinedFs(ws);
    assert.equal(fsx.readText('ok.dlm', 1000), MODEL);
    assert.equal(refusal(() => fsx.readText('out.dlm', 1000)).code, 'DLM207');
    assert.match(refusal(() => fsx.readText('out.dlm', 1000)).message, /link that leads outside/);
    assert.equal(refusal(() => fsx.readText('outdir/secret.csv', 1000)).code, 'DLM207');
    // a missing file under a link that leads out is refused too, not reported as missing
    assert.equal(refusal(() => fsx.readText('outdir/nope.csv', 1000)).code, 'DLM207');
    assert.equal(refusal(() => fsx.readBytes('zero.csv', 1000)).code, 'DLM207');
    const pipe = refusal(() => fsx.readBytes('pipe.csv', 1000));
    assert.equal(pipe.code, 'DLM208');
    assert.match(pipe.message, /named pipe \(FIFO\)/);
    assert.equal(refusal(() => fsx.readBytes('sub', 1000)).code, 'DLM208');
    assert.equal(refusal(() => fsx.readBytes('ok.dlm', 10)).code, 'DLM209');
    assert.equal(refusal(() => fsx.readBytes('../outside/secret.csv', 1000)).code, 'outside');
    assert.equal(refusal(() => fsx.readBytes('nope.csv', 1000)).code, 'missing');
    assert.equal(fsx.probe('ok.dlm'), 'file');
    assert.equal(fsx.probe('nope.dlm'), 'missing');
    assert.equal((fsx.probe('pipe.dlm') as FsError).code, 'DLM208');
  });

  it('reads at most cap + 1 bytes of a device inside the workspace root', () => {
    // A root that holds a device (/dev): the device is refused before any byte is read.
    const fsx = new ConfinedFs('/dev');
    assert.equal(refusal(() => fsx.readBytes('/dev/zero', 1 << 20)).code, 'DLM208');
    assert.equal(refusal(() => fsx.readBytes('/dev/null', 1 << 20)).code, 'DLM208');
  });

  it('creates folders only inside the workspace, never through a link out of it', () => {
    const { ws, outside } = workspace();
    const fsx = new ConfinedFs(ws);
    assert.equal(fsx.mkdirs('a/b'), path.join(ws, 'a', 'b'));
    assert.equal(refusal(() => fsx.mkdirs('outdir/runs')).code, 'DLM207');
    assert.deepEqual(readdirSync(outside).sort(), ['secret.csv', 'secret.dlm']);
  });
});

describe('the checker on disk (CLI, trainer and language server hosts)', { skip: !posix }, () => {
  it('reports imports through links out, of FIFOs and /dev/zero, and oversized imports', () => {
    const big = `// ${'x'.repeat(MAX_SOURCE_BYTES)}\n`;
    const { ws } = workspace({
      'main.dlm': [
        'import "out.dlm"',
        'import "outdir/secret.dlm"',
        'import "zero.dlm"',
        'import "pipe.dlm"',
        'import "big.dlm"',
        MODEL,
      ].join('\n'),
      'big.dlm': big,
    });
    for (const host of [new DiskHost(ws), new WorkspaceHost(ws, () => undefined)]) {
      const r = checkFile(path.join(ws, 'main.dlm'), host);
      const codes = r.diagnostics.map((d) => d.code);
      assert.deepEqual(codes, ['DLM207', 'DLM207', 'DLM207', 'DLM208', 'DLM209'], String(codes));
      assert.match(
        r.diagnostics[0]!.message,
        /cannot import 'out\.dlm': .*link that leads outside/,
      );
      assert.match(r.diagnostics[3]!.message, /named pipe/);
      assert.match(r.diagnostics[4]!.message, /larger than 8 MiB/);
    }
  });

  it('reports data files through links out, of FIFOs and /dev/zero', () => {
    const train = (p: string) =>
      `${MODEL}\ntrain Net {\n  data = Csv("${p}", target="label")\n  loss = CrossEntropy\n}\n`;
    for (const [file, code, why] of [
      ['outdir/secret.csv', 'DLM207', /link that leads outside/],
      ['zero.csv', 'DLM207', /link that leads outside/],
      ['pipe.csv', 'DLM208', /named pipe/],
    ] as const) {
      const { ws } = workspace({ 'main.dlm': train(file) });
      const r = checkFile(path.join(ws, 'main.dlm'), new DiskHost(ws));
      const d = r.diagnostics.find((x) => x.code === code);
      assert.ok(d, `${file}: ${r.diagnostics.map((x) => `${x.code} ${x.message}`).join('; ')}`);
      assert.match(d.message, why);
    }
  });
});

/** Runs the CLI as a child process, as a user would. The timeout only turns a hang into a failure. */
function dlm(args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('dlm check', { skip: !posix }, () => {
  it('gives a diagnostic for each refused import, and never hangs on a FIFO', () => {
    const { ws } = workspace({
      'main.dlm': ['import "out.dlm"', 'import "pipe.dlm"', 'import "zero.dlm"', MODEL].join('\n'),
    });
    const r = dlm(['check', 'main.dlm'], ws);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /DLM207.*cannot import 'out\.dlm'.*link that leads outside/);
    assert.match(r.out, /DLM208.*cannot import 'pipe\.dlm'.*named pipe/);
    assert.match(r.out, /DLM207.*cannot import 'zero\.dlm'/);
    assert.doesNotMatch(r.out, /Secret/);
  });

  it('refuses a FIFO, a device link or a link out of the workspace as the file to check', () => {
    const { ws } = workspace();
    for (const [file, why] of [
      ['pipe.dlm', /named pipe/],
      ['zero.dlm', /link that leads outside/],
      ['out.dlm', /link that leads outside/],
    ] as const) {
      const r = dlm(['check', file], ws);
      assert.notEqual(r.code, 0, r.out);
      assert.notEqual(r.code, null, `${file}: timed out`);
      assert.match(r.out, new RegExp(`cannot read '${file.replace('.', '\\.')}': `));
      assert.match(r.out, why);
    }
  });
});

describe('trainer data and run folders', { skip: !posix }, () => {
  const csv = (p: string) => ({ name: 'Csv', args: { path: p, target: 'label' } });

  it('loadDataset refuses links out, /dev/zero and FIFOs with a DataError', () => {
    const { ws } = workspace();
    const ctx = { root: ws, baseFile: path.join(ws, 'main.dlm') };
    assert.throws(() => loadDataset(csv('outdir/secret.csv'), ctx), /link that leads outside/);
    assert.throws(() => loadDataset(csv('zero.csv'), ctx), /link that leads outside/);
    assert.throws(() => loadDataset(csv('pipe.csv'), ctx), /named pipe/);
  });

  it('prepare refuses a model file that is a FIFO or links out of the workspace', () => {
    const { ws } = workspace();
    const start = (modelPath: string) => () =>
      prepare({ type: 'start', v: 1, workspaceRoot: ws, modelPath, model: 'Net' });
    assert.throws(start('pipe.dlm'), /cannot read the model file: .*named pipe/);
    assert.throws(start('out.dlm'), /cannot read the model file: .*link that leads outside/);
  });

  it('never creates run folders through a .dlm link out of the workspace', () => {
    const { ws, outside } = workspace();
    symlinkSync('../outside', path.join(ws, '.dlm'));
    assert.throws(() => createRunDir(ws, 'Net'), /link that leads outside/);
    assert.deepEqual(readdirSync(outside).sort(), ['secret.csv', 'secret.dlm']);
  });

  it('the run history skips links out, FIFOs and devices', () => {
    const { ws, outside } = workspace();
    // .dlm/runs itself links out: nothing is listed
    mkdirSync(path.join(outside, 'runs', 'Net-20240101-000000'), { recursive: true });
    writeFileSync(path.join(outside, 'runs', 'Net-20240101-000000', 'config.json'), '{}');
    writeFileSync(path.join(outside, 'runs', 'Net-20240101-000000', 'last.ckpt'), 'x');
    mkdirSync(path.join(ws, '.dlm'));
    symlinkSync('../../outside/runs', path.join(ws, '.dlm', 'runs'));
    assert.deepEqual(listRuns(ws), []);
    assert.equal(latestRun(ws, 'Net'), undefined);
    // a real runs folder whose entries are hostile
    rmSync(path.join(ws, '.dlm', 'runs'));
    const run = path.join(ws, '.dlm', 'runs', 'Net-20240102-000000');
    mkdirSync(run, { recursive: true });
    execFileSync('mkfifo', [path.join(run, 'config.json'), path.join(run, 'last.ckpt')]);
    symlinkSync('/dev/zero', path.join(run, 'metrics.jsonl'));
    symlinkSync(path.join(outside, 'runs', 'Net-20240101-000000'), path.join(run, '..', 'Net-x'));
    const runs = listRuns(ws);
    assert.deepEqual(
      runs.map((r) => [r.id, r.config, r.checkpoints, r.last]),
      [['Net-20240102-000000', undefined, [], undefined]],
    );
    assert.equal(latestRun(ws, 'Net'), undefined);
    assert.throws(() => readMetrics(path.join(run, 'metrics.jsonl'), ws), /link that leads/);
  });

  it('the trainer reports a FIFO or /dev/zero data file and still answers stop', async () => {
    const { ws } = workspace({ 'model.dlm': MODEL });
    const sup = new TrainerSupervisor({
      entry: path.join(REPO, 'src/engine/trainer.ts'),
      execArgv: ['--import', 'tsx'],
      cwd: REPO,
    });
    try {
      await sup.ready;
      for (const [file, why] of [
        ['pipe.csv', /named pipe/],
        ['zero.csv', /link that leads outside/],
      ] as const) {
        const failed = new Promise<string>((resolve) =>
          sup.onEvent((e) => {
            if (e.type === 'error' && e.fatal) resolve(e.message);
          }),
        );
        sup.start({
          workspaceRoot: ws,
          modelPath: 'model.dlm',
          model: 'Net',
          reference: { hidden: [4] },
          overrides: { dataset: csv(file) },
        });
        assert.match(await failed, why);
      }
      // the trainer is still responsive: stop and shutdown are answered
      sup.stop();
      await sup.dispose();
      assert.equal(existsSync(path.join(ws, '.dlm')), false);
    } finally {
      await sup.dispose();
    }
  });
});
