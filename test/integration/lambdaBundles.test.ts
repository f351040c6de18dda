// The Lambda bundles exactly as `cdk synth` builds them: each loads and answers an HTTP API v2
// event against dynalite, the connectors entry stays under 1 MB, and every source driver sits in
// its own chunk that a connection test loads on first use (no entry file holds a driver).
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleSizes, type BundleSize } from "../../cdk/bundleSizes.js";
import { projectRoot } from "../../cdk/sluiceFunction.js";
import { SluiceStack } from "../../cdk/stack.js";
import { seeds } from "../support/harness.js";
import { httpApiEvent, startLambdaStore, type LambdaHandler, type LambdaStore } from "../support/lambdaEvents.js";
import { freePort } from "../support/servers/net.js";

/** A string only each driver's code holds. */
const DRIVER_MARKERS = {
  postgresql: "SCRAM-SERVER-FINAL-MESSAGE",
  mysql: "caching_sha2_password",
  mongodb: "MongoServerSelectionError",
  neo4j: "neo4j-javascript",
};

let lambda: LambdaStore;
let outdir: string;
let copies: string;
let bundles: Map<string, BundleSize>;

beforeAll(async () => {
  lambda = await startLambdaStore();
  outdir = await mkdtemp(path.join(os.tmpdir(), "sluice-cdk-"));
  // As the CLI synthesises: asset and construct paths in the template's metadata.
  const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true, "aws:cdk:enable-path-metadata": true } });
  new SluiceStack(app, "sluice-bundles", { env: { region: "eu-west-1", account: "123456789012" }, stage: "bundles", corsOrigins: [], deletionProtection: false });
  app.synth();
  bundles = new Map(bundleSizes(outdir, "sluice-bundles").map((size) => [size.name, size]));
  // Inside node_modules so the bundles' external @aws-sdk imports resolve, as in the Lambda runtime.
  copies = path.join(projectRoot, "node_modules", ".cache", `sluice-bundles-${process.pid}`);
  for (const size of bundles.values()) await cp(size.assetDir, path.join(copies, size.name), { recursive: true });
}, 240_000);

