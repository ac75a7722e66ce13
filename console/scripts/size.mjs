// The first load of the signed-in home screen: the JavaScript index.html loads (entry and its static
// imports, not the screens loaded on demand), gzip-compressed. Fails over the budget; writes dist/size.json.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const BUDGET = 250 * 1024;
const dist = new URL("../dist/", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(dist, ".vite/manifest.json"), "utf8"));
const entry = Object.values(manifest).find((chunk) => chunk.isEntry);
const seen = new Set();
const visit = (key) => {
  const chunk = manifest[key] ?? Object.values(manifest).find((c) => c.file === key);
  if (!chunk || seen.has(chunk.file)) return;
  seen.add(chunk.file);
  (chunk.imports ?? []).forEach(visit);
};
visit(Object.keys(manifest).find((k) => manifest[k] === entry));
// The home screen's own chunk is loaded at once after sign-in: count it and what it imports.
const home = Object.entries(manifest).find(([k]) => k.includes("screens/home/"));
if (home) visit(home[0]);
const files = [...seen].map((file) => ({ file, gzip: gzipSync(readFileSync(join(dist, file))).length }));
const total = files.reduce((sum, f) => sum + f.gzip, 0);
writeFileSync(join(dist, "size.json"), JSON.stringify({ budget: BUDGET, total, files }, null, 2));
console.log(`first load (home screen): ${(total / 1024).toFixed(1)} KB of gzip-compressed JavaScript (budget 250 KB)`);
if (total > BUDGET) process.exit(1);
