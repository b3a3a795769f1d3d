/**
 * What every `dlm` command shares: the I/O context, exit codes, the argument parser, colors, the
 * `Command` shape and the options every command takes. main.ts (the command table and `run`)
 * and each command module (train, export, predict, import-run) import this module, and nothing
 * here imports them, so the CLI has no import cycle.
 */

// ------------------------------------------------------------------------------ I/O context

export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (colors on unless NO_COLOR is set). */
  readonly isTTY: boolean;
  /**
   * Registers what to do when the reader of stdout goes away (`dlm train --json | head -1`):
   * later stdout writes are dropped; `dlm train` stops the trainer.
   */
  readonly onStdoutClosed?: (listener: () => void) => void;
}

/** Exit codes: 0 success, 1 the input has errors, 2 usage error or unreadable input. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

// --------------------------------------------------------------------------- argument parser

export interface OptionSpec {
  readonly name: string;
  readonly type: 'boolean' | 'string' | 'int';
  readonly help: string;
  /** Placeholder for the value in help text. */
  readonly value?: string;
  /** Allowed values for string options. */
  readonly choices?: readonly string[];
  /** A one-letter alias, `-o` for `--output`. */
  readonly short?: string;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string | number | boolean>;
}

export class UsageError extends Error {}

/** The one FILE a command takes (`train needs a FILE`, `train takes one FILE, got 2`). */
export function oneFile(args: ParsedArgs, command: string): string {
  const [file, ...extra] = args.positionals;
  if (file === undefined) throw new UsageError(`${command} needs a FILE`);
  if (extra.length)
    throw new UsageError(`${command} takes one FILE, got ${args.positionals.length}`);
  return file;
}

/** `--name value`, `--name=value`, boolean `--name` / `--no-name`, `--` ends options. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string | number | boolean> = {};
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '-h') {
      options['help'] = true;
      continue;
    }
    const short = /^-[A-Za-z]$/.test(arg) ? specs.find((s) => s.short === arg[1]) : undefined;
    if (!arg.startsWith('--') && !short) throw new UsageError(`unknown option '${arg}'`);
    const eq = short ? -1 : arg.indexOf('=');
    let name = short ? short.name : eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      name = name.slice(3);
      spec = byName.get(name);
      if (inline !== undefined) throw new UsageError(`--no-${name} takes no value`);
      inline = 'false';
    }
    if (!spec) throw new UsageError(`unknown option '--${name}'`);
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false')
        throw new UsageError(`--${name} is a flag; it takes no value`);
      options[name] = inline !== 'false';
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (spec.type === 'int') {
      if (!/^\d+$/.test(raw) || Number(raw) < 1)
        throw new UsageError(`--${name} needs a positive integer, got '${raw}'`);
      options[name] = Number(raw);
    } else {
      if (spec.choices && !spec.choices.includes(raw))
        throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
      options[name] = raw;
    }
  }
  return { positionals, options };
}

// ------------------------------------------------------------------------------ colors

export type Paint = (
  tone: 'red' | 'yellow' | 'blue' | 'cyan' | 'bold' | 'dim',
  text: string,
) => string;

const TONES = {
  red: ['\x1b[31m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  blue: ['\x1b[34m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
} as const;

export function painter(on: boolean): Paint {
  return on ? (tone, text) => TONES[tone][0] + text + TONES[tone][1] : (_tone, text) => text;
}

// ------------------------------------------------------------------------------ commands

export interface Ctx {
  readonly io: CliIO;
  readonly args: ParsedArgs;
  readonly color: boolean;
  readonly paint: Paint;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Arguments after the command name, e.g. `FILE... [--json]`. */
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  /** Longer help shown by `dlm help <command>`. */
  readonly details?: string;
  /** Commands announced but not implemented yet are listed in help and exit 2. */
  readonly available?: false;
  run(ctx: Ctx): number;
}

/** Options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'root',
    type: 'string',
    value: 'DIR',
    help: 'workspace root; imports, data files and .dlm/runs stay inside it (default: the current directory)',
  },
  { name: 'color', type: 'boolean', help: 'force colors on (--no-color: off)' },
  { name: 'help', type: 'boolean', help: 'show help for this command' },
];
