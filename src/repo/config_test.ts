import assert from "node:assert/strict";
import { load } from "js-yaml";
import { defaultConfigText, parseConfig, parseFlatYaml } from "./config.ts";

Deno.test("the flat YAML fast path agrees with js-yaml or declines", () => {
  const texts = [
    defaultConfigText(),
    "a: 1\nb: two words # note\n# comment\nc: true\nd:\n",
    "modelsDir: ext/models\ndeno: /usr/local/bin/deno\n",
  ];
  for (const t of texts) assert.deepEqual(parseFlatYaml(t), load(t));
  for (
    const t of [
      "a: [1, 2]\n",
      "a:\n  b: 1\n",
      "a: 'quoted'\n",
      "- x\n",
      "a: b: c\n",
    ]
  ) {
    assert.equal(parseFlatYaml(t), undefined, t);
  }
});

Deno.test("parseConfig names the file and field on bad settings", async () => {
  await assert.rejects(
    () => parseConfig("modelsDir: ../outside\n", "/r/.swamp.yaml"),
    /\/r\/\.swamp\.yaml: 'modelsDir' must be a path inside the repository/,
  );
  await assert.rejects(
    () => parseConfig("colour: blue\n", "/r/.swamp.yaml"),
    /unknown setting 'colour'/,
  );
  const cfg = await parseConfig("modelsDir: 'ext'\n", "/r/.swamp.yaml");
  assert.equal(cfg.modelsDir, "ext");
});
