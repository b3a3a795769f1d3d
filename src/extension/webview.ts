/** Helpers shared by the extension's webview panels (graph, dashboard, summary). */
import { randomBytes } from 'node:crypto';

/** A fresh CSP nonce from a cryptographic source (128 bits, base64). */
export function nonce(): string {
  return randomBytes(16).toString('base64');
}
