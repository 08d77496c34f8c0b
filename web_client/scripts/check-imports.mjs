// The web client's import rules, checked on the sources (type-only imports count):
//   1. no import cycles;
//   2. each folder imports only what its line in RULES allows (the layers point down:
//      protocol < core < media < party < index.ts; the widget, the moderation panel,
//      the dashboard and the demo page reach the SDK only through its public entry, src/index.ts).
// Usage: node scripts/check-imports.mjs [--root DIR]   (exit 1 and a list when broken)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));

/** Folder (or file) -> the folders and files it may import, and the npm packages. */
export const RULES = [
  { from: "src/protocol", may: ["src/protocol"], packages: [] },
  { from: "src/core", may: ["src/core", "src/protocol"], packages: ["socket.io-client"] },
  { from: "src/media", may: ["src/media", "src/core", "src/protocol"], packages: [] },
  { from: "src/party", may: ["src/party", "src/media", "src/core", "src/protocol"], packages: [] },
  { from: "src/index.ts", may: ["src"], packages: [] },
  { from: "ui", may: ["ui"], packages: ["intl-messageformat"] },
  { from: "widget", may: ["widget", "ui", "src/index.ts"], packages: ["@twemoji"] },
  { from: "moderation", may: ["moderation", "ui", "src/index.ts"], packages: [] },
  { from: "dashboard", may: ["dashboard", "ui", "src/index.ts"], packages: ["chart.js"] },
  { from: "demo", may: ["demo", "ui", "src/index.ts", "widget/index.ts"], packages: ["hls.js"] },
  { from: "embed", may: ["embed", "ui", "src/index.ts", "widget/index.ts"], packages: [] },
];
const FOLDERS = ["src", "ui", "widget", "moderation", "dashboard", "demo", "embed"];

const within = (path, area) => path === area || path.startsWith(`${area}/`);

function sources(root, dir) {
  const out = [];
  const full = join(root, dir);
  if (!existsSync(full)) return out;
  for (const name of readdirSync(full)) {
    const path = join(full, name);
    if (statSync(path).isDirectory()) out.push(...sources(root, join(dir, name)));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts") && !name.endsWith(".test.ts")) {
      out.push(relative(root, path).split(sep).join("/"));
    }
  }
  return out;
}

function resolveImport(root, file, spec) {
  const base = resolve(root, dirname(file), spec);
  for (const candidate of [base, `${base}.ts`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate).split(sep).join("/");
  }
  return null;
}

/** file -> [{spec, target (a source file, or null for a package)}] */
export function importGraph(root) {
  const graph = new Map();
  for (const file of FOLDERS.flatMap((dir) => sources(root, dir))) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    graph.set(file, info.importedFiles.map(({ fileName: spec }) => ({
      spec, target: spec.startsWith(".") ? resolveImport(root, file, spec) : null,
    })));
  }
  return graph;
}

/** Every strongly connected set of more than one file (or a file importing itself). */
export function findCycles(graph) {
  let index = 0;
  const stack = [], onStack = new Set(), indexOf = new Map(), low = new Map(), cycles = [];
  const visit = (v) => {
    indexOf.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const { target: w } of graph.get(v) ?? []) {
      if (w === null || !graph.has(w)) continue;
      if (!indexOf.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
    }
    if (low.get(v) === indexOf.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.target === v);
      if (scc.length > 1 || selfLoop) cycles.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return cycles;
}

/** Imports that break RULES, and files that no rule covers. */
export function layerViolations(graph) {
  const problems = [];
  for (const [file, edges] of graph) {
    // The most specific rule: "src/index.ts" before "src/...".
    const rule = RULES.filter((r) => within(file, r.from)).sort((a, b) => b.from.length - a.from.length)[0];
    if (!rule) {
      problems.push(`${file}: in no layer (put it in one of ${RULES.map((r) => r.from).join(", ")})`);
      continue;
    }
    for (const { spec, target } of edges) {
      if (target === null && spec.startsWith(".")) problems.push(`${file}: "${spec}" does not resolve`);
      else if (target === null && !rule.packages.includes(spec.split("/")[0])) {
        problems.push(`${file}: imports the package "${spec}" (${rule.from} may import: ${rule.packages.join(", ") || "none"})`);
      } else if (target !== null && !rule.may.some((area) => within(target, area))) {
        problems.push(`${file}: imports ${target} (${rule.from} may import ${rule.may.join(", ")})`);
      }
    }
  }
  return problems;
}

export function checkImports(root) {
  const graph = importGraph(root);
  return {
    files: graph.size,
    cycles: findCycles(graph),
    violations: layerViolations(graph),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--root");
  const root = at > 0 ? resolve(process.argv[at + 1]) : resolve(here, "..");
  const { files, cycles, violations } = checkImports(root);
  for (const cycle of cycles) console.error(`import cycle: ${cycle.join(" <-> ")}`);
  for (const problem of violations) console.error(`layering: ${problem}`);
  if (cycles.length || violations.length) process.exit(1);
  console.log(`imports: ${files} files, no cycles, layers respected`);
}
