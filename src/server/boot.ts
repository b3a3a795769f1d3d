/**
 * How VS Code starts the language server (dist/server-boot.js): it runs dist/server.js with a
 * V8 code cache, so that a cold open does not compile the 1.4 MB bundle from scratch each time.
 * Compiling it took 280–360 ms per start on the loaded benchmark machine; with the cache
 * 87–118 ms (docs/decisions/0021-editor-latency.md).
 *
 * The cache lives in the folder named by DLM_CODE_CACHE_DIR (the extension's global storage),
 * one file per bundle size and modification time. V8 checks the source and its own version and
 * flags and rejects a cache that does not fit; the server then compiles as usual, takes a new
 * cache of the compiled top level and writes it a few seconds later. Any failure here only
 * costs the cache: the server itself starts the same way.
 *
 * This module is its own tiny bundle (src/server/codeCache.ts does the work) and must not
 * import the server.
 */
import * as path from 'node:path';
import { CODE_CACHE_ENV } from './bootEnv';
import { runCached } from './codeCache';
import { trace } from './perfTrace';
import { traceToFile } from './traceFile';

traceToFile('server');
trace('server.process', undefined, performance.timeOrigin);
trace('server.boot');
// dist/server-boot.js sits next to dist/server.js.
runCached(path.join(__dirname, 'server.js'), process.env[CODE_CACHE_ENV] || undefined);
