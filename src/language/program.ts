/**
 * The checker's entry point: parse a file and its imports, elaborate every model, validate data
 * and train sections, run the learner lints, and return one CheckResult.
 */
import type { Diagnostic, Fix, Shape, Span } from '../core';
import { CODES, type Code } from '../core/codes';
import { didYouMean } from '../core/suggest';
import { getLayer, layerNames } from '../layers/catalog';
import type {
  BlockItem,
  Body,
  DataItem,
  ImportItem,
  ModelItem,
  Pipeline,
  SourceFile,
  Stage,
} from './ast';
import type { CheckResult, CheckedModel, CheckedTrain, StageShape } from './checked';
import { checkDataItem, checkTrainItem, type DataCheck } from './checkTrain';
import {
  Elaborator,
  type Declaration,
  type Defined,
  type FileScope,
  type ModelCapture,
} from './elaborate';
import { lintModel } from './lints';
import { checkWeightSources, type WeightsHeader } from './weights';
import { editRegion, parse, reparse, type TextEdit } from './parser';
import { isInside, normalize, resolveRelative } from './paths';

/** Where the checker reads files. Paths are absolute POSIX paths. */
export interface Host {
  /** The text of a file, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
  /** The workspace root: imports and data files must resolve inside it. */
  readonly root: string;
  /** Whether a (data) file exists; optional, so hosts without a disk skip the check. */
  exists?(path: string): boolean;
  /**
   * Why a file cannot be read although something is there: a link out of the workspace, not a
   * regular file, too large (`source`: an imported .dlm file; `data`: a data file). Optional.
   */
  problem?(path: string, kind: 'source' | 'data'): FileProblem | undefined;
  /**
   * The tensor names and shapes of a weights file named by `weights from` (read from its header
   * where the format allows, through the confined file system), or why not. Optional: without it
   * the names are not checked.
   */
  weightsHeader?(path: string): WeightsHeader;
}

/** A file the host refuses to read, as a diagnostic. */
export interface FileProblem {
  readonly code: 'DLM207' | 'DLM208' | 'DLM209';
  readonly message: string;
}

/** A host over an in-memory map, handy for tests and for unsaved editor buffers. */
export function memoryHost(files: Record<string, string>, root = '/'): Host {
  return { root, readFile: (p) => files[p], exists: (p) => p in files };
}

const MAX_IMPORT_DEPTH = 64;
/** Learner-lint warnings reported per model (docs/limits.md); a DLM035 note counts the rest. */
export const MAX_LINT_WARNINGS = 200;

export function checkFile(path: string, host: Host): CheckResult {
  return checkText(normalize(path), host.readFile(normalize(path)) ?? '', host);
}

/** Kept on a CheckResult (as `reuse`) so the next check of the same file can skip unchanged models. */
interface ReuseState {
  readonly path: string;
  readonly text: string;
  /** Texts of every other file the check read (imports). */
  readonly otherTexts: ReadonlyMap<string, string>;
  /** Kinds and names of the root file's items, in order: a change forces a full check. */
  readonly signature: string;
  /** For models and blocks: [end of the previous item, end of this item] (includes doc comments). */
  readonly ranges: ReadonlyMap<string, readonly [number, number]>;
  /** For each model: the root-file blocks it names, transitively. */
  readonly deps: ReadonlyMap<string, readonly string[]>;
  readonly models: ReadonlyMap<string, Kept>;
}

/** A model of the previous result with what it contributed, for reuse by the next check. */
interface Kept {
  readonly model: CheckedModel;
  readonly capture: ModelCapture;
  /**
   * The model's lint reports (root file only) and the train loss they were computed with: lints
   * read only the model, the loss name and the text at the model's own spans, so a reused model
   * with the same loss reports the same.
   */
  lints?: { readonly loss: string | undefined; readonly diagnostics: readonly Diagnostic[] };
}

type Edit = TextEdit;

/**
 * Check `text` as the content of `path` (the editor's buffer may differ from the disk).
 *
 * With `previous` (the last result for the same file), models whose text, and whose blocks' text,
 * lie outside the edited region are reused with their spans shifted instead of being elaborated
 * again. The result is the same as a full check; when in doubt (imports changed, items added,
 * removed or renamed) everything is checked.
 */
