/**
 * What a check result keeps alive: a result re-checked from its predecessor must not keep the
 * predecessor (or its syntax tree) reachable, and the IDE's symbol index must live no longer
 * than its result. Otherwise a long editing session keeps every version it ever checked.
 * Measured with WeakRefs and forced garbage collections.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bigFile } from '../../bench/gen';
import { indexFile } from '../../src/ide/index';
import type { CheckResult } from '../../src/language/checked';
import { checkText } from '../../src/language/program';
import { libHost as host } from './helpers/edits';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PATH = '/ws/main.dlm';

/** Collect garbage after the current job ends (WeakRefs are kept until then). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

/** `text` with one `Dense(64)` turned into `Dense(65)` or back (same length). */
function toggle(text: string, n: number): string {
  const at =
    text
      .split('Dense(6')
      .slice(0, n + 1)
      .join('Dense(6').length + 'Dense(6'.length;
  return text.slice(0, at) + (text[at] === '4' ? '5' : '4') + text.slice(at + 1);
}

describe('check results do not keep their predecessors alive', () => {
  test('checkText(next, previous) does not retain previous or its syntax tree', async () => {
    const text = bigFile(300);
    let prev: CheckResult | undefined = checkText(PATH, text, host);
    const oldResult = new WeakRef(prev);
    const oldTree = new WeakRef(prev.files.get(PATH)!);
    const next = checkText(PATH, toggle(text, 3), host, prev);
    assert.ok(next.stageShapes.length > 0);
    prev = undefined;
    await collect();
    assert.equal(oldResult.deref(), undefined, 'the previous result is collected');
    assert.equal(oldTree.deref(), undefined, "the previous result's syntax tree is collected");
    assert.ok(next.files.get(PATH));
  });

  test('an editing session with hovers (indexed results) retains one version', async () => {
    let text = bigFile(300);
    let result = checkText(PATH, text, host);
    const refs: WeakRef<object>[] = [];
    for (let e = 0; e < 20; e++) {
      text = toggle(text, e);
      result = checkText(PATH, text, host, result);
      assert.ok(indexFile(result, PATH)!.occurrences.length > 0);
      refs.push(new WeakRef(result));
    }
    await collect();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 1, `${alive} of 20 results are still reachable; only the last should be`);
    assert.equal(refs[refs.length - 1]!.deref(), result);
  });

  test('a shape error memoized across checks does not keep the check that raised it', async () => {
    // A unique width so the shape rule runs here (and fails) rather than hitting the memo.
    const width = 1000 + Math.floor(Math.random() * 1e6);
    const text = `model Bad(x: [B, ${width}]) -> [B, 10] {\n  x |> Dense(10, in=${width + 1})\n}\n`;
    let result: CheckResult | undefined = checkText(PATH, text, host);
    const reported = result.diagnostics.map((d) => `${d.code} ${d.message}`);
    assert.ok(reported.some((d) => d.startsWith('DLM100')));
    const whole = new WeakRef(result);
    const model = new WeakRef(result.models[0]!);
    const tree = new WeakRef(result.files.get(PATH)!);
    result = undefined;
    await collect();
    assert.equal(whole.deref(), undefined, 'the result is collected');
    assert.equal(model.deref(), undefined, 'its model is collected');
    assert.equal(tree.deref(), undefined, 'its syntax tree (read by the elaboration) is collected');
    // The memoized failure still reports the same diagnostic.
    const again = checkText(PATH, text, host);
    assert.deepEqual(
      again.diagnostics.map((d) => `${d.code} ${d.message}`),
      reported,
    );
  });
});
