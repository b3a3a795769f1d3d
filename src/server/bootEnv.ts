/**
 * The environment variable through which the client names the language server's V8 code cache
 * folder (src/server/boot.ts). Its own module: both the tiny boot bundle and the client use it.
 */
export const CODE_CACHE_ENV = 'DLM_CODE_CACHE_DIR';
