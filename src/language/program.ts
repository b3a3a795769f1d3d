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
import { Elaborator, type Defined, type FileScope } from './elaborate';
import { lintModel } from './lints';
import { parse } from './parser';
import { isInside, normalize, resolveRelative } from './paths';

/** Where the checker reads files. Paths are absolute POSIX paths. */
export interface Host {
  /** The text of a file, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
  /** The workspace root: imports and data files must resolve inside it. */
  readonly root: string;
  /** Whether a (data) file exists; optional, so hosts without a disk skip the check. */
  exists?(path: string): boolean;
}

/** A host over an in-memory map, handy for tests and for unsaved editor buffers. */
export function memoryHost(files: Record<string, string>, root = '/'): Host {
  return { root, readFile: (p) => files[p], exists: (p) => p in files };
}

const MAX_IMPORT_DEPTH = 64;

export function checkFile(path: string, host: Host): CheckResult {
  return checkText(normalize(path), host.readFile(normalize(path)) ?? '', host);
}

/** Check `text` as the content of `path` (the editor's buffer may differ from the disk). */
export function checkText(path: string, text: string, host: Host): CheckResult {
  const root = normalize(host.root);
  const files = new Map<string, SourceFile>();
  const texts = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const imports = new Map<string, string[]>(); // file → directly imported files
  const push = (code: Code, file: string, span: Span, message: string, fixes?: Fix[]): void => {
    diagnostics.push({ code, severity: CODES[code].severity, file, span, message, fixes });
  };

  const load = (file: string, content: string, stack: string[]): void => {
    const sf = parse(content, file);
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
  const models: CheckedModel[] = [];
  const modelDiags = new Map<string, number>();
  for (const item of rootFile.items) {
    if (item.kind !== 'Model' || !item.name.name) continue;
    if (scope.models.get(item.name.name)?.item !== item) continue; // duplicate, reported above
    const before = elab.diagnostics.length;
    models.push(elab.elaborateModel(item, path));
    modelDiags.set(item.name.name, elab.diagnostics.length - before);
  }
  checkUnusedBlocks(rootFile, scope, elab);
  elab.finish();
  diagnostics.push(...elab.diagnostics);

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
      host.exists?.bind(host),
    );
    dataDecls.set(name, { check, span: d.item.span });
  }
  const modelMap = new Map<string, CheckedModel>();
  for (const [name, m] of scope.models) {
    const checked = models.find((x) => x.name === name && m.file === path);
    if (checked) modelMap.set(name, checked);
    else if (m.file !== path) modelMap.set(name, elabImported(m, texts, scopeOf));
  }
  const trains: CheckedTrain[] = [];
  for (const item of rootFile.items) {
    if (item.kind !== 'Train') continue;
    const t = checkTrainItem(
      item,
      path,
      root,
      modelMap,
      dataDecls,
      report(path),
      host.exists?.bind(host),
    );
    if (t) trains.push(t);
  }

  // Lints on the root file's models.
  for (const m of models) {
    const train = trains.find((t) => t.model === m.name);
    lintModel(
      m,
      train,
      (code, file, span, message, fixes) => {
        if (file === path)
          diagnostics.push({ code, severity: CODES[code].severity, file, span, message, fixes });
      },
      (f) => texts.get(f) ?? '',
    );
  }

  diagnostics.sort((a, b) =>
    a.file === b.file
      ? a.span.start - b.span.start || a.span.end - b.span.end
      : a.file < b.file
        ? -1
        : 1,
  );
  return { files, models, trains, diagnostics, stageShapes: elab.stageShapeList() };
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
  const usedNames = new Set<string>();
  const collect = (body: Body, into: Set<string>): void => {
    const visitStage = (s: Stage): void => {
      if (s.kind === 'Layer') into.add(s.callee.name);
      else if (s.kind === 'Repeat') visitStage(s.body);
      else if (s.kind === 'Group') s.stages.forEach(visitStage);
    };
    const visitPipeline = (p: { source: unknown; stages: readonly Stage[] }): void => {
      p.stages.forEach(visitStage);
      const src = p.source as {
        kind: string;
        items?: { source: unknown; stages: readonly Stage[] }[];
      };
      if (src.kind === 'SourceTuple') src.items!.forEach(visitPipeline);
    };
    for (const st of body.stmts) {
      if (st.kind === 'Bind' || st.kind === 'ExprStmt') visitPipeline(st.value);
      else if (st.kind === 'Return') st.values.forEach(visitPipeline);
      else if (st.kind === 'LayerDecl') into.add(st.value.callee.name);
      else if (st.kind === 'If') {
        collect(st.then, into);
        let e = st.else;
        while (e) {
          if (e.kind === 'If') {
            collect(e.then, into);
            e = e.else;
          } else {
            collect(e, into);
            e = undefined;
          }
        }
      }
    }
  };
  for (const item of file.items) if (item.kind === 'Model') collect(item.body, usedNames);
  // Blocks used transitively by models.
  let grew = true;
  while (grew) {
    grew = false;
    for (const name of [...usedNames]) {
      const b = scope.blocks.get(name);
      if (!b) continue;
      const inner = new Set<string>();
      collect(b.item.body, inner);
      for (const n of inner)
        if (!usedNames.has(n)) {
          usedNames.add(n);
          grew = true;
        }
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
        if (st.kind === 'Bind' || st.kind === 'ExprStmt') st.value.stages.forEach(visit);
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