export function checkText(
  path: string,
  text: string,
  host: Host,
  previous?: CheckResult,
): CheckResult {
  const root = normalize(host.root);
  // Every train section may name the same data files: ask the host once per path and check.
  const existsMemo = new Map<string, boolean | FileProblem>();
  const hostExists = host.exists?.bind(host);
  const hostProblem = host.problem?.bind(host);
  const exists =
    hostExists || hostProblem
      ? (p: string): boolean | FileProblem => {
          let e = existsMemo.get(p);
          if (e === undefined)
            existsMemo.set(p, (e = hostProblem?.(p, 'data') ?? hostExists?.(p) ?? true));
          return e;
        }
      : undefined;
  const files = new Map<string, SourceFile>();
  const texts = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const imports = new Map<string, string[]>(); // file → directly imported files
  const push = (code: Code, file: string, span: Span, message: string, fixes?: Fix[]): void => {
    diagnostics.push({ code, severity: CODES[code].severity, file, span, message, fixes });
  };

  // The previous result of the same file: its syntax tree is reused outside the edited region.
  const prev = previous?.reuse as ReuseState | undefined;
  const prevRoot = prev && prev.path === path ? previous?.files.get(path) : undefined;
  const rootEdit = prev && prevRoot ? editRegion(prev.text, text) : undefined;
  const load = (file: string, content: string, stack: string[]): void => {
    const sf =
      (file === path && prevRoot && rootEdit && reparse(prevRoot, content, rootEdit)) ||
      parse(content, file);
    files.set(file, sf);
    texts.set(file, content);
    const direct: string[] = [];
    imports.set(file, direct);
    for (const item of sf.items) {
      if (item.kind !== 'Import' || item.path.kind !== 'String') continue;
      const target = resolveImport(item, file, root, host, (code, span, message) =>
        push(code, file, span, message),
      );
      if (!target) continue;
      if (target === file || stack.includes(target)) {
        const cycle = [...stack.slice(stack.indexOf(target)), file, target].map((f) =>
          f.split('/').pop(),
        );
        push('DLM019', file, item.path.span, `import cycle: ${cycle.join(' → ')}`);
        continue;
      }
      direct.push(target);
      if (files.has(target)) continue;
      if (stack.length > MAX_IMPORT_DEPTH) {
        push('DLM019', file, item.path.span, `imports nest deeper than ${MAX_IMPORT_DEPTH} files`);
        continue;
      }
      load(target, host.readFile(target) ?? '', [...stack, file]);
      const errs = files.get(target)!.errors.length;
      if (errs > 0)
        push(
          'DLM018',
          file,
          item.path.span,
          `'${item.path.value}' has ${errs} syntax error${errs === 1 ? '' : 's'}; its definitions may be incomplete`,
        );
    }
  };
  load(path, text, []);
  const rootFile = files.get(path)!;
  for (const e of rootFile.errors) push(e.code as Code, path, e.span, e.message);

  // Scopes: a file sees its own items and those of the files it imports directly.
  const scopes = new Map<string, FileScope>();
  const scopeOf = (file: string): FileScope => {
    let s = scopes.get(file);
    if (s) return s;
    const blocks = new Map<string, Defined<BlockItem>>();
    const models = new Map<string, Defined<ModelItem>>();
    const data = new Map<string, Defined<DataItem>>();
    const add = (f: string, own: boolean): void => {
      for (const item of files.get(f)?.items ?? []) {
        if (item.kind !== 'Block' && item.kind !== 'Model' && item.kind !== 'Data') continue;
        const name = item.name.name;
        if (!name) continue;
        const taken = blocks.get(name) ?? models.get(name) ?? data.get(name);
        if (taken) {
          if (own && file === path && taken.file === f)
            push('DLM015', f, item.name.span, `'${name}' is already defined in this file`);
          else if (own && file === path)
            push(
              'DLM015',
              f,
              item.name.span,
              `'${name}' is also defined in the imported file ${taken.file.split('/').pop()}; this definition hides it`,
            );
          if (!own) continue;
        }
        if (item.kind === 'Block') blocks.set(name, { item, file: f });
        else if (item.kind === 'Model') models.set(name, { item, file: f });
        else data.set(name, { item, file: f });
      }
    };
    for (const imp of imports.get(file) ?? []) add(imp, false);
    add(file, true);
    s = { file, blocks, models, data };
    scopes.set(file, s);
    return s;
  };

  const scope = scopeOf(path);
  const elab = new Elaborator(path, texts, scopeOf);
  const otherTexts = new Map([...texts].filter(([f]) => f !== path));
  const signature = rootFile.items
    .map((i) => `${i.kind}:${'name' in i ? i.name.name : i.kind === 'Train' ? i.model.name : ''}`)
    .join('|');
  const edit =
    prev && prev.signature === signature && sameTexts(prev.otherTexts, otherTexts)
      ? rootEdit
      : undefined;
  const ranges = itemRanges(rootFile);
  const deps = modelDeps(rootFile, scope);

  const models: CheckedModel[] = [];
  const captures: ModelCapture[] = [];
  const kept = new Map<string, Kept>();
  for (const item of rootFile.items) {
    if (item.kind !== 'Model' || !item.name.name) continue;
    if (scope.models.get(item.name.name)?.item !== item) continue; // duplicate, reported above
    const name = item.name.name;
    let entry: Kept | undefined = edit && prev ? reusable(prev, name, edit, path) : undefined;
    if (!entry) {
      elab.beginCapture();
      const model = elab.elaborateModel(item, path);
      entry = { model, capture: elab.endCapture() };
    }
    models.push(entry.model);
    captures.push(entry.capture);
    kept.set(name, entry);
  }
  elab.beginCapture();
  checkUnusedBlocks(rootFile, scope, elab);
  const rest = elab.endCapture();

  // Merge what the models reported (each model's reports are complete; deduplicate here).
  const seen = new Set<string>();
  for (const d of [...captures.flatMap((c) => c.diagnostics), ...rest.diagnostics]) {
    const key = `${d.code}|${d.file}|${d.span.start}|${d.span.end}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(d);
  }
  // Unused bindings: declared by some model's elaboration and used by none. Keyed by file, then
  // by the offset of the declaring name.
  const declared = new Map<string, Map<number, Declaration>>();
  const used = new Map<string, Set<number>>();
  for (const c of captures) {
    for (const d of c.declared) {
      let m = declared.get(d.file);
      if (!m) declared.set(d.file, (m = new Map()));
      if (!m.has(d.span.start)) m.set(d.span.start, d);
    }
    for (const u of c.used) {
      let m = used.get(u.file);
      if (!m) used.set(u.file, (m = new Set()));
      m.add(u.offset);
    }
  }
  for (const d of declared.get(path)?.values() ?? [])
    if (!used.get(path)?.has(d.span.start))
      diagnostics.push({
        code: 'DLM017',
        severity: CODES.DLM017.severity,
        file: d.file,
        span: d.span,
        message: `${d.what} '${d.name}' is never used`,
        tags: ['unnecessary'],
      });

  // Data declarations and train sections.
  const report =
    (file: string) =>
    (code: Code, span: Span, message: string, opts?: { fixes?: Fix[]; severity?: 'warning' }) =>
      diagnostics.push({
        code,
        severity: opts?.severity ?? CODES[code].severity,
        file,
        span,
        message,
        fixes: opts?.fixes,
      });
  const dataDecls = new Map<string, { check?: DataCheck; span: Span }>();
  for (const [name, d] of scope.data) {
    const check = checkDataItem(
      d.item,
      d.file,
      root,
      d.file === path ? report(path) : () => undefined,
      exists,
    );
    dataDecls.set(name, { check, span: d.item.span });
  }
  const modelMap = new Map<string, CheckedModel>();
  const byName = new Map<string, CheckedModel>();
  for (const m of models) if (!byName.has(m.name)) byName.set(m.name, m);
  for (const [name, m] of scope.models) {
    const checked = m.file === path ? byName.get(name) : undefined;
    if (checked) modelMap.set(name, checked);
    else if (m.file !== path) modelMap.set(name, elabImported(m, texts, scopeOf));
  }
  const trains: CheckedTrain[] = [];
  for (const item of rootFile.items) {
    if (item.kind !== 'Train') continue;
    const t = checkTrainItem(item, path, root, modelMap, dataDecls, report(path), exists);
    if (t) trains.push(t);
    const tm = modelMap.get(item.model.name);
    if (tm && tm.totals.trainable === 0 && tm.totals.frozen > 0)
      report(path)(
        'DLM067',
        item.model.span,
        `every parameter of ${tm.name} is frozen (${tm.totals.frozen.toLocaleString('en-US')}); training would change nothing: unfreeze the part to train, usually the new head`,
      );
  }

  // `weights from` files against the models' parameter names and shapes.
  const headerMemo = new Map<string, WeightsHeader>();
  const hostHeader = host.weightsHeader?.bind(host);
  const header = hostHeader
    ? (p: string): WeightsHeader => {
        let h = headerMemo.get(p);
        if (!h) headerMemo.set(p, (h = hostHeader(p)));
        return h;
      }
    : undefined;
  for (const m of models)
    checkWeightSources(m, root, header, (code, file, span, message, related) =>
      diagnostics.push({
        code,
        severity: CODES[code].severity,
        file,
        span,
        message,
        ...(related ? { related } : {}),
      }),
    );

  // Lints on the root file's models.
  const trainOf = new Map<string, CheckedTrain>();
  for (const t of trains) if (!trainOf.has(t.model)) trainOf.set(t.model, t);
  for (const m of models) {
    const train = trainOf.get(m.name);
    const entry = kept.get(m.name);
    const loss = train?.loss?.name;
    if (entry?.model === m && entry.lints && entry.lints.loss === loss) {
      for (const d of entry.lints.diagnostics) diagnostics.push(d);
      continue;
    }
    // Every instance of a repeated layer reports the same lint at the same place: report it once,
    // and at most MAX_LINT_WARNINGS per model, with a note counting the rest (DLM035).
    const own: Diagnostic[] = [];
    const seenLints = new Set<string>();
    let hidden = 0;
    lintModel(
      m,
      train,
      (code, file, span, message, fixes) => {
        if (file !== path) return;
        const key = `${code}|${span.start}|${span.end}|${message}`;
        if (seenLints.has(key)) return;
        seenLints.add(key);
        if (own.length >= MAX_LINT_WARNINGS) hidden++;
        else own.push({ code, severity: CODES[code].severity, file, span, message, fixes });
      },
      (f) => texts.get(f) ?? '',
    );
    if (hidden > 0 && m.file === path)
      own.push({
        code: 'DLM035',
        severity: CODES.DLM035.severity,
        file: path,
        span: m.nameSpan,
        message: `model ${m.name} has ${hidden.toLocaleString('en-US')} more lint warning${hidden === 1 ? '' : 's'} than the ${MAX_LINT_WARNINGS} shown`,
      });
    for (const d of own) diagnostics.push(d);
    if (entry?.model === m) entry.lints = { loss, diagnostics: own };
  }

  diagnostics.sort((a, b) =>
    a.file === b.file
      ? a.span.start - b.span.start || a.span.end - b.span.end
      : a.file < b.file
        ? -1
        : 1,
  );
  const reuse: ReuseState = { path, text, otherTexts, signature, ranges, deps, models: kept };
  return withLazyStages({ files, models, trains, diagnostics, reuse }, captures);
}

/**
 * The result, with stage shapes (which feed inlay hints and hover only) aggregated when first
 * asked for, so an edit publishes its diagnostics without this work.
 *
 * A function of its own on purpose: a getter defined inside checkText would close over
 * checkText's whole scope, including the previous result's syntax tree (`prevRoot`). Each result
 * would then keep the one before it alive, and anything that keeps an old result (a cache keyed
 * by its syntax tree) would keep every result of the editing session.
 */
function withLazyStages(
  result: Omit<CheckResult, 'stageShapes'>,
  captures: readonly ModelCapture[],
): CheckResult {
  let stageShapes: StageShape[] | undefined;
  return {
    ...result,
    get stageShapes(): StageShape[] {
      return (stageShapes ??= aggregateStages(captures));
    },
  };
}

/**
 * The result for a file the checker failed on (an internal error): one DLM900 diagnostic on its
 * first line instead of no diagnostics at all, and the syntax tree when parsing alone succeeds.
 * The language server caches it like any result, so a failing file is not checked again for
 * every request.
 */
export function failedCheck(path: string, text: string, err: unknown): CheckResult {
  let file: SourceFile;
  try {
    file = parse(text, path);
  } catch {
    file = { kind: 'File', uri: path, text, items: [], errors: [], comments: [] };
  }
  const message = err instanceof Error ? err.message : String(err);
  const nl = text.indexOf('\n');
  return {
    files: new Map([[path, file]]),
    models: [],
    trains: [],
    diagnostics: [
      {
        code: 'DLM900',
        severity: CODES.DLM900.severity,
        file: path,
        span: { start: 0, end: nl < 0 ? text.length : nl },
        message: `the checker failed on this file (${message.length > 200 ? message.slice(0, 200) + '…' : message}); nothing in it was checked. Please report it with the file.`,
      },
    ],
    stageShapes: [],
  };
}

function sameTexts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function itemRanges(file: SourceFile): Map<string, readonly [number, number]> {
  const out = new Map<string, readonly [number, number]>();
  let prevEnd = 0;
  for (const item of file.items) {
    if ((item.kind === 'Model' || item.kind === 'Block') && item.name.name)
      out.set(`${item.kind}:${item.name.name}`, [prevEnd, item.span.end]);
    prevEnd = item.span.end;
  }
  return out;
}

/** For each model, the root-file blocks it names (directly or through other blocks). */
function modelDeps(file: SourceFile, scope: FileScope): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const item of file.items) {
    if (item.kind !== 'Model') continue;
    const found = new Set<string>();
    const queue = [...calleesOf(item.body)];
    while (queue.length) {
      const n = queue.pop()!;
      if (found.has(n)) continue;
      const b = scope.blocks.get(n);
      if (!b || b.file !== file.uri) continue;
      found.add(n);
      for (const c of calleesOf(b.item.body)) queue.push(c);
    }
    out.set(item.name.name, [...found]);
  }
  return out;
}

/** The previous result's model, shifted to the new text, when nothing it depends on was edited. */
function reusable(prev: ReuseState, name: string, edit: Edit, path: string): Kept | undefined {
  const entry = prev.models.get(name);
  if (!entry) return undefined;
  const spans = [`Model:${name}`, ...(prev.deps.get(name) ?? []).map((b) => `Block:${b}`)];
  for (const key of spans) {
    const r = prev.ranges.get(key);
    if (!r || (r[0] <= edit.oldEnd && edit.start <= r[1])) return undefined;
  }
  if (edit.delta === 0) return { model: entry.model, capture: entry.capture, lints: entry.lints };
  const f = (file: string, s: Span): Span =>
    file === path && s.start >= edit.oldEnd
      ? { start: s.start + edit.delta, end: s.end + edit.delta }
      : s;
  const m = entry.model;
  const model: CheckedModel = {
    ...m,
    span: f(m.file, m.span),
    nameSpan: f(m.file, m.nameSpan),
    inputs: m.inputs.map((io) => ({ ...io, span: f(m.file, io.span) })),
    outputs: m.outputs.map((io) => ({ ...io, span: f(m.file, io.span) })),
    nodes: m.nodes.map((n) => ({ ...n, span: f(n.file, n.span), nameSpan: f(n.file, n.nameSpan) })),
    values: m.values.map((v) => ({ ...v, span: f(v.file, v.span) })),
    groups: m.groups.map((g) => ({ ...g, span: f(g.file, g.span) })),
  };
  const c = entry.capture;
  const shiftDiagnostic = (d: Diagnostic): Diagnostic => ({
    ...d,
    span: f(d.file, d.span),
    related: d.related?.map((r) => ({ ...r, span: f(r.file, r.span) })),
    fixes: d.fixes?.map((fx) => ({
      ...fx,
      edits: fx.edits.map((e) => ({ ...e, span: f(d.file, e.span) })),
    })),
  });
  const capture: ModelCapture = {
    diagnostics: c.diagnostics.map(shiftDiagnostic),
    declared: c.declared.map((d) => ({ ...d, span: f(d.file, d.span) })),
    used: c.used.map((u) =>
      u.file === path && u.offset >= edit.oldEnd
        ? { file: u.file, offset: u.offset + edit.delta }
        : u,
    ),
    stages: c.stages.map((st) => ({ ...st, span: f(st.file, st.span) })),
  };
  const lints = entry.lints && {
    loss: entry.lints.loss,
    diagnostics: entry.lints.diagnostics.map(shiftDiagnostic),
  };
  return { model, capture, lints };
}

/** A key for a stage's output shapes (dims compare by their canonical keys). */
function shapesKey(shapes: readonly Shape[]): string {
  let k = '';
  for (const sh of shapes) {
    for (const d of sh) k += d.key() + ',';
    k += ';';
  }
  return k;
}

/** What identifies a stage's output shapes cheaply: its single shape, else the array. */
function identityOf(shapes: readonly Shape[]): object {
  return shapes.length === 1 ? shapes[0]! : shapes;
}

/** Stage shapes of all models, merged per source stage with counts and distinct variants. */
function aggregateStages(captures: readonly ModelCapture[]): StageShape[] {
  interface Variant {
    shapes: readonly Shape[];
    count: number;
  }
  interface Acc {
    file: string;
    span: Span;
    shapes: readonly Shape[];
    count: number;
    variants: Variant[];
    /**
     * Variants by identity (the shapes array, or its single shape: instances often share the
     * shape objects of one shape-rule result) and by shape key; made on demand.
     */
    byArray?: Map<object, Variant>;
    byKey?: Map<string, Variant>;
  }
  const out: Acc[] = [];
  // file → (span start, end) → accumulator; offsets fit in 2^26, so start·2^26 + end is exact.
  const perFile = new Map<string, Map<number, Acc>>();
  for (const c of captures)
    for (const st of c.stages) {
      let byPos = perFile.get(st.file);
      if (!byPos) perFile.set(st.file, (byPos = new Map()));
      const pos = st.span.start * 67_108_864 + st.span.end;
      const acc = byPos.get(pos);
      if (!acc) {
        const a: Acc = {
          file: st.file,
          span: st.span,
          shapes: st.shapes,
          count: 1,
          variants: [{ shapes: st.shapes, count: 1 }],
        };
        byPos.set(pos, a);
        out.push(a);
        continue;
      }
      acc.count++;
      const first = acc.variants[0]!;
      if (st.shapes === first.shapes) {
        first.count++;
        continue;
      }
      const id = identityOf(st.shapes);
      if (!acc.byArray) {
        acc.byArray = new Map([[identityOf(first.shapes), first]]);
        acc.byKey = new Map([[shapesKey(first.shapes), first]]);
      }
      let v = acc.byArray.get(id);
      if (!v) {
        const k = shapesKey(st.shapes);
        v = acc.byKey!.get(k);
        if (!v) {
          v = { shapes: st.shapes, count: 0 };
          acc.variants.push(v);
          acc.byKey!.set(k, v);
        }
        acc.byArray.set(id, v);
      }
      v.count++;
    }
  return out.map(({ file, span, shapes, count, variants }) => ({
    file,
    span,
    shapes,
    count,
    variants,
  }));
}

/** Elaborate a model from an imported file (for train sections that name it); its diagnostics stay there. */
function elabImported(
  m: Defined<ModelItem>,
  texts: ReadonlyMap<string, string>,
  scopeOf: (f: string) => FileScope,
): CheckedModel {
  const e = new Elaborator(m.file, texts, scopeOf);
  return e.elaborateModel(m.item, m.file);
}

function resolveImport(
  item: ImportItem,
  file: string,
  root: string,
  host: Host,
  push: (code: Code, span: Span, message: string) => void,
): string | undefined {
  if (item.path.kind !== 'String') return undefined;
  const rel = item.path.value;
  if (rel.startsWith('/') || /^[a-zA-Z]+:/.test(rel)) {
    push(
      'DLM018',
      item.path.span,
      `imports must be relative paths, e.g. import "blocks/resnet.dlm"`,
    );
    return undefined;
  }
  const target = resolveRelative(file, rel);
  if (!isInside(root, target)) {
    push(
      'DLM018',
      item.path.span,
      `'${rel}' resolves outside the workspace; imports must stay inside the workspace folder`,
    );
    return undefined;
  }
  if (host.readFile(target) === undefined) {
    const problem = host.problem?.(target, 'source');
    if (problem) {
      push(problem.code, item.path.span, `cannot import '${rel}': ${problem.message}`);
      return undefined;
    }
    push('DLM018', item.path.span, `cannot find '${rel}' (looked for ${target})`);
    return undefined;
  }
  return target;
}

/** Names of every layer, block or shared layer a body calls (including nested if/repeat). */
function calleesOf(body: Body, into = new Set<string>()): Set<string> {
  const visitStage = (st: Stage): void => {
    if (st.kind === 'Layer') into.add(st.callee.name);
    else if (st.kind === 'Repeat') visitStage(st.body);
    else if (st.kind === 'Group') st.stages.forEach(visitStage);
  };
  const visitPipeline = (p: Pipeline): void => {
    p.stages.forEach(visitStage);
    if (p.source.kind === 'SourceTuple') p.source.items.forEach(visitPipeline);
  };
  for (const st of body.stmts) {
    if (st.kind === 'Bind' || st.kind === 'BindTuple' || st.kind === 'ExprStmt')
      visitPipeline(st.value);
    else if (st.kind === 'Return') st.values.forEach(visitPipeline);
    else if (st.kind === 'LayerDecl' || st.kind === 'ParamDecl') into.add(st.value.callee.name);
    else if (st.kind === 'If') {
      calleesOf(st.then, into);
      let e = st.else;
      while (e) {
        if (e.kind === 'If') {
          calleesOf(e.then, into);
          e = e.else;
        } else {
          calleesOf(e, into);
          e = undefined;
        }
      }
    }
  }
  return into;
}

/**
 * Blocks that no model uses are never elaborated; still check that the layers they call exist,
 * so typos show up while a block is being written.
 */
function checkUnusedBlocks(file: SourceFile, scope: FileScope, elab: Elaborator): void {
  // Blocks used by models, directly or through other blocks.
  const usedNames = new Set<string>();
  for (const item of file.items) if (item.kind === 'Model') calleesOf(item.body, usedNames);
  const queue = [...usedNames];
  while (queue.length) {
    const b = scope.blocks.get(queue.pop()!);
    if (!b) continue;
    for (const n of calleesOf(b.item.body))
      if (!usedNames.has(n)) {
        usedNames.add(n);
        queue.push(n);
      }
  }
  for (const item of file.items) {
    if (item.kind !== 'Block' || usedNames.has(item.name.name)) continue;
    const called = new Set<string>();
    const locals = new Set<string>();
    const walk = (body: Body): void => {
      for (const st of body.stmts) if (st.kind === 'LayerDecl') locals.add(st.name.name);
    };
    walk(item.body);
    const spans = new Map<string, Span>();
    const visit = (s: Stage): void => {
      if (s.kind === 'Layer') {
        called.add(s.callee.name);
        if (!spans.has(s.callee.name)) spans.set(s.callee.name, s.callee.span);
      } else if (s.kind === 'Repeat') visit(s.body);
      else if (s.kind === 'Group') s.stages.forEach(visit);
    };
    const visitBody = (body: Body): void => {
      for (const st of body.stmts) {
        if (st.kind === 'Bind' || st.kind === 'BindTuple' || st.kind === 'ExprStmt')
          st.value.stages.forEach(visit);
        else if (st.kind === 'Return') st.values.forEach((p) => p.stages.forEach(visit));
        else if (st.kind === 'If') {
          visitBody(st.then);
          if (st.else)
            visitBody(
              st.else.kind === 'If'
                ? { kind: 'Body', span: st.else.span, stmts: [st.else] }
                : st.else,
            );
        }
      }
    };
    visitBody(item.body);
    for (const name of called) {
      if (getLayer(name) || scope.blocks.has(name) || locals.has(name)) continue;
      const sug = didYouMean(name, [...layerNames(), ...scope.blocks.keys(), ...locals]);
      const span = spans.get(name)!;
      elab.report(
        'DLM010',
        file.uri,
        span,
        `unknown layer or block '${name}'${sug ? `; did you mean '${sug}'?` : ''}`,
        {
          fixes: sug
            ? [{ title: `Change to '${sug}'`, edits: [{ span, newText: sug }], preferred: true }]
            : undefined,
        },
      );
    }
  }
}
