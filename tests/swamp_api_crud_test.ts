// The generated-style CRUD collection (tests/fixtures/swamp_api/crud/)
// against a local HTTP server: create → get → update → delete → sync, where
// get/update/delete/sync read their stored state through
// context.dataRepository.getContent (issue 13). In process and raw.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

const TYPE = "@swampfix/crud/widget";

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

interface Widget {
  id: string;
  name: string;
  size: number;
  revision: number;
}

/** The widget API of the fixture README, in memory. */
function widgetServer() {
  const widgets = new Map<string, Widget>();
  let next = 1;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const json = (body: unknown, status = 200) =>
        new Response(JSON.stringify(body), {
          status,
          headers: { "content-type": "application/json" },
        });
      if (url.pathname === "/health") return json({ ok: true });
      if (url.pathname === "/widgets" && req.method === "POST") {
        const { name, size } = await req.json();
        const w = { id: `w-${next++}`, name, size, revision: 1 };
        widgets.set(w.id, w);
        return json(w, 201);
      }
      const m = /^\/widgets\/([^/]+)$/.exec(url.pathname);
      const w = m ? widgets.get(m[1]) : undefined;
      if (!m || !w) {
        await req.body?.cancel();
        return json({ error: "not found" }, 404);
      }
      if (req.method === "GET") return json(w);
      if (req.method === "PUT") {
        const { size } = await req.json();
        w.size = size;
        w.revision++;
        return json(w);
      }
      if (req.method === "DELETE") {
        widgets.delete(w.id);
        return new Response(null, { status: 204 });
      }
      return json({ error: "method" }, 405);
    },
  );
  return { server, widgets, url: `http://127.0.0.1:${server.addr.port}` };
}

async function stateDir(repo: string): Promise<string> {
  const base = join(repo, ".swamp", "data", ...TYPE.split("/"));
  for await (const e of Deno.readDir(base)) {
    if (e.isDirectory) return join(base, e.name, "w1");
  }
  throw new Error(`no data under ${base}`);
}

async function states(repo: string): Promise<Record<number, unknown>> {
  const dir = await stateDir(repo);
  const out: Record<number, unknown> = {};
  for await (const e of Deno.readDir(dir)) {
    if (!/^\d+$/.test(e.name)) continue;
    out[Number(e.name)] = JSON.parse(
      await Deno.readTextFile(join(dir, e.name, "content")),
    );
  }
  return out;
}

for (
  const [name, driver] of [
    ["in-process", []],
    ["raw", ["--driver", "raw"]],
  ] as [string, string[]][]
) {
  Deno.test(`swamp API (${name}): CRUD collection create/get/update/delete/sync through dataRepository`, async () => {
    const { server, widgets, url } = widgetServer();
    try {
      const repo = await makeRepo();
      await copyDir(
        join(FIXTURES, "swamp_api", "crud"),
        join(repo, "extensions", "models", "crud"),
      );
      for (const def of ["w1", "fresh"]) {
        expectCode(
          await swamp(
            ["model", "create", TYPE, def, "--global-arg", `baseUrl=${url}`],
            { cwd: repo },
          ),
          0,
        );
      }
      const run = (def: string, ...args: string[]) =>
        swamp(
          ["model", "method", "run", def, ...args, ...driver, "--json"],
          { cwd: repo },
        );
      const logOf = async (runId: string) =>
        (await swamp(["run", "logs", runId], { cwd: repo })).stdout;

      // Without stored state, get/update/delete/sync fail and write nothing.
      for (const m of ["get", "update", "delete", "sync"]) {
        const extra = m === "update" ? ["--input", "size=3"] : [];
        const res = await run("fresh", m, ...extra);
        assert.notEqual(res.code, 0, `${m} on a fresh definition`);
        assert.match(res.stdout + res.stderr, /run 'create' first/);
      }

      const created = await run(
        "w1",
        "create",
        "--input",
        "name=alpha",
        "--input",
        "size=2",
      );
      expectCode(created, 0);
      assert.match(await logOf(created.json().runId), /created widget w-1/);
      expectCode(await run("w1", "get"), 0);
      const updated = await run("w1", "update", "--input", "size=5");
      expectCode(updated, 0);
      assert.match(
        await logOf(updated.json().runId),
        /updated widget w-1 to revision 2/,
      );
      assert.equal(widgets.get("w-1")?.size, 5);
      expectCode(await run("w1", "delete"), 0);
      assert.equal(widgets.has("w-1"), false);
      expectCode(await run("w1", "sync"), 0);

      const v1 = {
        id: "w-1",
        name: "alpha",
        size: 2,
        revision: 1,
        status: "present",
      };
      assert.deepEqual(await states(repo), {
        1: v1,
        2: v1,
        3: { ...v1, size: 5, revision: 2 },
        4: { ...v1, size: 5, revision: 2, status: "not_found" },
      });
    } finally {
      await server.shutdown();
    }
  });
}
