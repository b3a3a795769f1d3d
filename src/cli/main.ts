/**
 * The `dlm` command line: `dlm check`, `dlm summary`, help and version. Bundled by esbuild into
 * dist/cli.js and run by bin/dlm.js.
 *
 * Adding a command: write a `Command` (name, usage, options, run) and add it to COMMANDS. The
 * argument parser, `--help` for the command and `dlm help <command>` come for free.
 */
import { DimLimitError } from '../core';
import type { CheckedModel } from '../language/checked';
import {
  formatSummaryMarkdown,
  formatSummaryText,
  summarize,
  type ModelSummary,
} from '../language/summary';
import pkg from '../../package.json';
import { exportCommand } from './export';
import { importCommand } from './import';
import { importRunCommand } from './importRun';
import { predictCommand } from './predict';
import { trainCommand } from './train';
import { diffCommand } from './diff';
import {
  COMMON_OPTIONS,
  EXIT_ERRORS,
  EXIT_OK,
  EXIT_USAGE,
  painter,
  parseArgs,
  UsageError,
  oneFile,
  type CliIO,
  type Command,
  type OptionSpec,
} from './common';

export {
  checkOne,
  displayPath,
  formatDiagnostic,
  lineIndexer,
  sortDiagnostics,
  toJson,
  type Checked,
  type JsonDiagnostic,
} from './checked';
import {
  checkOne,
  displayPath,
  formatDiagnostic,
  lineIndexer,
  sortDiagnostics,
  toJson,
  type JsonDiagnostic,
} from './checked';

export {
  EXIT_ERRORS,
  EXIT_OK,
  EXIT_USAGE,
  parseArgs,
  UsageError,
  type CliIO,
  type Command,
  type OptionSpec,
  type ParsedArgs,
} from './common';

function processIO(): CliIO {
  let closed = false;
  const listeners: (() => void)[] = [];
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') {
      process.stderr.write(`dlm: cannot write to stdout: ${e.message}\n`);
      process.exitCode = EXIT_ERRORS;
    }
    if (closed) return;
    closed = true;
    for (const l of listeners) l();
  });
  return {
    stdout: (t) => {
      if (!closed) process.stdout.write(t);
    },
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    onStdoutClosed: (l) => {
      listeners.push(l);
    },
  };
}

