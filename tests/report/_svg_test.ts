import assert from "node:assert/strict";
import { barChart, escapeXml, lineChart, niceTicks } from "../../report/_svg.ts";
import { assertWellFormed } from "./_xml.ts";

Deno.test("niceTicks() gives round steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.12, 0.5, 4), [0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(niceTicks(3, 3), [3]);
});

Deno.test("escapeXml() escapes markup characters", () => {
  assert.equal(escapeXml(`a<b & "c">`), "a&lt;b &amp; &quot;c&quot;&gt;");
});

Deno.test("barChart() draws one bar and one whisker per value, a reference line and a legend", () => {
  const svg = barChart({
    title: "Dice <by> fraction",
    yLabel: "Dice (%)",
    categories: ["5%", "10%"],
    series: [
      { name: "A & B", color: "#111", values: [{ y: 50, lower: 45, upper: 55 }, null] },
      { name: "C", color: "#222", values: [{ y: 60 }, { y: 70, lower: 65, upper: 75 }] },
    ],
    reference: { y: 80, label: "supervised 100%" },
  });
  assertWellFormed(svg);
  assert.ok(svg.startsWith("<svg") && svg.endsWith("</svg>"));
  assert.equal(svg.match(/<rect [^>]*><title>/g)?.length, 3, "three bars (one value is null)");
  assert.equal(svg.match(/stroke-width="1.3"/g)?.length, 2, "two whiskers");
  assert.match(svg, /stroke-dasharray="3 4"/, "dotted reference line");
  assert.match(svg, /Dice &lt;by&gt; fraction/);
  assert.match(svg, />A &amp; B</);
  assert.match(svg, />supervised 100%</);
});

Deno.test("lineChart() breaks lines at missing points and draws whiskers", () => {
  const svg = lineChart({
    title: "curves",
    xLabel: "epoch",
    yLabel: "Dice",
    series: [
      {
        name: "a",
        color: "#123456",
        points: [{ x: 1, y: 0.2 }, { x: 2, y: null }, { x: 3, y: 0.4, lower: 0.3, upper: 0.5 }],
      },
      { name: "b", color: "#654321", dashed: true, points: [{ x: 1, y: 0.1 }, { x: 3, y: 0.3 }] },
    ],
    xTicks: [{ value: 1, label: "one" }, { value: 3, label: "three" }],
  });
  assertWellFormed(svg);
  const paths = [...svg.matchAll(/<path d="([^"]*)" fill="none" stroke="#123456"/g)];
  assert.equal(paths.length, 1);
  assert.equal(paths[0]![1]!.match(/M/g)?.length, 2, "the gap starts a new sub-path");
  assert.match(svg, /stroke="#654321" stroke-width="2" stroke-dasharray="6 3"/);
  assert.equal(svg.match(/stroke-width="1.3"/g)?.length, 1, "one whisker");
  assert.match(svg, />three</);
});

Deno.test("assertWellFormed() rejects broken markup (the check can fail)", () => {
  assert.throws(() => assertWellFormed("<svg><g></svg>"), /Cannot close/);
  assert.throws(() => assertWellFormed("<svg>a & b</svg>"), /bad entity/);
  assert.throws(() => assertWellFormed("<svg><text x=1>a</text></svg>"), /stray angle/);
  assert.throws(() => assertWellFormed("<svg>"), /unclosed/);
  assertWellFormed('<p><img src="x"></p>', true);
});
