// Builds what `socialsync serve` serves from web_client/build/:
//   sdk/     socialsync.js (IIFE, global SocialSync), socialsync.esm.js, types/
//   widget/  socialsync-widget.js (IIFE, global SocialSyncWidget, SDK included), .css
//   embed/   socialsync.js (IIFE: the one-tag embed, widget and SDK included), socialsync.css
//   demo/    index.html, demo.js (ESM, hls.js + widget), demo.css
//   dashboard/ index.html, dashboard.js (ESM, Chart.js + SDK), dashboard.css
// Usage: node build.mjs [--watch]
import * as esbuild from "esbuild";
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, "build");
// SVG (the widget's reaction emoji) is bundled as text and drawn inline.
const common = { bundle: true, sourcemap: true, minify: true, target: ["es2020"], logLevel: "warning",
  loader: { ".svg": "text" } };

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
// The one-tag embed (/embed/socialsync.js, widget and SDK included) and its stylesheet.
if (existsSync(join(root, "embed/index.ts"))) {
  builds.push({ entryPoints: [join(root, "embed/index.ts")], format: "iife", outfile: join(out, "embed/socialsync.js") });
  builds.push({ entryPoints: [join(root, "embed/embed.css")], outfile: join(out, "embed/socialsync.css") });
}
if (existsSync(join(root, "moderation/panel.ts"))) {
  builds.push({ entryPoints: [join(root, "moderation/panel.ts")], format: "esm",
    outfile: join(out, "moderation/panel.js") });
}
// The analytics dashboard (/dashboard/): its page, script (Chart.js bundled) and styles.
if (existsSync(join(root, "dashboard/dashboard.ts"))) {
  builds.push({ entryPoints: [join(root, "dashboard/dashboard.ts")], format: "esm",
    outfile: join(out, "dashboard/dashboard.js") });
}
if (existsSync(join(root, "demo/demo.ts"))) {
  builds.push({ entryPoints: [join(root, "demo/demo.ts")], format: "esm", outfile: join(out, "demo/demo.js") });
}

await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
for (const [dir, files] of [["demo", ["index.html", "demo.css"]], ["moderation", ["index.html", "panel.css"]],
  ["dashboard", ["index.html", "dashboard.css"]],
  ["widget", ["TWEMOJI-LICENSE.txt"]]]) {
  for (const file of files) {
    const from = join(root, dir, file);
    if (existsSync(from)) {
      mkdirSync(join(out, dir), { recursive: true });
      cpSync(from, join(out, dir, file));
    }
  }
}
// The REST API's docs page (/api/docs): Swagger UI as published, and our init script.
const swagger = join(root, "node_modules/swagger-ui-dist");
mkdirSync(join(out, "apidocs"), { recursive: true });
cpSync(join(root, "apidocs/init.js"), join(out, "apidocs/init.js"));
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"]) {
  cpSync(join(swagger, file), join(out, "apidocs", file));
}
console.log(`built ${builds.length} bundles into ${out}`);
