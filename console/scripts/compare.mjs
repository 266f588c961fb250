// Fails when the committed API types differ from those generated from shared/http/openapi.json now.
import { readFileSync, rmSync } from "node:fs";

const [committed, fresh] = process.argv.slice(2);
const same = readFileSync(committed, "utf8") === readFileSync(fresh, "utf8");
rmSync(fresh);
if (!same) {
  console.error(`${committed} is stale: run \`npm run api\` in console/ after \`make openapi\``);
  process.exit(1);
}
