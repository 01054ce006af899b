import assert from "node:assert/strict";
import { toCsv } from "../../metrics/to_csv.ts";

Deno.test("toCsv() quotes commas, quotes, line breaks and edge spaces (RFC 4180)", () => {
  const text = toCsv([
    { a: "plain", b: "x,y", c: 'say "hi"' },
    { a: "two\nlines", b: " padded", c: "cr\r" },
  ]);
  assert.equal(
    text,
    'a,b,c\nplain,"x,y","say ""hi"""\n"two\nlines"," padded","cr\r"\n',
  );
});

Deno.test("toCsv() formats numbers, empties, booleans, dates and objects", () => {
  const text = toCsv([
    {
      n: 0.1 + 0.2,
      nan: NaN,
      inf: -Infinity,
      none: null,
      t: true,
      d: new Date(Date.UTC(2024, 0, 2)),
      o: { k: [1, 2] },
    },
  ]);
  assert.equal(
    text,
    'n,nan,inf,none,t,d,o\n0.30000000000000004,NaN,-Infinity,,true,2024-01-02T00:00:00.000Z,"{""k"":[1,2]}"\n',
  );
});

Deno.test("toCsv() takes columns in first-appearance order or as given", () => {
  const rows = [{ b: 1, a: 2 }, { c: 3, a: 4 }];
  assert.equal(toCsv(rows), "b,a,c\n1,2,\n,4,3\n");
  assert.equal(toCsv(rows, ["a", "z"]), "a,z\n2,\n4,\n");
  assert.equal(toCsv([], ["a", "b"]), "a,b\n");
  assert.equal(toCsv([]), "");
});

Deno.test("toCsv() rejects rows that are not objects", () => {
  // deno-lint-ignore no-explicit-any
  assert.throws(() => toCsv([1 as any]), /row 0 is not an object/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => toCsv({} as any), TypeError);
});
