// Shared helpers for running code-server 4.100.3 (real VS Code 1.100.3 in the browser) offline.
// Used by scripts/code-server.mjs (installer), scripts/run-vscode-tests.mjs and scripts/start.mjs.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'code-server');
/** The installed package root (holds out/node/entry.js and lib/vscode). */
export const CODE_SERVER_ROOT = path.join(CACHE_DIR, 'node_modules', 'code-server');
const MARKER = path.join(CACHE_DIR, `.installed-${CODE_SERVER_VERSION}`);

const log = (msg) => console.log(`[code-server] ${msg}`);

export function isCodeServerInstalled() {
  return existsSync(MARKER) && existsSync(path.join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js'));
}

function run(step, cmd, args, cwd, extraEnv = {}) {
  log(`${step}: ${cmd} ${args.join(' ')}  (in ${path.relative(REPO_ROOT, cwd) || '.'})`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
      ...extraEnv,
    },
  });
  if (r.error) throw new Error(`code-server install failed at "${step}": ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `code-server install failed at "${step}" (exit ${r.status ?? r.signal}). ` +
        `Command: ${cmd} ${args.join(' ')} in ${cwd}. ` +
        `The npm registry must be reachable. Delete ${path.relative(REPO_ROOT, CACHE_DIR)} and retry.`,
    );
  }
  log(`${step}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

function link(target, linkPath) {
  try {
    lstatSync(linkPath);
    rmSync(linkPath, { force: true, recursive: false });
  } catch {
    /* absent */
  }
  symlinkSync(target, linkPath);
  log(`link ${path.relative(CODE_SERVER_ROOT, linkPath)} -> ${target}`);
}

function which(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Installs code-server into .cache/code-server, following the offline recipe in docs/testing.md
 * ("VS Code for tests, with no download"). Idempotent: a marker file makes reruns instant.
 * @returns {Promise<string>} the code-server package root
 */
export async function ensureCodeServer({ force = false } = {}) {
  if (!force && isCodeServerInstalled()) {
    log(
      `${CODE_SERVER_VERSION} already installed in ${path.relative(REPO_ROOT, CODE_SERVER_ROOT)}`,
    );
    return CODE_SERVER_ROOT;
  }
  const t0 = Date.now();
  log(
    `installing ${CODE_SERVER_VERSION} into ${path.relative(REPO_ROOT, CACHE_DIR)} (first time only; takes a few minutes)`,
  );
  rmSync(MARKER, { force: true });
  mkdirSync(CACHE_DIR, { recursive: true });
  const pkg = path.join(CACHE_DIR, 'package.json');
  if (!existsSync(pkg))
    writeFileSync(
      pkg,
      JSON.stringify({ name: 'code-server-cache', private: true }, null, 2) + '\n',
    );
  const npm = 'npm';
  const vscodeDir = path.join(CODE_SERVER_ROOT, 'lib', 'vscode');

  // 1. The package itself; its postinstall needs the internet, so skip scripts.
  run(
    '1/7 code-server package',
    npm,
    ['install', '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
    CACHE_DIR,
  );
  if (!existsSync(vscodeDir))
    throw new Error(`code-server install failed: ${vscodeDir} is missing after npm install`);
  // 2. VS Code's own runtime dependencies.
  run('2/7 lib/vscode deps', npm, ['install', '--omit=dev', '--ignore-scripts'], vscodeDir);
  // 3. Native modules VS Code needs (kerberos is not needed).
  run(
    '3/7 native rebuilds',
    npm,
    [
      'rebuild',
      'node-pty',
      '@parcel/watcher',
      '@vscode/spdlog',
      '@vscode/deviceid',
      'native-watchdog',
    ],
    vscodeDir,
    { npm_config_yes: 'true' },
  );
  // 4. argon2 for code-server itself. npm hoists it into the cache folder's node_modules, so
  //    rebuild from the top folder (in CODE_SERVER_ROOT npm would find nothing to rebuild).
  run('4/7 argon2 rebuild', npm, ['rebuild', 'argon2'], CACHE_DIR);
  // 5. Links that code-server's postinstall would normally create.
  log('5/7 links');
  link('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  link('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  link('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
  // 6. Built-in extensions' dependencies.
  run(
    '6/7 built-in extension deps',
    npm,
    ['install', '--omit=dev', '--ignore-scripts'],
    path.join(vscodeDir, 'extensions'),
  );
  // 7. Optional ripgrep (search in files). The npm package downloads it, which fails offline.
  const rg = which('rg');
  const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  if (rg) {
    mkdirSync(rgDir, { recursive: true });
    link(rg, path.join(rgDir, 'rg'));
  } else {
    log(
      '7/7 no `rg` on PATH; search-in-files will not work (apt-get install ripgrep to enable). Skipping.',
    );
  }
  // Sanity check: the entry point loads (this needs argon2's native binding) and prints its version.
  const check = spawnSync(
    process.execPath,
    [path.join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js'), '--config', configFile(), '--version'],
    { encoding: 'utf8' },
  );
  if (check.status !== 0 || !check.stdout.includes(`${CODE_SERVER_VERSION} `)) {
    throw new Error(
      `code-server install failed: \`code-server --version\` did not print ${CODE_SERVER_VERSION}.\n${check.stdout}${check.stderr}`,
    );
  }
  log(`check: code-server --version -> ${check.stdout.trim().split('\n').pop()}`);
  writeFileSync(MARKER, new Date().toISOString() + '\n');
  log(`installed ${CODE_SERVER_VERSION} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
  return CODE_SERVER_ROOT;
}

/**
 * A config file inside the cache, so code-server never writes ~/.config/code-server/config.yaml.
 * Command-line flags override everything in it.
 */
export function configFile() {
  const file = path.join(CACHE_DIR, 'config.yaml');
  if (!existsSync(file)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(file, 'auth: none\ncert: false\n');
  }
  return file;
}

/** Debian's Chromium, driven by playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Quiet, offline-friendly user settings for a fresh profile. With `workspaceTrust`, workspace
 * trust is on and nothing prompts, so the opened folder stays untrusted (Restricted Mode).
 */
export function writeUserSettings(userDataDir, { workspaceTrust = false } = {}) {
  const dir = path.join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': workspaceTrust,
    ...(workspaceTrust
      ? {
          'security.workspace.trust.startupPrompt': 'never',
          'security.workspace.trust.untrustedFiles': 'open',
        }
      : {}),
    'chat.disableAIFeatures': true,
    'git.enabled': false,
  };
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Every live child process group we started; killed when this Node process exits. */
const liveGroups = new Set();
function killGroup(pid, signal = 'SIGTERM') {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}
let exitHooked = false;
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      for (const pid of liveGroups) killGroup(pid, 'SIGTERM');
      // When the calling script has its own handler, let it report and exit.
      if (process.listenerCount(sig) <= 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Starts code-server on 127.0.0.1 in its own process group and waits until it answers HTTP.
 * @param {{ port?: number, workspace?: string, userDataDir: string, extensionsDir: string,
 *           env?: Record<string,string>, logFile?: string, quiet?: boolean, timeoutMs?: number,
 *           workspaceTrust?: boolean }} opts
 * @returns {Promise<{ url: string, port: number, pid: number, stop: () => Promise<void> }>}
 */
export async function startCodeServer({
  port,
  workspace,
  userDataDir,
  extensionsDir,
  env = {},
  quiet = true,
  timeoutMs = 60_000,
  workspaceTrust = false,
}) {
  if (!isCodeServerInstalled()) await ensureCodeServer();
  port ??= await freePort();
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const args = [
    path.join(CODE_SERVER_ROOT, 'out', 'node', 'entry.js'),
    '--config',
    configFile(),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  if (workspace) args.push(workspace);
  hookExit();
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    detached: true, // own process group, so stop() kills the extension host and its children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, VSCODE_PROXY_URI: '' },
  });
  liveGroups.add(child.pid);
  let output = '';
  const onData = (d) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
    if (!quiet) process.stdout.write(d);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  const exitPromise = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      liveGroups.delete(child.pid);
      resolve();
    }),
  );

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited)
      throw new Error(
        `code-server exited early (${exited.code ?? exited.signal}). Output:\n${output}`,
      );
    const status = await httpStatus(`${url}healthz`);
    if (status >= 200 && status < 500) break;
    if (Date.now() > deadline) {
      killGroup(child.pid, 'SIGKILL');
      throw new Error(
        `code-server did not answer on ${url} within ${timeoutMs / 1000}s. Output:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  const stop = async () => {
    if (exited) return;
    killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
    await exitPromise;
    clearTimeout(timer);
    // Anything left in the group (extension host children) gets SIGKILL.
    killGroup(child.pid, 'SIGKILL');
  };
  return { url, port, pid: child.pid, stop, output: () => output };
}

/**
 * The folder to name as `extensionDevelopmentPath`: the repository, or a link to it from outside
 * when code-server is installed inside it (`.cache/code-server` of a clone, as in CI). In
 * extension development mode the workbench applies the color, file icon and product icon themes
 * whose files lie inside the development folder (`findThemeByExtensionLocation`: it assumes you
 * are developing a theme). code-server's built-in `theme-defaults` lies inside the repository
 * then, so its Minimal file icon theme replaced Seti: every file, `.dlm` included, got the plain
 * file icon (Minimal shows no language icons). Through a link outside, no theme is "ours".
 */
export function extensionDevelopmentPath() {
  let cache;
  try {
    cache = realpathSync(CACHE_DIR);
  } catch {
    cache = CACHE_DIR;
  }
  if (!cache.startsWith(REPO_ROOT + path.sep)) return REPO_ROOT;
  const hash = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
  const link = path.join(tmpdir(), `dlm-studio-dev-${hash}`);
  let current;
  try {
    current = readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== REPO_ROOT) {
    rmSync(link, { force: true });
    symlinkSync(REPO_ROOT, link);
  }
  return link;
}
