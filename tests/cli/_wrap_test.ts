import assert from "node:assert/strict";
import { wrapText } from "../../cli/_wrap.ts";

Deno.test("wrapText() breaks at spaces within the width, with first-line and indent prefixes", () => {
  assert.equal(wrapText("aa bb cc dd", 5), "aa bb\ncc dd");
  assert.equal(wrapText("one two three", 9, "- ", "  "), "- one two\n  three");
  assert.equal(wrapText("averyveryverylongword x", 5), "averyveryverylongword\nx");
  assert.equal(wrapText("", 10, "> "), "> ");
});
