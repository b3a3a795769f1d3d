#!/usr/bin/env node
// Installs code-server 4.100.3 (real VS Code 1.100.3, runs on Node 20) into .cache/code-server
// without its network-bound postinstall. Idempotent: reruns are instant once the marker exists.
// Usage: node scripts/code-server.mjs [--force]
import { ensureCodeServer } from './lib/code-server.mjs';

try {
  const root = await ensureCodeServer({ force: process.argv.includes('--force') });
  console.log(`[code-server] ready: ${root}`);
} catch (err) {
  console.error(`\n[code-server] ERROR: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