// ------------------------------------------------------------------------------ commands

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const check: Command = {
  name: 'check',
  summary: 'Check .dlm files and print their diagnostics',
  usage: 'FILE... [--json] [--root DIR]',
  details:
    'Prints each diagnostic as `file:line:col: severity code message` (1-based), related locations\n' +
    'indented beneath. Exit code 1 when any file has an error, 0 otherwise. Diagnostics of imported\n' +
    'files are included.',
  options: [
    {
      name: 'json',
      type: 'boolean',
      help: 'print a JSON array of diagnostics (with 0-based LSP ranges)',
    },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { io, args, paint } = ctx;
    if (args.positionals.length === 0) throw new UsageError('check needs at least one FILE');
    const all: JsonDiagnostic[] = [];
    let unreadable = 0;
    const seen = new Set<string>();
    for (const file of args.positionals) {
      const c = checkOne(file, ctx);
      if (!c) {
        unreadable++;
        continue;
      }
      const lines = lineIndexer(c);
      for (const d of sortDiagnostics(c.result.diagnostics)) {
        const j = toJson(d, c, lines, io.cwd);
        // The same imported file checked twice reports its diagnostics once.
        const key = `${j.file}:${d.span.start}:${d.span.end}:${j.code}:${j.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        all.push(j);
      }
    }
    if (args.options['json']) io.stdout(JSON.stringify(all, null, 2) + '\n');
    else for (const d of all) io.stdout(formatDiagnostic(d, paint));
    const errors = all.filter((d) => d.severity === 'error').length;
    const warnings = all.filter((d) => d.severity === 'warning').length;
    const checked = args.positionals.length - unreadable;
    io.stderr(
      `${plural(checked, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
    );
    if (unreadable > 0) return EXIT_USAGE;
    return errors > 0 ? EXIT_ERRORS : EXIT_OK;
  },
};

/** `--dim T=128,L=1024` → `{ T: 128, L: 1024 }`. */
function parseDims(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof v !== 'string') return out;
  for (const part of v.split(',')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1)
      throw new UsageError(`--dim expects NAME=N with N ≥ 1 (e.g. T=128), got '${part}'`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

const summary: Command = {
  name: 'summary',
  summary: 'Print a model summary: layers, shapes, parameters, MACs and memory',
  usage:
    'FILE [--model NAME] [--batch N] [--dim NAME=N,…] [--json | --markdown] [--style brackets|times]',
  details:
    'Summarizes every model in FILE, or only --model NAME. MACs are multiply-accumulates at\n' +
    'B = --batch (default: the train section batch, else 1); FLOPs = 2·MACs. The training\n' +
    "memory estimate uses the model's train section optimizer (Adam when there is none).\n" +
    '--json prints the dlm.summary/1 object (docs/summary-json.md): one object with --model,\n' +
    'otherwise an array with one object per model.',
  options: [
    { name: 'model', type: 'string', value: 'NAME', help: 'summarize only this model' },
    { name: 'batch', type: 'int', value: 'N', help: 'batch size substituted for B' },
    {
      name: 'dim',
      type: 'string',
      value: 'NAME=N,…',
      help: 'sizes for other symbolic dims, e.g. T=128 (the sequence length)',
    },
    { name: 'json', type: 'boolean', help: 'print JSON (schema dlm.summary/1)' },
    { name: 'markdown', type: 'boolean', help: 'print Markdown tables' },
    {
      name: 'style',
      type: 'string',
      value: 'STYLE',
      choices: ['brackets', 'times'],
      help: 'shape style: [B, 3, 32, 32] (brackets, default) or B×3×32×32 (times)',
    },
    ...COMMON_OPTIONS,
  ],
  run(ctx) {
    const { io, args, paint } = ctx;
    const file = oneFile(args, 'summary');
    if (args.options['json'] && args.options['markdown'])
      throw new UsageError('--json and --markdown cannot be combined');
    const c = checkOne(file, ctx);
    if (!c) return EXIT_USAGE;
    const lines = lineIndexer(c);
    const errors = c.result.diagnostics.filter((d) => d.severity === 'error');
    for (const d of sortDiagnostics(errors))
      io.stderr(formatDiagnostic(toJson(d, c, lines, io.cwd), paint));

    const models = c.result.models.filter((m) => m.file === c.abs);
    const wanted = args.options['model'];
    let chosen: readonly CheckedModel[] = models;
    if (typeof wanted === 'string') {
      chosen = models.filter((m) => m.name === wanted);
      if (chosen.length === 0) {
        io.stderr(
          `dlm: no model '${wanted}' in ${c.display}; available: ${models.map((m) => m.name).join(', ') || '(none)'}\n`,
        );
        return EXIT_USAGE;
      }
    }
    if (chosen.length === 0) {
      io.stderr(`dlm: ${c.display} defines no model\n`);
      return errors.length ? EXIT_ERRORS : EXIT_USAGE;
    }

    const batch = args.options['batch'];
    const dims = parseDims(args.options['dim']);
    const summaries: ModelSummary[] = [];
    for (const m of chosen) {
      let s: ModelSummary;
      try {
        s = summarize(m, {
          ...(typeof batch === 'number' ? { batch } : {}),
          dims,
          train: c.result.trains.find((t) => t.model === m.name),
          text: c.result.files.get(m.file)?.text,
        });
      } catch (e) {
        // Counts beyond ±2^53 cannot be given exactly (the checker reports them as DLM036).
        if (!(e instanceof DimLimitError)) throw e;
        io.stderr(`dlm: cannot summarize model ${m.name}: ${e.message}\n`);
        return EXIT_ERRORS;
      }
      // Paths relative to the current directory, like the diagnostics.
      summaries.push({
        ...s,
        file: displayPath(s.file, io.cwd),
        rows: s.rows.map((r) => ({
          ...r,
          span: { ...r.span, file: displayPath(r.span.file, io.cwd) },
        })),
      });
    }

    const style = args.options['style'] === 'times' ? 'times' : 'brackets';
    if (args.options['json']) {
      const payload = typeof wanted === 'string' ? summaries[0] : summaries;
      io.stdout(JSON.stringify(payload, null, 2) + '\n');
    } else if (args.options['markdown']) {
      io.stdout(summaries.map((s) => formatSummaryMarkdown(s, { shapeStyle: style })).join('\n'));
    } else {
      io.stdout(
        summaries
          .map((s) => formatSummaryText(s, { shapeStyle: style, color: ctx.color }))
          .join('\n'),
      );
    }
    return errors.length ? EXIT_ERRORS : EXIT_OK;
  },
};

export const COMMANDS: readonly Command[] = [
  check,
  summary,
  diffCommand,
  trainCommand,
  exportCommand,
  predictCommand,
  importCommand,
  importRunCommand,
];

// ------------------------------------------------------------------------------ help

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 'help'.length);
  const lines = [
    `dlm ${pkg.version}: check and summarize .dlm deep-learning models`,
    '',
    'Usage: dlm <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map(
      (c) =>
        `  ${c.name.padEnd(width)}  ${c.summary}${c.available === false ? ' (not available yet)' : ''}`,
    ),
    `  ${'help'.padEnd(width)}  Show help for a command: dlm help <command>`,
    '',
    'Options:',
    '  --help, -h   Show help',
    '  --version    Show the version',
    '',
    'Exit codes: 0 ok, 1 the input has errors, 2 usage error or unreadable file.',
    'Colors are used when stdout is a terminal and NO_COLOR is not set.',
  ];
  return lines.join('\n') + '\n';
}

function commandHelp(c: Command): string {
  const optLabel = (o: OptionSpec): string =>
    `--${o.name}${o.type === 'boolean' ? '' : ` ${o.value ?? (o.type === 'int' ? 'N' : 'VALUE')}`}`;
  const width = Math.max(...c.options.map((o) => optLabel(o).length));
  const lines = [
    `Usage: dlm ${c.name} ${c.usage}`,
    '',
    c.summary + (c.available === false ? ' (not available yet).' : '.'),
    ...(c.details ? ['', c.details] : []),
    '',
    'Options:',
    ...c.options.map((o) => `  ${optLabel(o).padEnd(width)}  ${o.help}`),
  ];
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------------------ entry

/** Runs the CLI; returns the exit code. */
export function run(argv: readonly string[], io: CliIO = processIO()): number {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr(mainHelp());
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.stdout(mainHelp());
    return EXIT_OK;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    io.stdout(`${pkg.version}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout(mainHelp());
      return EXIT_OK;
    }
    const c = COMMANDS.find((x) => x.name === topic);
    if (!c) {
      io.stderr(`dlm: unknown command '${topic}'\n\n${mainHelp()}`);
      return EXIT_USAGE;
    }
    io.stdout(commandHelp(c));
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.stderr(`dlm: unknown command '${first}'\n\n${mainHelp()}`);
    return EXIT_USAGE;
  }
  try {
    const args = parseArgs(rest, command.options);
    if (args.options['help']) {
      io.stdout(commandHelp(command));
      return EXIT_OK;
    }
    const forced = args.options['color'];
    const color =
      typeof forced === 'boolean' ? forced : io.isTTY && (io.env['NO_COLOR'] ?? '') === '';
    return command.run({ io, args, color, paint: painter(color) });
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`dlm ${command.name}: ${e.message}\nUsage: dlm ${command.name} ${command.usage}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

/**
 * Run when this file is the program: `node dist/cli.js`, `node --import tsx src/cli/main.ts`, or
 * bin/dlm.js, which requires the bundle. Importing the module (tests) does not run it.
 */
function isEntry(): boolean {
  if (typeof require === 'undefined' || typeof module === 'undefined') return false;
  const main = require.main;
  if (!main) return false;
  return main === module || /[\\/]bin[\\/]dlm(\.js)?$/.test(main.filename);
}

if (isEntry()) process.exitCode = run(process.argv.slice(2));
