/**
 * `dlm diff A.dlm B.dlm` and `dlm diff FILE --rev REV`: what was added, removed or changed between
 * two versions of a model, layer by layer, with totals (src/language/diff.ts). `--json` prints the
 * dlm.diff/1 object documented in docs/diff-json.md. With `--rev`, the older version is FILE as it
 * was at the git revision REV, read through git and checked in memory, its imports read at the
 * same revision (src/engine/git.ts).
 */
import { LineIndex } from '../core';
import type { CheckResult } from '../language/checked';
import { diffModels, formatDiffText, pairModels, type ModelDiff } from '../language/diff';
import { checkFile } from '../language/program';
import { GitError, GitRevisionHost, resolveRevision } from '../engine/git';
import { absolutePosix, fromPosix } from '../engine/host';
import {
  checkOne,
  displayPath,
  formatDiagnostic,
  sortDiagnostics,
  toJson,
  type Checked,
} from './checked';
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Ctx } from './common';

interface Side {
  readonly abs: string;
  /** How the file is shown: `a.dlm`, or `HEAD~1:a.dlm`. */
  readonly display: string;
  readonly result: CheckResult;
  readonly rev?: string;
  readonly show: (file: string) => string;
}

function fromChecked(c: Checked, ctx: Ctx): Side {
  return {
    abs: c.abs,
    display: c.display,
    result: c.result,
    show: (f) => displayPath(f, ctx.io.cwd),
  };
}

/** FILE as it was at `rev`; undefined (after printing why) when it cannot be read. */
function atRevision(file: string, rev: string, ctx: Ctx, root: string): Side | undefined {
  const { io } = ctx;
  const abs = absolutePosix(file, io.cwd);
  let host: GitRevisionHost;
  try {
    host = new GitRevisionHost(resolveRevision(fromPosix(abs), rev), root);
    const why = host.unreadable(abs);
    if (why) {
      io.stderr(`dlm: cannot read '${file}' at ${rev}: ${why}\n`);
      return undefined;
    }
    const show = (f: string): string => `${rev}:${displayPath(f, io.cwd)}`;
    return { abs, display: show(abs), result: checkFile(abs, host), rev, show };
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    io.stderr(`dlm: ${e.message}\n`);
    return undefined;
  }
}

