// Builds what `socialsync serve` serves from web_client/build/:
//   sdk/     socialsync.js (IIFE, global SocialSync), socialsync.esm.js, types/
//   widget/  socialsync-widget.js (IIFE, global SocialSyncWidget, SDK included), .css
//   demo/    index.html, demo.js (ESM, hls.js + widget), demo.css
// Usage: node build.mjs [--watch]
import * as esbuild from "esbuild";
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "build");
const common = { bundle: true, sourcemap: true, minify: true, target: ["es2020"], logLevel: "warning" };

const builds = [
  { entryPoints: [join(root, "src/index.ts")], format: "iife", globalName: "SocialSync",
    outfile: join(out, "sdk/socialsync.js") },
  { entryPoints: [join(root, "src/index.ts")], format: "esm", outfile: join(out, "sdk/socialsync.esm.js") },
];
if (existsSync(join(root, "widget/index.ts"))) {
  builds.push({ entryPoints: [join(root, "widget/index.ts")], format: "iife", globalName: "SocialSyncWidget",
    outfile: join(out, "widget/socialsync-widget.js") });
  builds.push({ entryPoints: [join(root, "widget/widget.css")], outfile: join(out, "widget/socialsync-widget.css") });
}
if (existsSync(join(root, "moderation/panel.ts"))) {
  builds.push({ entryPoints: [join(root, "moderation/panel.ts")], format: "esm",
    outfile: join(out, "moderation/panel.js") });
}
if (existsSync(join(root, "demo/demo.ts"))) {
  builds.push({ entryPoints: [join(root, "demo/demo.ts")], format: "esm", outfile: join(out, "demo/demo.js") });
}

await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
for (const [dir, files] of [["demo", ["index.html", "demo.css"]], ["moderation", ["index.html", "panel.css"]]]) {
  for (const file of files) {
    const from = join(root, dir, file);
    if (existsSync(from)) {
      mkdirSync(join(out, dir), { recursive: true });
      cpSync(from, join(out, dir, file));
    }
  }
}
console.log(`built ${builds.length} bundles into ${out}`);
