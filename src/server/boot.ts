/**
 * How VS Code starts the language server (dist/server-boot.js): it runs dist/server.js with a
 * V8 code cache, so that a cold open does not compile the 1.4 MB bundle from scratch each time.
 * Compiling it took 140–180 ms of CPU per start on the benchmark machine; with the cache
 * 30–50 ms (docs/decisions/0021-editor-latency.md).
 *
 * The cache lives in the folder named by DLM_CODE_CACHE_DIR (the extension's global storage),
 * one file per bundle size and modification time. V8 checks the source and its own version and
 * flags and rejects a cache that does not fit; the server then compiles as usual and writes a
 * new cache a few seconds after it started (so that the functions the first check ran are in
 * it). Any failure here only costs the cache: the server itself starts the same way.
 *
 * This module is its own tiny bundle (src/server/codeCache.ts does the work) and must not
 * import the server.
 */
import * as path from 'node:path';
import { CODE_CACHE_ENV } from './bootEnv';
import { runCached } from './codeCache';

// dist/server-boot.js sits next to dist/server.js.
runCached(path.join(__dirname, 'server.js'), process.env[CODE_CACHE_ENV] || undefined);
