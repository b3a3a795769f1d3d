/**
 * Go to definition, find references, rename: over the symbol index, across the root file and
 * the files it imports (CheckResult.files).
 */
import type { Span } from '../core';
import type { CheckResult } from '../language/checked';
import { KEYWORDS } from '../language/lexer';
import {
  blockParamSym,
  indexFile,
  isIdent,
  occurrenceAt,
  type Occurrence,
  type Sym,
} from './index';

export interface Location {
  readonly file: string;
  readonly span: Span;
}

export interface FileEdit {
  readonly file: string;
  readonly span: Span;
  readonly newText: string;
}

export type RenameResult = { readonly edits: readonly FileEdit[] } | { readonly error: string };

function symAt(result: CheckResult, file: string, offset: number): Occurrence | undefined {
  const ix = indexFile(result, file);
  return ix ? occurrenceAt(ix, offset) : undefined;
}

/** Keyword-argument names of block calls stand for the block's parameter. */
function canonical(result: CheckResult, sym: Sym): Sym {
  return blockParamSym(result, sym) ?? sym;
}

export function definition(result: CheckResult, file: string, offset: number): Location[] {
  const occ = symAt(result, file, offset);
  if (!occ) return [];
  const sym = canonical(result, occ.sym);
  if (sym.kind === 'import')
    return result.files.has(sym.owner!) ? [{ file: sym.owner!, span: { start: 0, end: 0 } }] : [];
  if (sym.file && sym.declSpan) return [{ file: sym.file, span: sym.declSpan }];
  return [];
}

/** All occurrences of the symbol at the cursor in every file of the result. */
export function references(
  result: CheckResult,
  file: string,
  offset: number,
  includeDeclaration = true,
): Location[] {
  const occ = symAt(result, file, offset);
  if (!occ || occ.sym.kind === 'unknown') return [];
  const target = canonical(result, occ.sym);
  const out: Location[] = [];
  const seen = new Set<string>();
  for (const f of result.files.keys()) {
    const ix = indexFile(result, f);
    if (!ix) continue;
    for (const o of ix.occurrences) {
      if (canonical(result, o.sym).id !== target.id) continue;
      if (o.decl && !includeDeclaration) continue;
      const key = `${f}:${o.span.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ file: f, span: o.span });
    }
  }
  return out;
}

const RENAMABLE = new Set(['binding', 'input', 'shared', 'param', 'dim', 'block', 'model', 'data']);

export function prepareRename(
  result: CheckResult,
  file: string,
  offset: number,
): { span: Span; placeholder: string } | { error: string } {
  const occ = symAt(result, file, offset);
  if (!occ) return { error: 'Nothing to rename here.' };
  const sym = canonical(result, occ.sym);
  if (sym.kind === 'layer')
    return { error: `'${sym.name}' is a built-in layer and cannot be renamed.` };
  if (!RENAMABLE.has(sym.kind)) return { error: `'${occ.sym.name}' cannot be renamed.` };
  return { span: occ.span, placeholder: occ.sym.name };
}

export function rename(
  result: CheckResult,
  file: string,
  offset: number,
  newName: string,
): RenameResult {
  const prep = prepareRename(result, file, offset);
  if ('error' in prep) return prep;
  if (!isIdent(newName)) return { error: `'${newName}' is not a valid identifier.` };
  if ((KEYWORDS as readonly string[]).includes(newName))
    return { error: `'${newName}' is a keyword.` };
  const refs = references(result, file, offset, true);
  return { edits: refs.map((r) => ({ file: r.file, span: r.span, newText: newName })) };
}
