/**
 * Runs a CommonJS bundle with a V8 code cache (used by src/server/boot.ts for the language
 * server; see there and docs/decisions/0021-editor-latency.md).
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
/** How long after the start the cache is written (by default): not while the server starts. */
export const WRITE_AFTER_MS = 5000;

function cacheFile(dir: string, bundle: string): string | undefined {
  try {
    const st = fs.statSync(bundle);
    const key = `${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}`;
    return path.join(dir, `${path.basename(bundle)}.${process.version}.${key}.v8cache`);
  } catch {
    return undefined;
  }
}

/** Runs the CommonJS bundle `file` as `require(file)` would, with a V8 code cache when it can. */
export function runCached(
  file: string,
  cacheDir: string | undefined,
  writeAfterMs = WRITE_AFTER_MS,
): { cache?: string; usedCache: boolean } {
  const source = fs.readFileSync(file, 'utf8');
  const cache = cacheDir ? cacheFile(cacheDir, file) : undefined;
  let cachedData: Buffer | undefined;
  if (cache) {
    try {
      cachedData = fs.readFileSync(cache);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(
    path.dirname(file),
  );
  const req = Module.createRequire(file);
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  if (cache && cacheDir && (!cachedData || script.cachedDataRejected)) {
    // Taken now, before the bundle runs: the top level and the functions V8 compiled eagerly.
    // A cache taken after the first check also holds everything that check ran, and is slower
    // to load than compiling those functions lazily again (docs/decisions/0021-editor-latency.md).
    const data = script.createCachedData();
    setTimeout(() => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        // the old caches of this bundle (another build, another Node) go
        const prefix = `${path.basename(file)}.`;
        for (const f of fs.readdirSync(cacheDir))
          if (f.startsWith(prefix) && f.endsWith('.v8cache')) fs.rmSync(path.join(cacheDir, f));
        const tmp = `${cache}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, data);
        fs.renameSync(tmp, cache);
      } catch {
        /* no cache this time */
      }
    }, writeAfterMs).unref();
  }
  wrapper.call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
  return { ...(cache ? { cache } : {}), usedCache: !!cachedData && !script.cachedDataRejected };
}
