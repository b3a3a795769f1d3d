/**
 * A standalone page for the graph view outside VS Code: a static server on 127.0.0.1 with a
 * harness HTML under a CSP like the real panel's, a fake `acquireVsCodeApi` that records posted
 * messages, and the theme variables VS Code would inject (dark or light). Used by the browser
 * tests and the layout benchmark.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, extname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import {
  COMPARE_PAGE,
  GRAPH_PAGE,
  webviewPage,
  type WebviewPage,
} from '../../src/extension/webview';

export const ROOT = join(__dirname, '..', '..');
export const NONCE = 'dGVzdG5vbmNlMTIzNDU2Nzg5MA';

export type Theme = 'dark' | 'light' | 'hc';

/** The class VS Code puts on a webview's <body> for a theme kind. */
export const BODY_CLASS: Record<Theme, string> = {
  dark: 'vscode-dark',
  light: 'vscode-light',
  hc: 'vscode-high-contrast',
};

export const themeOf = (q: string | null): Theme => (q === 'light' || q === 'hc' ? q : 'dark');

/**
 * Subset of the variables VS Code defines on a webview's <html>, for three default themes (Dark
 * Modern, Light Modern, Dark High Contrast).
 */
const THEMES: Record<Theme, Record<string, string>> = {
  dark: {
    'editor-background': '#1e1e1e',
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    focusBorder: '#0078d4',
    errorForeground: '#f85149',
    'editorWarning-foreground': '#cca700',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    'charts-foreground': '#cccccc',
    'charts-blue': '#3794ff',
    'charts-red': '#f14c4c',
    'charts-green': '#89d185',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-purple': '#b180d7',
    'editorWidget-background': '#252526',
    'editorWidget-border': '#454545',
    'widget-border': '#454545',
    'widget-shadow': 'rgba(0,0,0,0.36)',
    'sideBar-background': '#181818',
    'panel-border': '#2b2b2b',
    'editorHoverWidget-background': '#252526',
    'editorHoverWidget-foreground': '#cccccc',
    'editorHoverWidget-border': '#454545',
    'editor-selectionBackground': '#264f78',
    'editor-findMatchBackground': '#9e6a03',
    'editor-findMatchBorder': '#f6b94d',
    'editor-findMatchHighlightBackground': 'rgba(234,92,0,0.33)',
    'editor-findMatchHighlightBorder': '#ea5c00',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'toolbar-hoverBackground': 'rgba(90,93,94,0.31)',
    'list-hoverBackground': '#2a2d2e',
    'font-family': "system-ui, 'Ubuntu', 'Droid Sans', sans-serif",
    'font-size': '13px',
    'editor-font-family': "'DejaVu Sans Mono', 'Droid Sans Mono', monospace",
    'button-background': '#0e639c',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#1177bb',
    'button-secondaryBackground': '#3a3d41',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#45494e',
    'input-background': '#3c3c3c',
    'input-foreground': '#cccccc',
    'input-placeholderForeground': '#989898',
    'dropdown-background': '#3c3c3c',
    'dropdown-foreground': '#f0f0f0',
    'dropdown-border': '#3c3c3c',
    'checkbox-background': '#3c3c3c',
    'checkbox-border': '#3c3c3c',
    'checkbox-foreground': '#f0f0f0',
  },
  light: {
    'editor-background': '#ffffff',
    foreground: '#3b3b3b',
    descriptionForeground: '#717171',
    focusBorder: '#005fb8',
    errorForeground: '#e51400',
    'editorWarning-foreground': '#bf8803',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    'charts-foreground': '#616161',
    'charts-blue': '#1a85ff',
    'charts-red': '#e51400',
    'charts-green': '#388a34',
    'charts-yellow': '#bf8803',
    'charts-orange': '#d18616',
    'charts-purple': '#652d90',
    'editorWidget-background': '#f8f8f8',
    'editorWidget-border': '#c8c8c8',
    'widget-border': '#e5e5e5',
    'widget-shadow': 'rgba(0,0,0,0.16)',
    'sideBar-background': '#f8f8f8',
    'panel-border': '#e5e5e5',
    'editorHoverWidget-background': '#f8f8f8',
    'editorHoverWidget-foreground': '#3b3b3b',
    'editorHoverWidget-border': '#c8c8c8',
    'editor-selectionBackground': '#add6ff',
    'editor-findMatchBackground': '#a8ac94',
    'editor-findMatchBorder': '#a8ac94',
    'editor-findMatchHighlightBackground': 'rgba(234,92,0,0.33)',
    'editor-findMatchHighlightBorder': '#ea5c00',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'toolbar-hoverBackground': 'rgba(184,184,184,0.31)',
    'list-hoverBackground': '#f2f2f2',
    'font-family': "system-ui, 'Ubuntu', 'Droid Sans', sans-serif",
    'font-size': '13px',
    'editor-font-family': "'DejaVu Sans Mono', 'Droid Sans Mono', monospace",
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'input-placeholderForeground': '#767676',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'checkbox-background': '#f8f8f8',
    'checkbox-border': '#cecece',
    'checkbox-foreground': '#3b3b3b',
  },
  hc: {
    'editor-background': '#000000',
    foreground: '#ffffff',
    descriptionForeground: '#ffffffb3',
    focusBorder: '#f38518',
    contrastBorder: '#6fc3df',
    contrastActiveBorder: '#f38518',
    errorForeground: '#f48771',
    'editorWarning-foreground': '#ffd370',
    'badge-background': '#000000',
    'badge-foreground': '#ffffff',
    'charts-foreground': '#ffffff',
    'charts-blue': '#3794ff',
    'charts-red': '#f14c4c',
    'charts-green': '#89d185',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-purple': '#b180d7',
    'editorWidget-background': '#0c141f',
    'editorWidget-border': '#6fc3df',
    'widget-border': '#6fc3df',
    'sideBar-background': '#000000',
    'panel-border': '#6fc3df',
    'editorHoverWidget-background': '#0c141f',
    'editorHoverWidget-foreground': '#ffffff',
    'editorHoverWidget-border': '#6fc3df',
    'editor-selectionBackground': '#ffffff',
    'editor-findMatchBorder': '#f38518',
    'editor-findMatchHighlightBorder': '#f38518',
    'inputValidation-errorBackground': '#000000',
    'inputValidation-errorBorder': '#6fc3df',
    'list-hoverBackground': '#000000',
    'font-family': "system-ui, 'Ubuntu', 'Droid Sans', sans-serif",
    'font-size': '13px',
    'editor-font-family': "'DejaVu Sans Mono', 'Droid Sans Mono', monospace",
    'button-background': '#000000',
    'button-foreground': '#ffffff',
    'button-border': '#6fc3df',
    'button-secondaryForeground': '#ffffff',
    'input-background': '#000000',
    'input-foreground': '#ffffff',
    'input-border': '#6fc3df',
    'input-placeholderForeground': '#ffffffb3',
    'dropdown-background': '#000000',
    'dropdown-foreground': '#ffffff',
    'dropdown-border': '#6fc3df',
    'checkbox-background': '#000000',
    'checkbox-border': '#6fc3df',
    'checkbox-foreground': '#ffffff',
  },
};

