import assert from "node:assert/strict";
import { decode } from "fast-png";

Deno.test("examples/phantom_montage.ts writes a small PNG montage", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/sub/montage.png`;
    const script = new URL("../../examples/phantom_montage.ts", import.meta.url);
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", script.pathname, out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    assert.match(new TextDecoder().decode(result.stdout), /p02_s00: dermis .* mm/);
    const bytes = await Deno.readFile(out);
    assert.ok(bytes.length < 300_000, `${bytes.length} bytes`);
    const png = decode(bytes);
    // Three rows (one per participant) of four 25.6 x 38.4 mm panels at 0.2 mm per pixel.
    assert.equal(png.width, 4 * 128 + 5 * 4);
    assert.equal(png.height, 3 * 192 + 4 * 4);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(`${dir}/sub`))).map((e) => e.name), [
      "montage.png",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
