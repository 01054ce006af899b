import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { acquireLock, LockHeldError, processIsAlive } from "../../run/file_lock.ts";

const dir = await Deno.makeTempDir();
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

function lockText(pid: number, host = hostname()): string {
  return JSON.stringify({
    format: "grn-lock",
    pid,
    host,
    startedAt: "2026-01-02T03:04:05.000Z",
    purpose: "grn train",
  });
}

Deno.test("acquireLock() creates the lock with pid and host, refuses a second holder, and releases", async () => {
  const path = join(dir, "a.lock");
  const lock = await acquireLock(path, { purpose: "test" });
  const stored = JSON.parse(await Deno.readTextFile(path));
  assert.equal(stored.pid, Deno.pid);
  assert.equal(stored.host, hostname());
  assert.equal(stored.purpose, "test");
  assert.equal(lock.tookOver, null);
  // This process is alive, so a second acquisition is refused, naming the file and the holder.
  await assert.rejects(() => acquireLock(path, { what: "Cannot train into X" }), (error: Error) => {
    assert.ok(error instanceof LockHeldError);
    assert.match(
      error.message,
      new RegExp(
        `^Cannot train into X: another process holds the lock ${path} \\(got pid ${Deno.pid} on ${hostname()} \\(test, since `,
      ),
    );
    return true;
  });
  await lock.release();
  assert.equal(await Deno.stat(path).then(() => true, () => false), false);
  await lock.release(); // idempotent
  await (await acquireLock(path)).release();
});

Deno.test("acquireLock() takes over a stale lock (dead pid on this host) and reports it", async () => {
  const path = join(dir, "stale.lock");
  await Deno.writeTextFile(path, lockText(999_999_999));
  const notes: string[] = [];
  const lock = await acquireLock(path, { log: (l) => notes.push(l) });
  assert.equal(lock.tookOver?.pid, 999_999_999);
  assert.equal(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
  assert.equal(notes.length, 1);
  assert.match(
    notes[0]!,
    /took over the stale lock .*stale\.lock \(its holder is gone: pid 999999999/,
  );
  assert.equal(await Deno.stat(`${path}.takeover`).then(() => true, () => false), false);
  await lock.release();
});

Deno.test("acquireLock() does not take over a live holder, nor one on another host", async () => {
  const path = join(dir, "live.lock");
  await Deno.writeTextFile(path, lockText(4242));
  await assert.rejects(
    () => acquireLock(path, { isAlive: () => Promise.resolve(true) }),
    LockHeldError,
  );
  await Deno.writeTextFile(path, lockText(4242, "elsewhere"));
  await assert.rejects(
    () => acquireLock(path, { isAlive: () => Promise.resolve(false) }),
    /holds the lock .* \(got pid 4242 on elsewhere .*another host.*delete the lock file/,
  );
  // A fresh half-written lock is being created by someone: held, not stale.
  await Deno.writeTextFile(path, "");
  await assert.rejects(() => acquireLock(path), /being written/);
  await Deno.remove(path);
});

Deno.test("processIsAlive() sees this process and not an unused pid", async () => {
  assert.equal(await processIsAlive(Deno.pid), true);
  assert.equal(await processIsAlive(999_999_999), false);
  assert.equal(await processIsAlive(-1), false);
});

Deno.test("acquireLock() against another process: held while it runs, taken over once it is killed", async () => {
  const path = join(dir, "child.lock");
  // A real process on this host holds the lock: its pid is written as the holder.
  const child = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
  try {
    await Deno.writeTextFile(path, lockText(child.pid));
    assert.equal(await processIsAlive(child.pid), true);
    await assert.rejects(() => acquireLock(path), (error: Error) => {
      assert.ok(error instanceof LockHeldError);
      assert.equal(error.holder?.pid, child.pid);
      assert.match(error.message, new RegExp(`got pid ${child.pid} on .* \\(grn train, since `));
      return true;
    });
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(await processIsAlive(child.pid), false);
  const notes: string[] = [];
  const lock = await acquireLock(path, { log: (l) => notes.push(l) });
  assert.equal(lock.tookOver?.pid, child.pid);
  assert.match(notes[0]!, /took over the stale lock/);
  await lock.release();
});
