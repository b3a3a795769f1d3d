/** Inputs and text edits for the property and fuzz tests of the parser and checker. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { memoryHost } from '../../../src/language/program';

const EXAMPLES_DIR = resolve(__dirname, '../../../examples');

/** The text of every example model (examples/*.dlm). */
export const exampleTexts: readonly string[] = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.dlm'))
  .map((f) => readFileSync(join(EXAMPLES_DIR, f), 'utf8'));

/** A workspace `/ws` with one importable file, `lib.dlm`, defining `block Lib`. */
export const libHost = memoryHost(
  { '/ws/lib.dlm': 'block Lib(c: int)(x) { x |> Dense(c) }' },
  '/ws',
);

/** `src` with `del` characters at `pos` (wrapped to the text's length) replaced by `ins`. */
export const edit = (src: string, pos: number, del: number, ins: string): string => {
  const at = pos % (src.length + 1);
  return src.slice(0, at) + ins + src.slice(at + del);
};