export function themeCss(theme: Theme): string {
  const vars = Object.entries(THEMES[theme])
    .map(([k, v]) => `  --vscode-${k}: ${v};`)
    .join('\n');
  return `:root {\n${vars}\n}\n`;
}

const FAKE_API = `
window.__posted = [];
window.__violations = [];
window.__state = window.__initialState;
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber + ' ' + e.sample);
});
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
});
`;

/**
 * A panel's page (src/extension/webview.ts) as the panel builds it, served from `origin`, with
 * the theme's variables and the fake VS Code API first in <head>.
 */
export function pageHtml(page: WebviewPage, origin: string, theme: Theme): string {
  return webviewPage(page, {
    cspSource: origin,
    nonce: NONCE,
    asset: (p) => `${origin}/${p}`,
    head: [
      `<link rel="stylesheet" href="${origin}/theme-${theme}.css">`,
      `<script nonce="${NONCE}" src="${origin}/fake-api.js"></script>`,
    ].join('\n'),
    bodyClass: BODY_CLASS[theme],
    // the tests may fetch what they serve (a recorded stream); the graph pages allow it already
    csp: page.worker ? [] : [`connect-src ${origin}`],
  });
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.html': 'text/html',
  '.map': 'application/json',
};

export async function startServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const send = (body: string | Buffer, type: string): void => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      const p = url.pathname;
      if (p === '/harness.html') {
        return send(
          pageHtml(GRAPH_PAGE, origin, themeOf(url.searchParams.get('theme'))),
          'text/html',
        );
      }
      if (p === '/compare.html') {
        const theme = url.searchParams.get('theme') === 'light' ? 'light' : 'dark';
        return send(pageHtml(COMPARE_PAGE, origin, theme), 'text/html');
      }
      if (p === '/fake-api.js') return send(FAKE_API, 'text/javascript');
      const css = /^\/theme-(dark|light|hc)\.css$/.exec(p);
      if (css) return send(themeCss(css[1] as Theme), 'text/css');
      const rel = normalize(p).replace(/^\/+/, '');
      if (!/^(dist\/webview|media)\//.test(rel) || rel.includes('..')) {
        res.writeHead(404);
        return res.end();
      }
      try {
        send(await readFile(join(ROOT, rel)), TYPES[extname(rel)] ?? 'application/octet-stream');
      } catch {
        res.writeHead(404);
        res.end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * A residual CNN with `k` identical Res blocks (7 layer nodes each) in one repeat, plus a stem
 * and a head: about 7k + 4 layer nodes. Shared by the graph tests and bench/graph-layout.bench.ts.
 */
export function residualSource(k: number): string {
  return [
    'block Res(c: int)(x: [B, C, H, W]) {',
    '  h = x |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d |> ReLU',
    '    |> Conv2d(c, 3, padding=1, bias=false) |> BatchNorm2d',
    '  (h, x) |> Add |> ReLU',
    '}',
    'model Gen(x: [B, 3, H, W]) -> [B, 10] {',
    '  x |> Conv2d(16, 3, padding=1)',
    `    |> repeat ${k} Res(16)`,
    '    |> AdaptiveAvgPool2d(1) |> Flatten |> Dense(10)',
    '}',
    '',
  ].join('\n');
}

/** One browser test: a name and its body. */
export type WebTest = readonly [name: string, fn: () => Promise<void>];

export interface WebTestRun {
  /** The Chromium the tests share; closed at the end. */
  readonly browser: Promise<Browser>;
  /** Receives the harness server's origin before the first test. */
  readonly serve: (origin: string) => void;
  /** Printed before each test's name (`dashboard: `). */
  readonly label?: string;
  /** A regular expression from the file's env variable: only matching tests run. */
  readonly only?: string;
  /** A line printed (as `# …`) after the tests, e.g. measured figures. */
  readonly summary?: () => string | undefined;
}

/**
 * Runs a browser test file: starts the harness server, runs the tests in order (one `✔`/`✖` line
 * each), closes Chromium and the server, and ends with the `N passed, N failed` line
 * scripts/run-webview-tests.mjs reads; the exit code says whether all passed.
 */
export function runWebTests(tests: readonly WebTest[], run: WebTestRun): void {
  const main = async (): Promise<void> => {
    const { server, origin } = await startServer();
    run.serve(origin);
    const only = run.only ? new RegExp(run.only) : undefined;
    const label = run.label ?? '';
    let passed = 0;
    let failed = 0;
    for (const [name, fn] of tests) {
      if (only && !only.test(name)) continue;
      const t0 = Date.now();
      try {
        await fn();
        passed++;
        console.log(`✔ ${label}${name} (${Date.now() - t0} ms)`);
      } catch (err) {
        failed++;
        console.log(
          `✖ ${label}${name}\n    ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      }
    }
    const summary = run.summary?.();
    if (summary) console.log(`# ${summary}`);
    await (await run.browser).close();
    server.close();
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  };
  main().catch(async (err: unknown) => {
    console.log(`✖ harness: ${err instanceof Error ? err.stack : String(err)}`);
    await run.browser.then((b) => b.close()).catch(() => undefined);
    console.log('0 passed, 1 failed');
    process.exit(1);
  });
}
