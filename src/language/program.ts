/**
 * The checker's entry point: parse a file and its imports, elaborate every model, validate data
 * and train sections, run the learner lints, and return one CheckResult.
 */
import type { Diagnostic, Fix, Span } from '../core';
import { CODES, type Code } from '../core/codes';
import { didYouMean } from '../core/suggest';
import { getLayer, layerNames } from '../layers/catalog';
import type { BlockItem, Body, DataItem, ImportItem, ModelItem, SourceFile, Stage } from './ast';
import type { CheckResult, CheckedModel, CheckedTrain } from './checked';
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
import { editRegion, parse, reparse, type EditRegion } from './parser';
import { isInside, normalize, resolveRelative } from './paths';
import { DiagnosticSink, diagnosticKey, makeDiagnostic } from './sink';
import {
  calleesOf,
  itemRanges,
  modelDeps,
  reusable,
  sameTexts,
  type Kept,
  type ReuseState,
} from './reuse';
import { withLazyStages } from './stages';

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

/** The root file and every file it imports, parsed, with the import graph. */
interface Sources {
  readonly files: Map<string, SourceFile>;
  readonly texts: Map<string, string>;
  /** file → the files it imports directly. */
  readonly imports: Map<string, string[]>;
  readonly rootFile: SourceFile;
  /** The edit since the previous result of the same file, when there is one. */
  readonly rootEdit: EditRegion | undefined;
}

/** The root file's models, elaborated or reused, and what the next check needs to reuse them. */
interface Elaborated {
  readonly models: CheckedModel[];
  readonly captures: ModelCapture[];
  readonly kept: Map<string, Kept>;
  readonly reuse: Omit<ReuseState, 'models' | 'text'>;
}

/**
 * Check `text` as the content of `path` (the editor's buffer may differ from the disk).
 *
 * With `previous` (the last result for the same file), models whose text, and whose blocks' text,
 * lie outside the edited region are reused with their spans shifted instead of being elaborated
 * again. The result is the same as a full check; when in doubt (imports changed, items added,
 * removed or renamed) everything is checked.
 *
 * The steps, each reporting into one sink: load the file and its imports; build the scopes;
 * elaborate the root file's models (reusing unchanged ones) and check its unused blocks; report
 * unused bindings; check data declarations and train sections; check `weights from` files; lint.
 */
export function checkText(
  path: string,
  text: string,
  host: Host,
  previous?: CheckResult,
): CheckResult {
  const root = normalize(host.root);
  const sink = new DiagnosticSink();
  const prev = previous?.reuse as ReuseState | undefined;
  const sources = loadSources(path, text, host, root, prev ? previous : undefined, sink);
  const scopeOf = fileScopes(sources, path, sink);
  const scope = scopeOf(path);
  const elaborated = elaborateRoot(sources, path, scope, scopeOf, prev, sink);
  const { models, captures, kept } = elaborated;
  reportUnusedBindings(captures, path, sink);
  const trains = checkDataAndTrains(sources, path, root, host, scope, scopeOf, models, sink);
  checkWeightFiles(models, root, host, sink);
  lintRootModels(models, trains, kept, path, sources.texts, sink);
  const reuse: ReuseState = { ...elaborated.reuse, text, models: kept };
  return withLazyStages(
    { files: sources.files, models, trains, diagnostics: sink.sorted(), reuse },
    captures,
  );
}

/**
 * Parse `path` (reusing the previous result's syntax tree outside the edited region) and, depth
 * first, every file it imports: import errors (DLM018, DLM019, and the host's refusals) and the
 * root file's syntax errors go to the sink.
 */
