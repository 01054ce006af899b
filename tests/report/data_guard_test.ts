import assert from "node:assert/strict";
import { readRunScores } from "../../report/data.ts";

Deno.test("readRunScores() names the file when metrics.json is not grn eval's (e.g. {})", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [text, got] of [["{}", "keys []"], ["[1]", "keys [0]"], ["7", "7"]]) {
      await Deno.writeTextFile(`${dir}/metrics.json`, text);
      await assert.rejects(() => readRunScores(dir, "test"), {
        message: `Cannot read ${dir}/metrics.json: not the metrics of grn eval (got ${got}); ` +
          `run grn eval ${dir} again`,
      });
    }
    await Deno.writeTextFile(`${dir}/metrics.json`, "{");
    await assert.rejects(() => readRunScores(dir, "test"), /^Error: Cannot read .*metrics\.json: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
