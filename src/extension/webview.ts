/**
 * Helpers shared by the extension's webview panels (graph, compare, dashboard, summary). No Node
 * APIs: the graph and summary panels run in the web extension too (decision 0024).
 */
import type * as vscode from 'vscode';

/** A fresh CSP nonce from a cryptographic source (128 bits, base64; Web Crypto). */
export function nonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The strict policy every script-running panel starts from: nothing by default; images, styles
 * and fonts from the extension (styles and scripts also by nonce). `extra` adds directives a
 * panel needs on top (the graph view fetches its layout worker and runs it from a blob).
 */
export function contentSecurityPolicy(
  cspSource: string,
  n: string,
  extra: readonly string[] = [],
): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'nonce-${n}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${n}'`,
    // no <base> to re-point relative URLs, no form submissions anywhere
    "base-uri 'none'",
    "form-action 'none'",
    ...extra,
  ].join('; ');
}

/** A script-running page of the extension, declared once for its panel and the browser tests. */
export interface WebviewPage {
  readonly title: string;
  /** Stylesheets, paths in the extension, loaded after `media/controls.css` (every page has it). */
  readonly styles: readonly string[];
  /** The page's bundle, a path in the extension. */
  readonly script: string;
  /**
   * A layout worker bundle the page fetches and runs from a blob (the graph and compare views):
   * named on `<body data-worker-uri>`, and the CSP allows `connect-src` and `worker-src blob:`.
   */
  readonly worker?: string;
}

export const GRAPH_PAGE: WebviewPage = {
  title: 'DLM Graph',
  styles: ['media/graph.css'],
  script: 'dist/webview/graph.js',
  worker: 'dist/webview/graph-layout.js',
};

/** The compare view reuses the graph view's layout and styles, then adds its own. */
export const COMPARE_PAGE: WebviewPage = {
  title: 'DLM Compare',
  styles: ['media/graph.css', 'media/compare.css'],
  script: 'dist/webview/compare.js',
  worker: 'dist/webview/graph-layout.js',
};

export const DASHBOARD_PAGE: WebviewPage = {
  title: 'DLM Training',
  styles: ['media/dashboard.css'],
  script: 'dist/webview/dashboard.js',
};

/** Where a page is served: VS Code's webview, or the browser tests' local server. */
export interface PageHost {
  /** `webview.cspSource`, or the test server's origin. */
  readonly cspSource: string;
  readonly nonce: string;
  /** The URL of a file of the extension from its path (`media/graph.css`). */
  readonly asset: (path: string) => string;
  /** Markup first in `<head>` after the CSP (the tests' theme variables and fake VS Code API). */
  readonly head?: string;
  /** The `<body>` class (VS Code sets the theme's; the tests set it themselves). */
  readonly bodyClass?: string;
  /** CSP directives the host adds (the dashboard's tests fetch a recorded stream). */
  readonly csp?: readonly string[];
}

/** The page's HTML: a strict CSP with a nonce; styles, script and worker from `host.asset`. */
export function webviewPage(page: WebviewPage, host: PageHost): string {
  const src = host.cspSource;
  const csp = contentSecurityPolicy(src, host.nonce, [
    ...(page.worker ? [`connect-src ${src}`, 'worker-src blob:'] : []),
    ...(host.csp ?? []),
  ]);
  const links = ['media/controls.css', ...page.styles]
    .map((p) => `<link rel="stylesheet" href="${host.asset(p)}">`)
    .join('\n');
  const body = [
    host.bodyClass ? ` class="${host.bodyClass}"` : '',
    page.worker ? ` data-worker-uri="${host.asset(page.worker)}"` : '',
  ].join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${host.nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">${host.head ? '\n' + host.head : ''}
${links}
<title>${page.title}</title>
</head>
<body${body}>
<div id="app"></div>
<script nonce="${host.nonce}" src="${host.asset(page.script)}"></script>
</body>
</html>`;
}

/** A page for a VS Code webview: assets through `asWebviewUri`, a fresh nonce. */
export function panelPage(
  page: WebviewPage,
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
): string {
  return webviewPage(page, {
    cspSource: webview.cspSource,
    nonce: nonce(),
    asset: (p) =>
      webview
        .asWebviewUri(extensionUri.with({ path: `${extensionUri.path.replace(/\/+$/, '')}/${p}` }))
        .toString(),
  });
}
