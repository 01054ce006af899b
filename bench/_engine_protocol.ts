/**
 * The line-oriented JSON protocol between the engine benchmark (`bench/engine.ts`) and its worker
 * processes: one JSON command per line on the worker's stdin, one JSON reply per line on its
 * stdout; {@linkcode WorkerProcess} is the driver's end.
 * @module
 */
// deno-lint-ignore-file no-console

/** A bench the workers can set up. */
export type BenchName = "unet-step" | "unet-inference" | "joint-step";
/** The generator of the joint step. */
export type GeneratorName = "resunet" | "resnet";

/** The lines of `stream`, without their newlines. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
  if (buffer.length > 0) yield buffer;
}

const encoder = new TextEncoder();

/** Writes `value` as one JSON line on stdout (synchronously, all of it). */
export function writeLine(value: unknown): void {
  const bytes = encoder.encode(JSON.stringify(value) + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}

/** A command to a worker. */
export type Message = Record<string, unknown> & { cmd: string };
/** A worker's reply to a command; `error` when the command failed. */
export type Reply = Record<string, unknown> & { reply: string; error?: string };

/** A long-lived worker process answering one JSON line per command. */
export class WorkerProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncGenerator<string>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly label: string;

  constructor(label: string, command: string, args: string[], env: Record<string, string> = {}) {
    this.label = label;
    this.#child = new Deno.Command(command, {
      args,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = readLines(this.#child.stdout);
    this.#stdin = this.#child.stdin.getWriter();
  }

  async request(msg: Message): Promise<Reply> {
    await this.#stdin.write(encoder.encode(JSON.stringify(msg) + "\n"));
    for (;;) {
      const next = await this.#lines.next();
      if (next.done) {
        const status = await this.#child.status;
        throw new Error(
          `the ${this.label} worker exited during "${msg.cmd}" (exit code ${status.code}${
            status.signal ? `, signal ${status.signal}` : ""
          }; out of memory, or a missing interpreter or library?)`,
        );
      }
      let reply: Reply | null = null;
      try {
        reply = JSON.parse(next.value) as Reply;
      } catch {
        reply = null;
      }
      if (reply && typeof reply === "object" && reply.reply === msg.cmd) {
        if (reply.error) throw new Error(`the ${this.label} worker failed: ${reply.error}`);
        return reply;
      }
      // Anything else a library printed goes to stderr, not into the results.
      console.error(`[${this.label}] ${next.value}`);
    }
  }

  async close(): Promise<void> {
    try {
      await this.request({ cmd: "exit" });
      await this.#stdin.close();
    } catch {
      // already gone
    }
    await this.#child.status;
  }
}
