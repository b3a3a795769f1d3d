/**
 * `dlm diff`, run as a user runs it (a child process through tsx) in temporary folders, with a
 * real git repository for `--rev`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ModelDiff } from '../../src/language/diff';

const REPO = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO, 'src', 'cli', 'main.ts');
const TSX = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const LENET = readFileSync(path.join(REPO, 'examples', 'lenet5.dlm'), 'utf8');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function dlm(args: string[], cwd: string): Result {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'dlm-diff-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(dir: string, name: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), text);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

describe('dlm diff A B', () => {
  const dir = path.join(tmp, 'files');
  before(() => {
    write(dir, 'a.dlm', LENET);
    write(dir, 'b.dlm', LENET.replace('Dense(84)', 'Dense(100)'));
  });

  it('prints the changed layers and the totals', () => {
    const r = dlm(['diff', 'a.dlm', 'b.dlm'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Model LeNet5: a\.dlm → b\.dlm \(B = 1\)/);
    // Dense(120 → 84) → Dense(120 → 100): 10,164 → 12,100 parameters.
    assert.match(
      r.stdout,
      /~ dense1 +Dense\(84\) → Dense\(100\); out \[B, 84\] → \[B, 100\]; params 10,164 → 12,100 \(\+1,936\)/,
    );
    assert.match(r.stdout, /~ tanh3 +Tanh +in \[B, 84\] → \[B, 100\]/);
    // Dense(84 → 10) → Dense(100 → 10): 850 → 1,010.
    assert.match(
      r.stdout,
      /~ dense2 +Dense\(10\) +in \[B, 84\] → \[B, 100\]; params 850 → 1,010 \(\+160\)/,
    );
    assert.match(r.stdout, /0 added, 0 removed, 3 changed, 9 unchanged/);
    assert.match(r.stdout, /trainable +61,706 +63,802 +\+2,096 \(\+3\.4%\)/);
  });

  it('--json prints the dlm.diff/1 object', () => {
    const r = dlm(['diff', 'a.dlm', 'b.dlm', '--json', '--batch', '8'], dir);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as ModelDiff;
    assert.equal(d.schema, 'dlm.diff/1');
    assert.equal(d.batch, 8);
    assert.deepEqual(d.a, { file: 'a.dlm' });
    assert.deepEqual(d.totals.trainable, {
      a: 61706,
      b: 63802,
      delta: 2096,
      relative: 2096 / 61706,
    });
    assert.deepEqual(d.totals.nonTrainable, { a: 0, b: 0, delta: 0, relative: 0 });
    // MACs at B = 8: 120·84 → 120·100 and 84·10 → 100·10, per sample.
    assert.equal(d.totals.macs.delta, 8 * (120 * 16 + 16 * 10));
    assert.deepEqual(
      d.layers.map((l) => [l.status, l.b!.path, l.changes]),
      [
        ['changed', 'dense1', ['label', 'outputShapes', 'params', 'macs']],
        ['changed', 'tanh3', ['inputShapes', 'outputShapes']],
        ['changed', 'dense2', ['inputShapes', 'params', 'macs']],
      ],
    );
    assert.equal(d.layers[0]!.b!.span.file, 'b.dlm');
    assert.equal(d.layers[0]!.b!.span.line, 9);
  });

  it('usage errors and unreadable files exit 2', () => {
    assert.equal(dlm(['diff', 'a.dlm'], dir).code, 2);
    const missing = dlm(['diff', 'a.dlm', 'nope.dlm'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read 'nope\.dlm'/);
    const noModel = dlm(['diff', 'a.dlm', 'b.dlm', '--model', 'X'], dir);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /no model 'X' in both files/);
  });

  it('exits 1 when a side has errors, and still compares what could be checked', () => {
    write(dir, 'bad.dlm', LENET.replace('Dense(120)', 'Dense(120, bogus=1)'));
    const r = dlm(['diff', 'a.dlm', 'bad.dlm'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.dlm:\d+:\d+: error/);
    assert.match(r.stdout, /bad\.dlm has errors/);
  });
});

describe('dlm diff FILE --rev REV', () => {
  const repo = path.join(tmp, 'repo');
  before(() => {
    mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    // The model imports its block from another file; both change between the commits.
    write(repo, 'lib/blocks.dlm', 'block Head(n: int)(x: [B, F]) {\n  x |> Dense(n) |> ReLU\n}\n');
    write(
      repo,
      'models/net.dlm',
      'import "../lib/blocks.dlm"\nmodel Net(x: [B, 32]) -> [B, 10] {\n  x |> Head(64) |> Dense(10)\n}\n',
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    write(
      repo,
      'lib/blocks.dlm',
      'block Head(n: int)(x: [B, F]) {\n  x |> Dense(n) |> ReLU |> Dropout(0.1)\n}\n',
    );
    git(repo, 'commit', '-qam', 'two');
    // The working copy (not committed): a wider head.
    write(
      repo,
      'models/net.dlm',
      'import "../lib/blocks.dlm"\nmodel Net(x: [B, 32]) -> [B, 10] {\n  x |> Head(128) |> Dense(10)\n}\n',
    );
  });

  it('compares the file at HEAD~1 (imports read at that revision) with the working copy', () => {
    const r = dlm(['diff', 'models/net.dlm', '--rev', 'HEAD~1', '--json'], repo);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as ModelDiff;
    assert.deepEqual(d.a, { file: 'HEAD~1:models/net.dlm', rev: 'HEAD~1' });
    assert.deepEqual(d.b, { file: 'models/net.dlm' });
    // The Dropout came with commit two's import: added since HEAD~1.
    assert.deepEqual(
      d.layers.map((l) => `${l.status} ${(l.b ?? l.a)!.path}`),
      ['changed head0.dense0', 'changed head0.relu0', 'added head0.dropout0', 'changed dense0'],
    );
    assert.equal(d.layers[0]!.a!.span.file, 'HEAD~1:lib/blocks.dlm');
    // 32·64 + 64 + 64·10 + 10 = 2,762 → 32·128 + 128 + 128·10 + 10 = 5,514.
    assert.deepEqual([d.totals.trainable.a, d.totals.trainable.b], [2762, 5514]);
  });

  it('at HEAD the import already has the Dropout: only the widths changed', () => {
    const r = dlm(['diff', 'models/net.dlm', '--rev', 'HEAD'], repo);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Model Net: HEAD:models\/net\.dlm → models\/net\.dlm/);
    assert.doesNotMatch(r.stdout, /\+ head0\.dropout0/);
    assert.match(r.stdout, /~ head0\.dense0 +Dense\(64\) → Dense\(128\)/);
  });

  it('an unknown revision, an option-like revision, a file not at the revision and no repository exit 2', () => {
    const unknown = dlm(['diff', 'models/net.dlm', '--rev', 'HEAD~5'], repo);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown revision 'HEAD~5'/);
    const option = dlm(['diff', 'models/net.dlm', '--rev=--output=/tmp/x'], repo);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /is not a revision \(it starts with '-'\)/);
    write(repo, 'models/new.dlm', LENET);
    const fresh = dlm(['diff', 'models/new.dlm', '--rev', 'HEAD'], repo);
    assert.equal(fresh.code, 2);
    assert.match(fresh.stderr, /'models\/new\.dlm' does not exist at HEAD/);
    const plain = path.join(tmp, 'plain');
    write(plain, 'a.dlm', LENET);
    const noRepo = dlm(['diff', 'a.dlm', '--rev', 'HEAD'], plain);
    assert.equal(noRepo.code, 2);
    assert.match(noRepo.stderr, /is not in a git repository/);
  });

  it('a symbolic link at the revision is not followed', () => {
    const link = path.join(tmp, 'linkrepo');
    mkdirSync(link, { recursive: true });
    git(link, 'init', '-q');
    write(link, 'm.dlm', LENET);
    execFileSync('ln', ['-s', '/etc/passwd', path.join(link, 'evil.dlm')]);
    git(link, 'add', '.');
    git(link, 'commit', '-qm', 'one');
    rmSync(path.join(link, 'evil.dlm'));
    write(link, 'evil.dlm', LENET);
    const r = dlm(['diff', 'evil.dlm', '--rev', 'HEAD'], link);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /symbolic link/);
  });
});
