// A full filesystem during a run: nothing is committed, the error names the
// cause, a report is written where there is room for one. Uses small tmpfs
// mounts (needs root); skipped where mounting is not allowed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, makeRepo, swamp } from "./helpers.ts";

function canMount(): boolean {
  const dir = Deno.makeTempDirSync();
  try {
    const mount = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir],
      stderr: "null",
    }).outputSync();
    if (!mount.success) return false;
    new Deno.Command("umount", { args: [dir] }).outputSync();
    return true;
  } catch {
    return false;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const mountable = canMount();

async function mountTmpfs(dir: string, size: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
}

function versionDirs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (!e.isDirectory) continue;
      if (/^\d+$/.test(e.name) || e.name.startsWith(".staging-")) {
        out.push(join(d, e.name));
      } else walk(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

async function readReport(repo: string, runId: string) {
  return JSON.parse(
    await Deno.readTextFile(join(repo, ".swamp", "runs", `${runId}.json`)),
  );
}

Deno.test({
  name:
    "data disk full while staging: nothing committed, 'no space left on device', report written",
  ignore: !mountable,
  fn: async () => {
    const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
    expectCode(
      await swamp(["model", "create", "@test/committer", "c"], { cwd: repo }),
      0,
    );
    expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
    const dataDir = join(repo, ".swamp", "data");
    await mountTmpfs(dataDir, "256k");
    try {
      for (const method of ["fill", "fillSwallowed"]) {
        const res = await swamp([
          "model",
          "method",
          "run",
          "c",
          method,
          "--input",
          "count=20",
          "--input",
          "size=40000",
          "--json",
        ], { cwd: repo });
        expectCode(res, 1);
        const out = res.json();
        assert.equal(out.status, "failed");
        // The method that swallowed the error still may not commit.
        assert.match(
          out.error.message,
          /no space left on device while writing item 'fill-\d+'/,
        );
        assert.deepEqual(out.data, []);
        const report = await readReport(repo, out.runId);
        assert.equal(report.status, "failed");
        assert.match(report.error.message, /no space left on device/);
        assert.deepEqual(versionDirs(dataDir), []);
      }
      const list = await swamp(["data", "list", "--json"], { cwd: repo });
      expectCode(list, 0);
      assert.deepEqual(list.json().data, []);
      // With room again, the next run works.
      const ok = await swamp(
        ["model", "method", "run", "c", "many", "--input", "n=3", "--json"],
        { cwd: repo },
      );
      expectCode(ok, 0);
      assert.equal(ok.json().data.length, 4);
    } finally {
      await umount(dataDir);
    }
  },
});

Deno.test({
  name:
    "journal disk full at the commit record: nothing committed, clear error, next run succeeds",
  ignore: !mountable,
  fn: async () => {
    const repo = await makeRepo({ "committer.ts": "models/committer.ts" });
    expectCode(
      await swamp(["model", "create", "@test/committer", "c"], { cwd: repo }),
      0,
    );
    expectCode(await swamp(["model", "type", "search"], { cwd: repo }), 0);
    const journal = join(repo, ".swamp", "journal");
    await mountTmpfs(journal, "128k");
    try {
      // The method stages three resources, then fills the journal's disk.
      const res = await swamp(
        ["model", "method", "run", "c", "fillJournal", "--json"],
        { cwd: repo },
      );
      expectCode(res, 1);
      const out = res.json();
      assert.equal(out.status, "failed");
      assert.equal(out.error.code, "io_error");
      assert.match(
        out.error.message,
        /no space left on device while writing the commit record .*nothing was committed/,
      );
      assert.equal((await readReport(repo, out.runId)).status, "failed");
      assert.deepEqual(versionDirs(join(repo, ".swamp", "data")), []);
      await Deno.remove(join(journal, "zz-filler"));
      const ok = await swamp(
        ["model", "method", "run", "c", "many", "--input", "n=3", "--json"],
        { cwd: repo },
      );
      expectCode(ok, 0);
      const doctor = await swamp(["doctor", "data", "--json"], { cwd: repo });
      expectCode(doctor, 0);
      assert.equal(doctor.json().versionsChecked, 4);
    } finally {
      await umount(journal);
    }
  },
});
