// The command line of the scripts and benchmarks: `--flag` and `--name value`.

export const args = process.argv.slice(2);

/** The value after `--name`, or undefined. */
export function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
