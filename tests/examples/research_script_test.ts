import assert from "node:assert/strict";

const SCRIPT = new URL("../../examples/research_script.ts", import.meta.url);

Deno.test("examples/research_script.ts imports only the package's public specifiers", async () => {
  const source = await Deno.readTextFile(SCRIPT);
  const specifiers = [...source.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
  assert.deepEqual(specifiers, [
    "node:process",
    "@grn/grn/phantom",
    "@grn/grn/run",
    "@grn/grn/report",
  ]);
});

Deno.test("examples/research_script.ts trains two methods and prints Table 2 and the findings", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // The deno task's permissions; its temporary folder goes into ours, to see it removed.
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        "--allow-ffi",
        SCRIPT.pathname,
      ],
      env: { TMPDIR: tmp },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(result.stdout);
    assert.equal(result.code, 0, new TextDecoder().decode(result.stderr));
    const at = stdout.indexOf("Findings (");
    const [table, findings] = [stdout.slice(0, at), stdout.slice(at)];
    const lines = table.split("\n");
    assert.match(lines[0]!, /^Table 2: Dice \(%\) .* mean over test images \(95% CI\)$/);
    assert.match(lines[2]!, /^Method +20% *$/);
    assert.match(lines[3]!, /^Fully supervised +\d+\.\d\d \(\d+\.\d\d, \d+\.\d\d\) ref\. *$/);
    assert.match(lines[4]!, /^GRN-SSL +\d+\.\d\d \(\d+\.\d\d, \d+\.\d\d\) p[<=]\d/);
    assert.match(lines[5]!, /^GRN-SSL \(w SGE\) +\d+\.\d\d \(\d+\.\d\d, \d+\.\d\d\) p[<=]\d/);
    assert.match(findings, /^Findings \(the paper's claims\): \d+ hold, /);
    assert.match(
      findings,
      /\n {2}\(a\) .*: GRN-SSL \(w SGE\) − Fully supervised \(best baseline\) > 0 at 20%: .* test images\n/,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(tmp)), [], "its temporary folder removed");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
