/**
 * Helpers shared by the extension's webview panels (graph, dashboard, summary). No Node APIs:
 * the graph and summary panels run in the web extension too (decision 0024).
 */

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
