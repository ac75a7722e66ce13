// Fails when the committed API types differ from what docs/openapi.json generates (run `npm run api`).
import { readFileSync, rmSync } from "node:fs";
const [committed, fresh] = process.argv.slice(2);
const same = readFileSync(committed, "utf8") === readFileSync(fresh, "utf8");
rmSync(fresh);
if (!same) {
  console.error(`${committed} is stale: docs/openapi.json changed. Run: cd console && npm run api`);
  process.exit(1);
}
