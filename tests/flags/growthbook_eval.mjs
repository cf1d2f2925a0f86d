// Evaluates orgloop's flags with GrowthBook's JavaScript SDK, loaded the SDK's own way
// (apiHost + clientKey); prints each user's values, sources and variations as JSON.
// stdin: {npmTools, apiHost, clientKey, orgloopUrl, flags, users}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { orgloopTracking } from "./growthbook_tracking.mjs";

const input = JSON.parse(readFileSync(0, "utf8"));
const require = createRequire(`${input.npmTools}/package.json`);
const { GrowthBook } = require("@growthbook/growthbook");

const pending = [];
const gb = new GrowthBook({
  apiHost: input.apiHost,
  clientKey: input.clientKey,
  trackingCallback: orgloopTracking(input.orgloopUrl, input.clientKey, pending),
});
const loaded = await gb.init({ timeout: 5000 });
if (!loaded.success) {
  console.error(JSON.stringify(loaded));
  process.exit(2);
}
const results = [];
for (const user of input.users) {
  await gb.setAttributes(user);
  const row = {};
  for (const key of input.flags) {
    const r = gb.evalFeature(key);
    const assigned = r.experimentResult && r.experimentResult.inExperiment;
    row[key] = { value: r.value, source: r.source, variation: assigned ? r.experimentResult.key : null };
  }
  results.push(row);
}
await new Promise((resolve) => setTimeout(resolve, 20));
const ingest = await Promise.all(pending);
gb.destroy();
console.log(JSON.stringify({ source: loaded.source, results, ingest }));