function printErrors(side: Side, ctx: Ctx, against: Checked): number {
  const errors = side.result.diagnostics.filter((d) => d.severity === 'error');
  const lines = new Map<string, LineIndex | undefined>();
  const lineOf = (f: string): LineIndex | undefined => {
    if (!lines.has(f)) {
      const t = side.result.files.get(f)?.text;
      lines.set(f, t === undefined ? undefined : new LineIndex(t));
    }
    return lines.get(f);
  };
  for (const d of sortDiagnostics(errors)) {
    const j = toJson(d, against, lineOf, ctx.io.cwd);
    const shown = side.rev !== undefined ? { ...j, file: side.show(d.file) } : j;
    ctx.io.stderr(formatDiagnostic(shown, ctx.paint));
  }
  return errors.length;
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'Compare two versions of a model: layers added, removed or changed, with totals',
  usage: 'A.dlm B.dlm | FILE --rev REV  [--model NAME] [--batch N] [--json]',
  details:
    'Prints, layer by layer, what was added (+), removed (-) or changed (~) from A to B: shapes,\n' +
    'parameters and MACs, then the totals with their change. With --rev, A is FILE as it was at\n' +
    'the git revision REV (imports read at the same revision) and B is FILE as it is now.\n' +
    'Layers are matched by parameter name and structure (docs/diff-json.md). Models are paired\n' +
    'by name; two files with one model each are compared whatever their names. --json prints the\n' +
    'dlm.diff/1 object (docs/diff-json.md): one object when one pair of models is compared,\n' +
    'otherwise an array. Exit code 0 whether or not the models differ, 1 when either side has\n' +
    'errors, 2 for usage errors and unreadable files or revisions.',
  options: [
    {
      name: 'rev',
      type: 'string',
      value: 'REV',
      help: 'compare FILE at this git revision (e.g. HEAD~1) with FILE as it is now',
    },
    { name: 'model', type: 'string', value: 'NAME', help: 'compare only this model' },
    { name: 'batch', type: 'int', value: 'N', help: 'batch size substituted for B' },
    { name: 'json', type: 'boolean', help: 'print JSON (schema dlm.diff/1)' },
    {
      name: 'root',
      type: 'string',
      value: 'DIR',
      help: 'workspace root; imports must stay inside it (default: the current directory)',
    },
    { name: 'color', type: 'boolean', help: 'force colors on (--no-color: off)' },
    { name: 'help', type: 'boolean', help: 'show help for this command' },
  ],
  run(ctx) {
    const { io, args } = ctx;
    const rev = args.options['rev'];
    const files = args.positionals;
    if (typeof rev === 'string') {
      if (files.length !== 1)
        throw new UsageError(`diff --rev takes one FILE, got ${files.length}`);
    } else if (files.length !== 2) {
      throw new UsageError(
        `diff needs two files A and B (or one FILE and --rev), got ${files.length}`,
      );
    }
    let a: Side | undefined;
    let b: Side | undefined;
    let checkedB: Checked | undefined;
    if (typeof rev === 'string') {
      checkedB = checkOne(files[0]!, ctx);
      if (!checkedB) return EXIT_USAGE;
      b = fromChecked(checkedB, ctx);
      a = atRevision(files[0]!, rev, ctx, checkedB.host.root);
      if (!a) return EXIT_USAGE;
    } else {
      const ca = checkOne(files[0]!, ctx);
      checkedB = checkOne(files[1]!, ctx);
      if (!ca || !checkedB) return EXIT_USAGE;
      a = fromChecked(ca, ctx);
      b = fromChecked(checkedB, ctx);
    }
    const errors = printErrors(a, ctx, checkedB) + printErrors(b, ctx, checkedB);

    const modelsA = a.result.models.filter((m) => m.file === a.abs);
    const modelsB = b.result.models.filter((m) => m.file === b.abs);
    const wanted = args.options['model'];
    const { pairs, onlyA, onlyB } = pairModels(
      modelsA,
      modelsB,
      typeof wanted === 'string' ? wanted : undefined,
    );
    for (const n of onlyA) io.stderr(`dlm: model ${n} is only in ${a.display}\n`);
    for (const n of onlyB) io.stderr(`dlm: model ${n} is only in ${b.display}\n`);
    if (pairs.length === 0) {
      const list = (ms: readonly { name: string }[]): string =>
        ms.map((m) => m.name).join(', ') || '(none)';
      io.stderr(
        typeof wanted === 'string'
          ? `dlm: no model '${wanted}' in both files (${a.display}: ${list(modelsA)}; ${b.display}: ${list(modelsB)})\n`
          : `dlm: no model to compare (${a.display}: ${list(modelsA)}; ${b.display}: ${list(modelsB)})\n`,
      );
      return errors ? EXIT_ERRORS : EXIT_USAGE;
    }

    const batch = args.options['batch'];
    const diffs: ModelDiff[] = pairs.map(([ma, mb]) =>
      diffModels(
        {
          model: ma,
          source: { file: a.display, ...(a.rev !== undefined ? { rev: a.rev } : {}) },
          train: a.result.trains.find((t) => t.model === ma.name),
          text: a.result.files.get(ma.file)?.text,
          displayFile: a.show,
        },
        {
          model: mb,
          source: { file: b.display },
          train: b.result.trains.find((t) => t.model === mb.name),
          text: b.result.files.get(mb.file)?.text,
          displayFile: b.show,
        },
        typeof batch === 'number' ? { batch } : {},
      ),
    );
    if (args.options['json']) {
      io.stdout(JSON.stringify(diffs.length === 1 ? diffs[0] : diffs, null, 2) + '\n');
    } else {
      io.stdout(diffs.map((d) => formatDiffText(d, { color: ctx.color })).join('\n'));
    }
    return errors ? EXIT_ERRORS : EXIT_OK;
  },
};