function loadSources(
  path: string,
  text: string,
  host: Host,
  root: string,
  previous: CheckResult | undefined,
  sink: DiagnosticSink,
): Sources {
  const files = new Map<string, SourceFile>();
  const texts = new Map<string, string>();
  const imports = new Map<string, string[]>();
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
    const report = sink.forFile(file);
    for (const item of sf.items) {
      if (item.kind !== 'Import' || item.path.kind !== 'String') continue;
      const target = resolveImport(item, file, root, host, (code, span, message) =>
        report(code, span, message, { fixes: undefined }),
      );
      if (!target) continue;
      if (target === file || stack.includes(target)) {
        const cycle = [...stack.slice(stack.indexOf(target)), file, target].map((f) =>
          f.split('/').pop(),
        );
        report('DLM019', item.path.span, `import cycle: ${cycle.join(' → ')}`, {
          fixes: undefined,
        });
        continue;
      }
      direct.push(target);
      if (files.has(target)) continue;
      if (stack.length > MAX_IMPORT_DEPTH) {
        report('DLM019', item.path.span, `imports nest deeper than ${MAX_IMPORT_DEPTH} files`, {
          fixes: undefined,
        });
        continue;
      }
      load(target, host.readFile(target) ?? '', [...stack, file]);
      const errs = files.get(target)!.errors.length;
      if (errs > 0)
        report(
          'DLM018',
          item.path.span,
          `'${item.path.value}' has ${errs} syntax error${errs === 1 ? '' : 's'}; its definitions may be incomplete`,
          { fixes: undefined },
        );
    }
  };
  load(path, text, []);
  const rootFile = files.get(path)!;
  for (const e of rootFile.errors)
    sink.report(e.code as Code, path, e.span, e.message, { fixes: undefined });
  return { files, texts, imports, rootFile, rootEdit };
}

/**
 * Scopes, made on first use: a file sees its own items and those of the files it imports
 * directly. Duplicate names in the root file are reported (DLM015).
 */
function fileScopes(
  sources: Sources,
  path: string,
  sink: DiagnosticSink,
): (file: string) => FileScope {
  const scopes = new Map<string, FileScope>();
  const scopeOf = (file: string): FileScope => {
    let s = scopes.get(file);
    if (s) return s;
    const blocks = new Map<string, Defined<BlockItem>>();
    const models = new Map<string, Defined<ModelItem>>();
    const data = new Map<string, Defined<DataItem>>();
    const add = (f: string, own: boolean): void => {
      for (const item of sources.files.get(f)?.items ?? []) {
        if (item.kind !== 'Block' && item.kind !== 'Model' && item.kind !== 'Data') continue;
        const name = item.name.name;
        if (!name) continue;
        const taken = blocks.get(name) ?? models.get(name) ?? data.get(name);
        if (taken) {
          if (own && file === path && taken.file === f)
            sink.report('DLM015', f, item.name.span, `'${name}' is already defined in this file`, {
              fixes: undefined,
            });
          else if (own && file === path)
            sink.report(
              'DLM015',
              f,
              item.name.span,
              `'${name}' is also defined in the imported file ${taken.file.split('/').pop()}; this definition hides it`,
              { fixes: undefined },
            );
          if (!own) continue;
        }
        if (item.kind === 'Block') blocks.set(name, { item, file: f });
        else if (item.kind === 'Model') models.set(name, { item, file: f });
        else data.set(name, { item, file: f });
      }
    };
    for (const imp of sources.imports.get(file) ?? []) add(imp, false);
    add(file, true);
    s = { file, blocks, models, data };
    scopes.set(file, s);
    return s;
  };
  return scopeOf;
}

/**
 * Elaborate the root file's models, reusing the previous result's model where nothing it depends
 * on was edited, then check the blocks no model uses; their reports, deduplicated, go to the sink.
 */
function elaborateRoot(
  sources: Sources,
  path: string,
  scope: FileScope,
  scopeOf: (file: string) => FileScope,
  prev: ReuseState | undefined,
  sink: DiagnosticSink,
): Elaborated {
  const { rootFile, texts, rootEdit } = sources;
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
  // Each model's reports are complete (a reused model brings its own): deduplicate across them.
  sink.addUnique([...captures.flatMap((c) => c.diagnostics), ...rest.diagnostics]);
  return {
    models,
    captures,
    kept,
    reuse: { path, otherTexts, signature, ranges, deps },
  };
}

/**
 * Unused bindings (DLM017): declared by some model's elaboration and used by none. Keyed by file,
 * then by the offset of the declaring name.
 */
function reportUnusedBindings(
  captures: readonly ModelCapture[],
  path: string,
  sink: DiagnosticSink,
): void {
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
      sink.report('DLM017', d.file, d.span, `${d.what} '${d.name}' is never used`, {
        tags: ['unnecessary'],
      });
}

/**
 * Data declarations (data files checked once per path through the host) and the root file's
 * train sections, against the models in scope (an imported model is elaborated for its train
 * section; its diagnostics stay in its file).
 */
