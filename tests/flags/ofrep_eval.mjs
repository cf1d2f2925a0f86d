// Evaluates orgloop's flags remotely with OpenFeature's OFREP provider for node
// (@openfeature/ofrep-provider + @openfeature/server-sdk), then bulk-evaluates with the
// protocol's own client (@openfeature/ofrep-core) twice, the second time with If-None-Match.
// stdin: {npmTools, baseUrl, sdkKey, flags: [{key, type, default}], contexts}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const input = JSON.parse(readFileSync(0, "utf8"));
const require = createRequire(`${input.npmTools}/package.json`);
const { OpenFeature } = require("@openfeature/server-sdk");
const { OFREPProvider } = require("@openfeature/ofrep-provider");
const { OFREPApi } = require("@openfeature/ofrep-core");

const provider = new OFREPProvider({
  baseUrl: input.baseUrl,
  headers: [["Authorization", `Bearer ${input.sdkKey}`]],
});
await OpenFeature.setProviderAndWait(provider);
const client = OpenFeature.getClient();
const getters = {
  boolean: (k, d, c) => client.getBooleanDetails(k, d, c),
  string: (k, d, c) => client.getStringDetails(k, d, c),
  number: (k, d, c) => client.getNumberDetails(k, d, c),
  object: (k, d, c) => client.getObjectDetails(k, d, c),
};
const results = [];
for (const context of input.contexts) {
  const row = {};
  for (const flag of input.flags) {
    const d = await getters[flag.type](flag.key, flag.default, context);
    row[flag.key] = {
      value: d.value,
      variant: d.variant ?? null,
      reason: d.reason,
      errorCode: d.errorCode ?? null,
    };
  }
  results.push(row);
}

const api = new OFREPApi(input.baseUrl);
const auth = { Authorization: `Bearer ${input.sdkKey}` };
const context = input.contexts[0];
const first = await api.postBulkEvaluateFlags({ context }, { headers: auth });
const etag = first.httpResponse.headers.get("etag");
const second = await api.postBulkEvaluateFlags(
  { context },
  { headers: { ...auth, "If-None-Match": etag } },
);
const bulk = { status: first.httpStatus, etag, flags: first.value.flags, again: second.httpStatus };
await OpenFeature.close();
console.log(JSON.stringify({ results, bulk }));
