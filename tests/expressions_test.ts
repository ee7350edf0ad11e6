// `${{ }}` CEL expressions in definitions and method inputs (issue 15):
// references to inputs, env, self, other models' arguments and stored data,
// the data.* and file.contents functions, vault.get, and the errors (cycle,
// unknown model, syntax) that exit 2 before anything runs. Real CLI, temp repo.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expectCode, FIXTURES, makeRepo, swamp } from "./helpers.ts";

function includes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(part)} in:\n${text}`,
  );
}

async function exprRepo(): Promise<string> {
  const repo = await makeRepo();
  await Deno.mkdir(join(repo, "extensions", "models"), { recursive: true });
  await Deno.copyFile(
    join(FIXTURES, "expressions", "echo.ts"),
    join(repo, "extensions", "models", "echo.ts"),
  );
  return repo;
}

/** Writes a definition of the echo type; returns its file. */
async function def(
  repo: string,
  name: string,
  globals: Record<string, unknown>,
  methods: Record<string, unknown> = {},
): Promise<string> {
  const dir = join(repo, "models", "@exprfix", "echo");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    file,
    [
      `id: ${crypto.randomUUID()}`,
      `name: ${name}`,
      `type: "@exprfix/echo"`,
      `typeVersion: "2026.04.01.1"`,
      `globalArguments: ${JSON.stringify(globals)}`,
      `methods: ${JSON.stringify(methods)}`,
      "",
    ].join("\n"),
  );
  return file;
}

const run = (
  repo: string,
  args: string[],
  env: Record<string, string> = {},
) => swamp(["model", "method", "run", ...args], { cwd: repo, env });

async function seen(repo: string, model: string) {
  const r = await swamp(["data", "get", model, "seen", "--json"], {
    cwd: repo,
  });
  expectCode(r, 0);
  return r.json().content as {
    globals: Record<string, unknown>;
    args: Record<string, unknown>;
  };
}

function runReports(repo: string): string[] {
  try {
    return [...Deno.readDirSync(join(repo, ".swamp", "runs"))]
      .filter((e) => e.name.endsWith(".json"))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

Deno.test("model.<name>.resource/file/input references read the latest stored data; the definition file is unchanged", async () => {
  const repo = await exprRepo();
  await def(repo, "src-model", { label: "from-src" });
  expectCode(await run(repo, ["src-model", "emit", "--input", "value=1"]), 0);
  expectCode(await run(repo, ["src-model", "emit", "--input", "value=2"]), 0);
  const userFile = await def(repo, "user", {
    count: "${{ model.src-model.resource.state.current.attributes.value }}",
    label:
      "v=${{ model.src-model.resource.state.current.attributes.value * 10 }}",
    other: "${{ model.src-model.input.globalArguments.label }}",
    me: '${{ self.name + "-x" }}',
    size: "${{ model.src-model.file.note.note.size }}",
    body: '${{ file.contents("src-model", "note") }}',
    plain: "no expression here",
  });
  const before = await Deno.readTextFile(userFile);
  const r = await run(repo, ["user", "show", "--json"]);
  expectCode(r, 0);
  const g = (await seen(repo, "user")).globals;
  assert.equal(g.count, 2); // the second run's value, typed as a number
  assert.equal(g.label, "v=20");
  assert.equal(g.other, "from-src");
  assert.equal(g.me, "user-x");
  assert.equal(g.size, "note 2".length);
  assert.equal(g.body, "note 2");
  assert.equal(g.plain, "no expression here");
  assert.equal(await Deno.readTextFile(userFile), before);
  // The run report records the resolved inputs.
  const report = JSON.parse(
    await Deno.readTextFile(
      join(repo, ".swamp", "runs", `${r.json().runId}.json`),
    ),
  );
  assert.equal(report.inputs.globalArguments.label, "v=20");
  assert.equal(report.inputs.globalArguments.count, 2);
});

Deno.test("inputs.* from --input, env.* and method argument expressions", async () => {
  const repo = await exprRepo();
  await def(repo, "ie", {
    label: "${{ inputs.mode }}-${{ env.SWAMP_EXPR_TEST }}",
  }, {
    show: {
      arguments: {
        where: "${{ env.SWAMP_EXPR_TEST }}",
        n: "${{ 1 + 2 }}",
        flag: "${{ inputs.mode == 'slow' }}",
        nested: { list: ["${{ self.globalArguments.label }}", 4] },
        lit: "${{ literal('{{host.name}}') }}",
      },
    },
  });
  const r = await run(repo, ["ie", "show", "--input", "mode=slow"], {
    SWAMP_EXPR_TEST: "here",
  });
  expectCode(r, 0);
  const s = await seen(repo, "ie");
  assert.equal(s.globals.label, "slow-here");
  assert.deepEqual(s.args, {
    where: "here",
    n: 3,
    flag: true,
    nested: { list: ["slow-here", 4] },
    lit: "{{host.name}}",
  });
});

Deno.test("data.latest, data.version, data.listVersions and data.findBySpec", async () => {
  const repo = await exprRepo();
  await def(repo, "src", {});
  for (const v of ["5", "7"]) {
    expectCode(await run(repo, ["src", "emit", "--input", `value=${v}`]), 0);
  }
  await def(repo, "reader", {
    count: '${{ data.latest("src", "current").attributes.value }}',
    first: '${{ data.version("src", "current", 1).attributes.value }}',
    versions: '${{ data.listVersions("src", "current") }}',
    specs: '${{ size(data.findBySpec("src", "state")) }}',
    missing:
      '${{ data.latest("src", "nothing").?attributes.?value.orValue(-1) }}',
  });
  expectCode(await run(repo, ["reader", "show"]), 0);
  const g = (await seen(repo, "reader")).globals;
  assert.equal(g.count, 7);
  assert.equal(g.first, 5);
  assert.deepEqual(g.versions, [1, 2]);
  assert.equal(g.specs, 1);
  assert.equal(g.missing, -1);
});

Deno.test("a cycle, an unknown model and a CEL syntax error exit 2 naming the definition and expression; nothing runs", async () => {
  const repo = await exprRepo();
  await def(repo, "cyc-a", {
    label: "${{ model.cyc-b.input.globalArguments.label }}",
  });
  await def(repo, "cyc-b", {
    label: "${{ model.cyc-a.input.globalArguments.label }}",
  });
  await def(repo, "typo", {
    label: "${{ model.no-such-model.input.globalArguments.label }}",
  });
  await def(repo, "syntax", { label: "${{ self.name + }}" });
  await def(repo, "nokey", {
    count: "${{ model.cyc-a.resource.state.current.attributes.value }}",
  });
  const cases: [string, string[]][] = [
    ["cyc-a", [
      "cycle between definitions",
      "cyc-a globalArguments.label -> cyc-b globalArguments.label -> cyc-a globalArguments.label",
    ]],
    ["typo", [
      "definition 'typo' globalArguments.label",
      "${{ model.no-such-model.input.globalArguments.label }}",
      "unknown model 'no-such-model'",
    ]],
    ["syntax", [
      "definition 'syntax' globalArguments.label",
      "${{ self.name + }}",
      "syntax error",
    ]],
    ["nokey", ["definition 'nokey' globalArguments.count", "No such key"]],
  ];
  for (const [name, parts] of cases) {
    const r = await run(repo, [name, "show"]);
    expectCode(r, 2);
    for (const p of parts) includes(r.stderr, p);
    const j = await run(repo, [name, "show", "--json"]);
    expectCode(j, 2);
    includes(JSON.stringify(j.json()), "expression");
  }
  assert.deepEqual(runReports(repo), []);
  // model validate finds the same problems without running anything.
  const v = await swamp(["model", "validate", "--json"], { cwd: repo });
  expectCode(v, 2);
  const models = v.json().models as {
    model: string;
    valid: boolean;
    errors: string[];
  }[];
  const by = Object.fromEntries(models.map((m) => [m.model, m]));
  includes(by["cyc-a"].errors.join("\n"), "cycle between definitions");
  includes(by["typo"].errors.join("\n"), "unknown model 'no-such-model'");
  includes(by["syntax"].errors.join("\n"), "syntax error");
  assert.equal(by["nokey"].valid, true); // data is only read when it runs
  assert.deepEqual(runReports(repo), []);
});

Deno.test("vault.get: the method gets the secret (embedded in a string), it is masked in outputs and .swamp; a missing key exits 2 naming the expression", async () => {
  const SECRET = "xq-expr-VAULT-secret-77";
  const repo = await exprRepo();
  expectCode(
    await swamp(["vault", "create", "local_encryption", "dev"], { cwd: repo }),
    0,
  );
  expectCode(
    await swamp(["vault", "put", "dev", "TOKEN"], {
      cwd: repo,
      stdin: SECRET + "\n",
    }),
    0,
  );
  await def(repo, "vaulted", {
    label: "Bearer ${{ vault.get('dev', 'TOKEN') }}",
  });
  const outs = [
    await run(repo, ["vaulted", "show", "--json"]),
    await run(repo, ["vaulted", "show"]),
  ];
  for (const r of outs) expectCode(r, 0);
  const s = await swamp(["data", "get", "vaulted", "seen", "--json"], {
    cwd: repo,
  });
  expectCode(s, 0);
  const content = s.json().content;
  assert.equal(content.lengths.label, "Bearer ".length + SECRET.length);
  assert.equal(content.globals.label, "Bearer ***");
  outs.push(s);
  for (const r of outs) {
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
  }
  const walk = (dir: string): string[] =>
    [...Deno.readDirSync(dir)].flatMap((e) =>
      e.isDirectory ? walk(join(dir, e.name)) : [join(dir, e.name)]
    );
  const leaks = walk(join(repo, ".swamp")).filter((f) =>
    new TextDecoder().decode(Deno.readFileSync(f)).includes(SECRET)
  );
  assert.deepEqual(leaks, []);

  await def(repo, "nokey", {
    label: "${{ vault.get('dev', 'MISSING') }}",
  });
  const bad = await run(repo, ["nokey", "show"]);
  expectCode(bad, 2);
  includes(bad.stderr, "definition 'nokey' globalArguments.label");
  includes(bad.stderr, "vault.get('dev', 'MISSING')");
});
