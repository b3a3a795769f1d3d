/** Runs the `dlm` command from source, as the CLI tests do. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = path.resolve(__dirname, '..', '..', '..');
// tsx by absolute URL: the CLI runs with a temporary workspace as its current directory.
const TSX = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
const MAIN = path.join(REPO, 'src/cli/main.ts');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `dlm …args` in `cwd`, colors off, killed after `timeout` ms (a hang fails, not stalls). */
export function runDlm(args: readonly string[], cwd: string, timeout = 120_000): CliResult {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
