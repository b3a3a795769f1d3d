/**
 * Inlay hints on long pipelines do work linear in the pipeline's length (plus the hints asked
 * for), not quadratic: counted as reads of the checker's stage shapes and layer nodes, for a
 * pipeline of n stages and one of 4n.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inlayHints } from '../../src/ide/inlay';
import type { CheckResult } from '../../src/language/checked';
import { checkText, memoryHost } from '../../src/language/program';

const PATH = '/ws/long.dlm';

/** A model whose body is one pipeline of `n` stages, `perLine` per line. */
function longPipeline(n: number, perLine: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(i % 3 === 2 ? 'Dense(8)' : 'ReLU');
  const lines: string[] = [];
  for (let i = 0; i < n; i += perLine)
    lines.push('  |> ' + parts.slice(i, i + perLine).join(' |> '));
  return `model Long(x: [B, 8]) -> [B, 8] {\n  x\n${lines.join('\n')}\n}\n`;
}

/** The result with its stage shapes and every model's nodes behind counting proxies. */
function counted(result: CheckResult): { result: CheckResult; reads: () => number } {
  let reads = 0;
  const count = <T extends object>(xs: readonly T[]): readonly T[] =>
    new Proxy(xs, {
      get(target, prop, recv) {
        if (typeof prop === 'string' && /^\d+$/.test(prop)) reads++;
        return Reflect.get(target, prop, recv) as unknown;
      },
    });
  const stageShapes = count(result.stageShapes);
  const models = result.models.map((m) => ({ ...m, nodes: count(m.nodes) }));
  return {
    result: { ...result, models, stageShapes, files: result.files },
    reads: () => reads,
  };
}

function work(n: number, perLine: number): { reads: number; hints: number } {
  const r = checkText(PATH, longPipeline(n, perLine), memoryHost({}, '/ws'));
  assert.deepEqual(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
  );
  const c = counted(r);
  const hints = inlayHints(c.result, PATH);
  return { reads: c.reads(), hints: hints.length };
}

describe('inlay hints scale linearly with pipeline length', () => {
  for (const perLine of [1, 1000]) {
    it(`${perLine === 1 ? 'one stage per line' : 'one long line'}: 4× the stages, at most ~4× the work`, () => {
      const n = 1500;
      const small = work(n, perLine);
      const large = work(4 * n, perLine);
      assert.ok(small.hints > 0 && large.hints >= 3 * small.hints);
      assert.ok(
        large.reads <= 5 * small.reads + 100,
        `reads: ${small.reads} for ${n} stages, ${large.reads} for ${4 * n} (quadratic would be 16×)`,
      );
      assert.ok(large.reads <= 20 * 4 * n, `${large.reads} reads for ${4 * n} stages`);
    });
  }
});
