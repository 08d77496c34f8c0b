/** scripts/check-imports.mjs (run by `npm test` before vitest) on this tree, and on a
 * small broken one, so that the check is known to catch what it is there for. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const check = (at) =>
  spawnSync(process.execPath, [join(root, "scripts/check-imports.mjs"), "--root", at], { encoding: "utf8" });

let scratch = null;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

function tree(files) {
  const at = mkdtempSync(join(tmpdir(), "imports-"));
  scratch = at;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(at, path)), { recursive: true });
    writeFileSync(join(at, path), text);
  }
  return at;
}

describe("the import check", () => {
  it("passes on this tree", () => {
    const run = check(root);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("finds a cycle, type-only imports included", () => {
    const run = check(tree({
      "src/core/a.ts": 'import type { B } from "./b";\nexport type A = B;\n',
      "src/core/b.ts": 'import { a } from "./a";\nexport type B = number;\nexport const b = a;\n',
    }));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("import cycle: src/core/a.ts <-> src/core/b.ts");
  });

  it("finds an import that points up a layer, or past the SDK's public entry", () => {
    const run = check(tree({
      "src/index.ts": 'export * from "./core/a";\n',
      "src/core/a.ts": 'import "../party/p";\n',
      "src/party/p.ts": "export {};\n",
      "widget/w.ts": 'import { x } from "../src/core/a";\n',
      "src/stray.ts": "export {};\n",
    }));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("src/core/a.ts: imports src/party/p.ts");
    expect(run.stderr).toContain("widget/w.ts: imports src/core/a.ts");
    expect(run.stderr).toContain("src/stray.ts: in no layer");
  });
});
