/**
 * `serveWeb`: a small static file server for an exported web folder (the core of `grn web`).
 * @module
 */
import { extname, join, resolve, sep } from "node:path";
import { WEB_FILES } from "./manifest.ts";
import { PAGE_CSP } from "./_page.ts";

/** Options of {@linkcode serveWeb}. */
export interface ServeWebOptions {
  /** Port; `0` lets the system choose a free one. @default {0} */
  port?: number;
  /** Address to listen on. @default {"127.0.0.1"} (this machine only) */
  hostname?: string;
  /** Stops the server when aborted. @default {none: call `shutdown()`} */
  signal?: AbortSignal;
  /** One line per request (`GET /path 200`). @default {discarded} */
  log?: (line: string) => void;
}

/** A running server. */
export interface WebServer {
  /** The page's address, e.g. `http://127.0.0.1:8123/`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The folder it serves (absolute). */
  dir: string;
  /** Stops it and resolves when it has stopped. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

/** Content types of the files an export holds. */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves a folder over HTTP on this machine: `GET` and `HEAD` of its files (`/` is
 * `index.html`), nothing outside it, no listing, with the page's Content Security Policy and
 * `Cache-Control: no-cache`. Meant for an export of `exportWeb`; any static host serves it as
 * well.
 *
 * @param dir The folder.
 * @param options Port, address, stop signal and log.
 * @returns The running server.
 * @throws {Error} When the folder has no `index.html`, or the port cannot be opened (the
 *   message names it).
 *
 * @example Serve a folder on a free port
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveWeb } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/index.html`, "<p>hello</p>");
 * const server = await serveWeb(dir);
 * assert.equal(await (await fetch(server.url)).text(), "<p>hello</p>");
 * await server.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function serveWeb(dir: string, options: ServeWebOptions = {}): Promise<WebServer> {
  const { port = 0, hostname = "127.0.0.1", log = () => {} } = options;
  const root = resolve(dir);
  const index = await Deno.stat(join(root, WEB_FILES.index)).catch(() => null);
  if (!index?.isFile) {
    throw new Error(
      `Cannot serve ${dir}: not a web page folder (got no ${WEB_FILES.index}); export one with \`grn export RUN --web DIR\``,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot serve ${dir}: port must be an integer 0..65535 (got ${port})`);
  }
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const respond = (status: number, body: BodyInit | null, type = "text/plain; charset=utf-8") => {
      log(`${request.method} ${url.pathname} ${status}`);
      return new Response(request.method === "HEAD" ? null : body, {
        status,
        headers: {
          "content-type": type,
          "cache-control": "no-cache",
          "content-security-policy": PAGE_CSP,
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      });
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(405, "method not allowed\n");
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return respond(400, "bad path\n");
    }
    if (path.endsWith("/")) path += WEB_FILES.index;
    const file = resolve(root, "." + path);
    if (file !== root && !file.startsWith(root + sep)) return respond(404, "not found\n");
    try {
      const stat = await Deno.stat(file);
      if (!stat.isFile) return respond(404, "not found\n");
      const bytes = await Deno.readFile(file);
      return respond(200, bytes, TYPES[extname(file)] ?? "application/octet-stream");
    } catch {
      return respond(404, "not found\n");
    }
  };
  const controller = new AbortController();
  options.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    // Deno.serve binds the port before it returns: a port in use throws here.
    server = Deno.serve({
      port,
      hostname,
      signal: controller.signal,
      onListen: () => {},
      onError: () => new Response("internal error\n", { status: 500 }),
    }, handler);
  } catch (error) {
    throw new Error(
      `Cannot serve ${dir} on ${hostname}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const actual = server.addr.port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${actual}/`,
    port: actual,
    dir: root,
    finished: server.finished,
    async shutdown() {
      controller.abort();
      await server.finished;
    },
  };
}
