/**
 * Open Example's list: the bundled examples, each described by its model. Pure (no `vscode`), so
 * it is unit-tested in Node. The extension host does not run the parser, so the doc comment is
 * found as text: the `///` lines right above a `model` line (or, in a file whose model has none,
 * above a `data` line), never a helper block's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The first sentence of the doc comment of the file's first documented model. */
export function modelDescription(text: string): string {
  const docAbove = (kw: string): string | undefined => {
    const m = new RegExp(`((?:^[ \\t]*///.*\\r?\\n)+)[ \\t]*${kw}\\s`, 'm').exec(text);
    return m?.[1]
      ?.split(/\r?\n/)
      .map((l) => l.replace(/^\s*\/\/\/\s?/, ''))
      .join(' ');
  };
  const flat = (docAbove('model') ?? docAbove('data') ?? '').replace(/\s+/g, ' ').trim();
  const first = /^(.+?\.)\s+(?=[A-Z(])/.exec(flat)?.[1] ?? flat;
  return first.length > 160 ? `${first.slice(0, 159)}…` : first;
}

/** The bundled examples in `dir`: regular `.dlm` files (not a `.dlm` runs folder), sorted. */
export function listExamples(dir: string): { file: string; description: string }[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.dlm') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
    .map((file) => {
      let description = '';
      try {
        description = modelDescription(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch {
        description = '';
      }
      return { file, description };
    });
}
