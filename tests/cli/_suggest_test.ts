import assert from "node:assert/strict";
import { didYouMean, editDistance, nearest } from "../../cli/_suggest.ts";

Deno.test("editDistance() counts edits and adjacent transpositions", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("epoch", "epochs"), 1); // one insertion
  assert.equal(editDistance("trian", "train"), 1); // one transposition
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("abc", ""), 3);
});

Deno.test("nearest() prefers a unique prefix, then the smallest close distance", () => {
  const names = ["epochs", "every", "eval", "seed", "split-seed"];
  assert.equal(nearest("epoch", names), "epochs");
  assert.equal(nearest("sede", names), "seed");
  assert.equal(nearest("spilt-seed", names), "split-seed");
  assert.equal(nearest("zzzzzz", names), undefined);
  assert.equal(nearest("", names), undefined);
  assert.equal(nearest("GRN-SSLL", ["grn-sel", "grn-ssl", "supervised"]), "grn-ssl");
});

Deno.test("didYouMean() formats the suggestion or nothing", () => {
  assert.equal(didYouMean("fractoin", ["fraction"], "--"), " (did you mean --fraction?)");
  assert.equal(didYouMean("qqqqqqqq", ["fraction"]), "");
});
