/**
 * Column groups of a CSV dataset (`Csv("f.csv", inputs=("user: age..income", "item: price, stars"))`):
 * each group is a named input of the dataset, fed to the model input of the same name
 * (docs/training.md, "Models with several inputs or outputs"). A group lists its columns by header name,
 * singly or as an inclusive range `first..last` in header order.
 *
 * Parsing the group text is pure and happens in the checker (DLM210 at the attribute); matching
 * the names against the header happens when the file is read.
 */
import { didYouMean } from '../core/suggest';

export type ColumnItem =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'range'; readonly from: string; readonly to: string };

export interface ColumnGroup {
  readonly name: string;
  readonly items: readonly ColumnItem[];
}

export type GroupsResult =
  | { readonly ok: true; readonly groups: readonly ColumnGroup[] }
  | { readonly ok: false; readonly message: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The `inputs` attribute: one group string or a tuple of them. */
export function parseColumnGroups(value: unknown): GroupsResult {
  const texts = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string'))
    return {
      ok: false,
      message:
        'inputs takes column groups as strings, e.g. inputs=("user: age..income", "item: price, stars")',
    };
  const groups: ColumnGroup[] = [];
  for (const text of texts as string[]) {
    const colon = text.indexOf(':');
    const name = (colon < 0 ? '' : text.slice(0, colon)).trim();
    if (colon < 0 || !IDENT.test(name))
      return {
        ok: false,
        message: `column group '${text}' needs the form "name: columns" where name is the model input it feeds, e.g. "user: age, income"`,
      };
    if (groups.some((g) => g.name === name))
      return { ok: false, message: `column group '${name}' is given twice` };
    const items: ColumnItem[] = [];
    for (const raw of text.slice(colon + 1).split(',')) {
      const item = raw.trim();
      if (!item)
        return {
          ok: false,
          message: `column group '${name}' has an empty column name; list columns separated by commas`,
        };
      const dots = item.indexOf('..');
      if (dots < 0) {
        items.push({ kind: 'column', name: item });
        continue;
      }
      const from = item.slice(0, dots).trim();
      const to = item.slice(dots + 2).trim();
      if (!from || !to)
        return {
          ok: false,
          message: `column group '${name}': the range '${item}' needs a first and a last column, e.g. 'f0..f7'`,
        };
      items.push({ kind: 'range', from, to });
    }
    groups.push({ name, items });
  }
  return { ok: true, groups };
}

/** The number of columns a group has when it lists every one (no ranges), else undefined. */
export function listedWidth(g: ColumnGroup): number | undefined {
  return g.items.every((i) => i.kind === 'column') ? g.items.length : undefined;
}

/**
 * The header indices of each group, in the order written. Errors name the group and the column:
 * an unknown name (with a suggestion), a range that runs backwards, the target column, or a column
 * in two groups. Returns the message of the first problem, or the indices.
 */
export function resolveColumnGroups(
  groups: readonly ColumnGroup[],
  header: readonly string[],
  target: number,
  file: string,
): { ok: true; columns: number[][] } | { ok: false; message: string } {
  const owner = new Map<number, string>();
  const columns: number[][] = [];
  const index = (g: ColumnGroup, c: string): number | string => {
    const j = header.indexOf(c);
    if (j >= 0) return j;
    const sug = didYouMean(c, header);
    return `${file} has no column '${c}' (column group '${g.name}')${sug ? `; did you mean '${sug}'?` : `; columns: ${header.map((h) => `'${h}'`).join(', ')}`}`;
  };
  for (const g of groups) {
    const cols: number[] = [];
    for (const it of g.items) {
      if (it.kind === 'column') {
        const j = index(g, it.name);
        if (typeof j === 'string') return { ok: false, message: j };
        cols.push(j);
        continue;
      }
      const a = index(g, it.from);
      if (typeof a === 'string') return { ok: false, message: a };
      const b = index(g, it.to);
      if (typeof b === 'string') return { ok: false, message: b };
      if (b < a)
        return {
          ok: false,
          message: `column group '${g.name}': the range '${it.from}..${it.to}' runs backwards ('${it.to}' comes before '${it.from}' in ${file})`,
        };
      for (let j = a; j <= b; j++) cols.push(j);
    }
    for (const j of cols) {
      if (j === target)
        return {
          ok: false,
          message: `column group '${g.name}' includes the target column '${header[j]}'; a target cannot also be an input`,
        };
      const other = owner.get(j);
      if (other !== undefined)
        return {
          ok: false,
          message: `column '${header[j]}' is in two column groups, '${other}' and '${g.name}'`,
        };
      owner.set(j, g.name);
    }
    columns.push(cols);
  }
  return { ok: true, columns };
}
