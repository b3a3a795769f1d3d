/**
 * Small files with large structure: each class once crashed or hung the checker or the language
 * server (deep nesting, long chains, nested repeats, doubling blocks, long dim products, long
 * pipelines). The limit tests, the language-server tests and the fuzzers generate them here.
 */
import fc from 'fast-check';

/** An input dim written as a product of `n` sums: `(H0+1)*(H1+1)*…` (2^n polynomial terms). */
export function dimProduct(n: number): string {
  const f = Array.from({ length: n }, (_, i) => `(H${i}+1)`).join('*');
  return `model M(x: [B, ${f}]) -> [B, 2] {\n  x |> Dense(2)\n}\n`;
}

/** `n` blocks, each calling the next one twice (2^n layer instances). */
export function doublingBlocks(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++)
    s += `block B${i}(x: [N, 8]) -> [N, 8] {\n  x |> B${i + 1} |> B${i + 1}\n}\n`;
  s += `block B${n}(x: [N, 8]) -> [N, 8] {\n  x |> Dense(8)\n}\n`;
  return s + `model M(x: [N, 8]) -> [N, 8] {\n  x |> B0\n}\n`;
}

/** `n` blocks, each calling the next one once. */
export function blockChain(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `block B${i}(x: [N, 8]) -> [N, 8] {\n  x |> B${i + 1}\n}\n`;
  s += `block B${n}(x: [N, 8]) -> [N, 8] {\n  x |> Dense(8)\n}\n`;
  return s + `model M(x: [N, 8]) -> [N, 8] {\n  x |> B0\n}\n`;
}

/** An attribute written as `1 + 1 + …` with `n` terms. */
export function plusChain(n: number): string {
  return `model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(${Array(n).fill('1').join(' + ')})\n}\n`;
}

/** A shape written as `[B, H + H + …]` with `n` terms. */
export function shapePlusChain(n: number): string {
  return `model M(x: [B, ${Array(n).fill('H').join(' + ')}]) -> [B, 2] {\n  x |> Dense(2)\n}\n`;
}

/** `repeat count` nested `depth` times around one Dense (count^depth instances). */
export function nestedRepeat(depth: number, count = 2): string {
  return `model M(x: [B, 8]) -> [B, 8] {\n  x |> ${`repeat ${count} `.repeat(depth)}Dense(8)\n}\n`;
}

/** `repeat a repeat b Dense(64)`: a·b instances from 73 bytes. */
export function repeatProduct(a: number, b: number): string {
  return `model M(x: [B, 64]) -> [B, 64] {\n  x |> repeat ${a} repeat ${b} Dense(64)\n}\n`;
}

/** One pipeline of `n` stages. */
export function longPipeline(n: number): string {
  return `model M(x: [B, 8]) -> [B, 8] {\n  x${' |> Dense(8) |> ReLU'.repeat(Math.ceil(n / 2))}\n}\n`;
}

/** An attribute inside `n` pairs of parentheses. */
export function deepParens(n: number): string {
  return `model M(x: [B, 8]) -> [B, 8] {\n  x |> Dense(${'('.repeat(n)}8${')'.repeat(n)})\n}\n`;
}

/** Every structural class at a size that used to break the language server. */
export const HOSTILE: readonly { readonly name: string; readonly text: string }[] = [
  { name: 'input dim as a product of 24 sums', text: dimProduct(24) },
  { name: '40 blocks each calling the next twice', text: doublingBlocks(40) },
  { name: '10,000-term 1 + 1 + … attribute', text: plusChain(10_000) },
  { name: '10,000-term [B, H + H + …] shape', text: shapePlusChain(10_000) },
  { name: '700 chained blocks', text: blockChain(700) },
  { name: 'repeat 2 nested 30 times', text: nestedRepeat(30) },
  { name: 'repeat 10000 repeat 14 Dense(64)', text: repeatProduct(10_000, 14) },
  { name: '5,000-deep parentheses', text: deepParens(5000) },
];

/**
 * Random members of every structural class, at sizes from tiny to past the checker's limits,
 * alone or with one wrapped in another (a chain of blocks whose last block holds the piece).
 */
export const structuralArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 30 }).map(dimProduct),
  fc.integer({ min: 1, max: 45 }).map(doublingBlocks),
  fc.integer({ min: 1, max: 800 }).map(blockChain),
  fc.integer({ min: 1, max: 3000 }).map(plusChain),
  fc.integer({ min: 1, max: 3000 }).map(shapePlusChain),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 4 }))
    .map(([d, c]) => nestedRepeat(d, c)),
  fc
    .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 20 }))
    .map(([a, b]) => repeatProduct(a, b)),
  fc.integer({ min: 1, max: 4000 }).map(longPipeline),
  fc.integer({ min: 1, max: 400 }).map(deepParens),
  fc
    .tuple(
      fc.integer({ min: 1, max: 80 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 2000 }),
    )
    .map(([chain, depth, n]) => {
      // The chain's innermost block repeats a nested stack and reads a long dim expression.
      const inner = `x |> ${'repeat 2 '.repeat(depth)}Dense(${Array(n).fill('1').join('+')})`;
      return blockChain(chain).replace(/x \|> Dense\(8\)/, inner);
    }),
);