function checkDataAndTrains(
  sources: Sources,
  path: string,
  root: string,
  host: Host,
  scope: FileScope,
  scopeOf: (file: string) => FileScope,
  models: readonly CheckedModel[],
  sink: DiagnosticSink,
): CheckedTrain[] {
  const exists = dataExists(host);
  const toRoot = sink.forFile(path);
  const report = (
    code: Code,
    span: Span,
    message: string,
    opts?: { fixes?: Fix[]; severity?: 'warning' },
  ): void => toRoot(code, span, message, { severity: opts?.severity, fixes: opts?.fixes });
  const dataDecls = new Map<string, { check?: DataCheck; span: Span }>();
  for (const [name, d] of scope.data) {
    const check = checkDataItem(
      d.item,
      d.file,
      root,
      d.file === path ? report : () => undefined,
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
    else if (m.file !== path) modelMap.set(name, elabImported(m, sources.texts, scopeOf));
  }
  const trains: CheckedTrain[] = [];
  for (const item of sources.rootFile.items) {
    if (item.kind !== 'Train') continue;
    const t = checkTrainItem(item, path, root, modelMap, dataDecls, report, exists);
    if (t) trains.push(t);
    const tm = modelMap.get(item.model.name);
    if (tm && tm.totals.trainable === 0 && tm.totals.frozen > 0)
      report(
        'DLM067',
        item.model.span,
        `every parameter of ${tm.name} is frozen (${tm.totals.frozen.toLocaleString('en-US')}); training would change nothing: unfreeze the part to train, usually the new head`,
      );
  }
  return trains;
}

/** Whether a data file exists (or why it cannot be read), asking the host once per path. */
function dataExists(host: Host): ((p: string) => boolean | FileProblem) | undefined {
  const hostExists = host.exists?.bind(host);
  const hostProblem = host.problem?.bind(host);
  if (!hostExists && !hostProblem) return undefined;
  const memo = new Map<string, boolean | FileProblem>();
  return (p) => {
    let e = memo.get(p);
    if (e === undefined) memo.set(p, (e = hostProblem?.(p, 'data') ?? hostExists?.(p) ?? true));
    return e;
  };
}

/** `weights from` files against the models' parameter names and shapes (headers read once). */
function checkWeightFiles(
  models: readonly CheckedModel[],
  root: string,
  host: Host,
  sink: DiagnosticSink,
): void {
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
      sink.report(code, file, span, message, related ? { related } : undefined),
    );
}

/**
 * Learner lints on the root file's models. Every instance of a repeated layer reports the same
 * lint at the same place: it is reported once, and at most MAX_LINT_WARNINGS per model, with a
 * note counting the rest (DLM035). A reused model with the same loss brings its lints along.
 */
function lintRootModels(
  models: readonly CheckedModel[],
  trains: readonly CheckedTrain[],
  kept: ReadonlyMap<string, Kept>,
  path: string,
  texts: ReadonlyMap<string, string>,
  sink: DiagnosticSink,
): void {
  const trainOf = new Map<string, CheckedTrain>();
  for (const t of trains) if (!trainOf.has(t.model)) trainOf.set(t.model, t);
  for (const m of models) {
    const train = trainOf.get(m.name);
    const entry = kept.get(m.name);
    const loss = train?.loss?.name;
    if (entry?.model === m && entry.lints && entry.lints.loss === loss) {
      for (const d of entry.lints.diagnostics) sink.add(d);
      continue;
    }
    const own: Diagnostic[] = [];
    const seenLints = new Set<string>();
    let hidden = 0;
    lintModel(
      m,
      train,
      (code, file, span, message, fixes) => {
        if (file !== path) return;
        const key = diagnosticKey({ code, file, span, message });
        if (seenLints.has(key)) return;
        seenLints.add(key);
        if (own.length >= MAX_LINT_WARNINGS) hidden++;
        else own.push(makeDiagnostic(code, file, span, message, { fixes }));
      },
      (f) => texts.get(f) ?? '',
    );
    if (hidden > 0 && m.file === path)
      own.push(
        makeDiagnostic(
          'DLM035',
          path,
          m.nameSpan,
          `model ${m.name} has ${hidden.toLocaleString('en-US')} more lint warning${hidden === 1 ? '' : 's'} than the ${MAX_LINT_WARNINGS} shown`,
        ),
      );
    for (const d of own) sink.add(d);
    if (entry?.model === m) entry.lints = { loss, diagnostics: own };
  }
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