afterAll(async () => {
  await lambda?.close();
  if (copies) await rm(copies, { recursive: true, force: true });
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

async function handlerOf(name: string): Promise<LambdaHandler> {
  const module = (await import(pathToFileURL(path.join(copies, name, "index.mjs")).href)) as { handler: LambdaHandler };
  return module.handler;
}

const event = (method: string, route: string, body?: unknown) =>
  httpApiEvent(method, route, { key: lambda.key, body: body === undefined ? undefined : JSON.stringify(body), base64: true });

describe("bundles", () => {
  it("builds one per function; the connectors entry stays under 1 MB", () => {
    expect([...bundles.keys()].sort()).toEqual(["ConnectorsFunction", "IngestFunction", "PullFunction", "PullWorkerFunction", "WebhookFunction"]);
    expect(bundles.get("ConnectorsFunction")!.entryBytes).toBeLessThan(1024 * 1024);
  });

  it("keeps every driver out of the entry files, each in a chunk of its own", async () => {
    for (const size of bundles.values()) {
      const entry = await readFile(path.join(size.assetDir, "index.mjs"), "utf8");
      for (const [type, marker] of Object.entries(DRIVER_MARKERS)) expect(entry.includes(marker), `${size.name} entry holds ${type}`).toBe(false);
    }
    const connectors = bundles.get("ConnectorsFunction")!;
    for (const [type, marker] of Object.entries(DRIVER_MARKERS)) {
      let holders = 0;
      for (const chunk of connectors.chunks) {
        if ((await readFile(path.join(connectors.assetDir, "chunks", chunk), "utf8")).includes(marker)) holders++;
      }
      expect(holders, type).toBe(1);
    }
  });
});

describe("the built handlers", () => {
  it("connectors: serves the API and loads each driver's chunk for a connection test", async () => {
    const handler = await handlerOf("ConnectorsFunction");
    const types = await handler(event("GET", "/api/v1/connector-types"), {});
    expect(types.statusCode).toBe(200);

    const port = await freePort();
    const configs = {
      postgresql: { ...seeds.postgres, connection_config: { host: "127.0.0.1", port, database: "x", username: "u", password: "p" } },
      mysql: { ...seeds.mysql, connection_config: { host: "127.0.0.1", port, user: "u", password: "p", database: "x" } },
      mongodb: { ...seeds.mongodb, connection_config: { uri: `mongodb://127.0.0.1:${port}`, database: "x", collection: "y" } },
      neo4j: { ...seeds.neo4j, connection_config: { uri: `bolt://127.0.0.1:${port}`, user: "neo4j", password: "p" } },
    };
    for (const [type, body] of Object.entries(configs)) {
      const answer = await handler(event("POST", "/api/v1/connectors", { ...body, connection_config: { ...body.connection_config, connection_timeout_seconds: 3 }, test_connection: true }), {});
      const parsed = JSON.parse(answer.body) as { error: string; message: string; test_results?: { error_type?: string } };
      expect([answer.statusCode, parsed.error, parsed.test_results?.error_type], `${type}: ${parsed.message}`).toEqual([400, "connection_failed", "connection_refused"]);
    }
  }, 60_000);

  it("connectors: serves the OpenAPI document and the docs page with its own Swagger UI files, no key needed", async () => {
    const handler = await handlerOf("ConnectorsFunction");
    const unauthenticated = (route: string) => httpApiEvent("GET", route, { key: "" });
    const doc = await handler(unauthenticated("/api/v1/openapi.json"), {});
    expect(doc.statusCode).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ openapi: expect.stringMatching(/^3\.1/), paths: expect.objectContaining({ "/api/v1/connectors": expect.any(Object) }) });
    const page = await handler(unauthenticated("/docs"), {});
    expect(page.statusCode).toBe(200);
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]*swagger-ui[^"]*)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const file = await handler(unauthenticated(asset), {});
      expect(file.statusCode, asset).toBe(200);
      expect(file.body.length, asset).toBeGreaterThan(1000);
    }
  }, 60_000);

  it("pull: answers for its route", async () => {
    const handler = await handlerOf("PullFunction");
    const missing = await handler(event("POST", "/api/v1/connectors/conn_missing/pull"), {});
    expect(missing.statusCode).toBe(404);
  });

  it("ingest and webhook: store a batch and refuse an unsigned push", async () => {
    const ingest = await handlerOf("IngestFunction");
    const stored = await ingest(event("POST", "/api/v1/ingest/bundles/item/batch", { records: [{ name: "one", source_id: "1", colour: "red" }] }), {});
    expect(stored.statusCode).toBe(200);
    expect(JSON.parse(stored.body)).toMatchObject({ accepted: 1, rejected: 0 });
    const read = await ingest(event("GET", "/api/v1/records/bundles/item/1"), {});
    expect(JSON.parse(read.body)).toMatchObject({ name: "one", vertical_data: { colour: "red" } });
    // A schema loads ajv and RE2, a chunk of their own.
    const schema = await ingest(event("PUT", "/api/v1/schemas/bundles/item", { schema: { properties: { colour: { type: "string", pattern: "^(red|blue)$" } } } }), {});
    expect(schema.statusCode, schema.body).toBe(201);
    const screened = await ingest(event("POST", "/api/v1/ingest/bundles/item/batch", { records: [{ name: "two", colour: "green" }, { name: "three", colour: "blue" }] }), {});
    expect(JSON.parse(screened.body)).toMatchObject({ accepted: 1, rejected: 1 });

    const webhook = await handlerOf("WebhookFunction");
    const unsigned = await webhook(event("POST", "/api/v1/webhooks/ingest/bundles/item", { name: "two" }), {});
    expect(unsigned.statusCode).toBe(401);
  });

  it("worker: takes a Scheduler event for a connector that is gone without failing", async () => {
    const handler = (await handlerOf("PullWorkerFunction")) as unknown as (event: unknown) => Promise<unknown>;
    await expect(handler({ tenant: "t1", connector_id: "conn_gone" })).resolves.toEqual({});
  });
});
