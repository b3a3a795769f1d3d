/** Dim.sum gives the same canonical dim as adding the terms one by one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Dim } from '../../src/core';

const atom = fc.constantFrom('B', 'T', 'H', 'W');
const dim: fc.Arbitrary<Dim> = fc
  .tuple(
    fc.integer({ min: -50, max: 50 }),
    fc.array(fc.tuple(fc.integer({ min: -9, max: 9 }), atom), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([c, terms, divide]) => {
    let d = Dim.const(c);
    for (const [k, a] of terms) d = d.add(Dim.sym(a).mul(k));
    return divide ? d.floorDiv(2) : d;
  });

test('Dim.sum equals repeated add', () => {
  fc.assert(
    fc.property(fc.array(dim, { maxLength: 12 }), (ds) => {
      const iter = ds.reduce((a, b) => a.add(b), Dim.const(0));
      assert.equal(Dim.sum(ds).key(), iter.key());
      assert.equal(Dim.sum(ds).toString(), iter.toString());
    }),
    { numRuns: 300, seed: 3 },
  );
});
