/** Text edits for the incremental parser and checker property tests. */

/** `src` with `del` characters at `pos` (wrapped to the text's length) replaced by `ins`. */
export const edit = (src: string, pos: number, del: number, ins: string): string => {
  const at = pos % (src.length + 1);
  return src.slice(0, at) + ins + src.slice(at + del);
};
