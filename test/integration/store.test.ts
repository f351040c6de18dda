// The control-table repositories, envelopes at rest and master-key rotation, run by the same
// suite on dynalite and on AWS's DynamoDB Local.
import { DynamoDBClient, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiKeyRepository, hashApiKey } from "../../lib/apiKeys/apiKeys.js";
import { ConnectorRepository } from "../../lib/connectors/repository.js";
import { ConnectorService } from "../../lib/connectors/service.js";
import { EnvelopeCodec } from "../../lib/crypto/envelope.js";
import { InvalidTokenError } from "../../lib/crypto/errors.js";
import { Fernet } from "../../lib/crypto/fernet.js";
import { KeyRing } from "../../lib/crypto/keyRing.js";
import { LocalKeyProvider } from "../../lib/crypto/keyProvider/local.js";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { createDocumentClient } from "../../lib/store/client.js";
import { ensureTables } from "../../lib/store/tables.js";
import { dynamoEngines, useDynamoEngine } from "../support/engines.js";
import { secrets, seeds } from "../support/harness.js";

describe.each(dynamoEngines)("store on $name", (engine) => {
  let client: DynamoDBClient;
  const tables = { control: `control-${engine.name}`, records: `records-${engine.name}` };
  const keyA = Fernet.generateKey();
  const keyB = Fernet.generateKey();

  const connectorsWith = (keys: string) =>
    new ConnectorService({
      repository: new ConnectorRepository(createDocumentClient(client), tables.control),
      envelopes: new EnvelopeCodec(new LocalKeyProvider(KeyRing.parse(keys))),
    });
  const apiKeys = () => new ApiKeyRepository(createDocumentClient(client), tables.control, "live");

  const engineHandle = useDynamoEngine(engine, tables);
  beforeAll(() => {
    client = engineHandle.client;
  });

  it("creates the tables once and is idempotent", async () => {
    await ensureTables(client, tables);
    const { Items } = await client.send(new ScanCommand({ TableName: tables.records }));
    expect(Items).toEqual([]);
  });

  it("stores API keys by SHA-256 only and finds them by key", async () => {
    const repo = apiKeys();
    const { key, record } = await repo.create({ tenant: "acme", role: "editor", name: "ci" });
    expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice("sk_live_".length), "base64url")).toHaveLength(32);
    expect(await repo.findByKey(key)).toMatchObject({ key_id: record.key_id, tenant: "acme", role: "editor" });
    expect(await repo.findByKey(key.slice(0, -1) + (key.endsWith("A") ? "B" : "A"))).toBeUndefined();
    expect(await repo.findByKey("not-a-key")).toBeUndefined();

    const { Item } = await client.send(new GetItemCommand({ TableName: tables.control, Key: { pk: { S: `APIKEY#${hashApiKey(key)}` }, sk: { S: "APIKEY" } } }));
    expect(Item).toBeDefined();
    const { Items } = await client.send(new ScanCommand({ TableName: tables.control }));
    expect(JSON.stringify(Items)).not.toContain(key.slice("sk_live_".length));
  });

  it("lists a tenant's keys, revokes them, and keeps the last owner", async () => {
    const repo = apiKeys();
    const owner = await repo.create({ tenant: "keys-t", role: "owner" });
    const viewer = await repo.create({ tenant: "keys-t", role: "viewer" });
    await repo.create({ tenant: "other-t", role: "owner" });
    expect((await repo.list("keys-t")).map((r) => r.key_id).sort()).toEqual([owner.record.key_id, viewer.record.key_id].sort());
    await expect(repo.revoke("keys-t", owner.record.key_id)).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.revoke("other-t", viewer.record.key_id)).rejects.toBeInstanceOf(NotFoundError);
    await repo.revoke("keys-t", viewer.record.key_id);
    expect(await repo.findByKey(viewer.key)).toBeUndefined();
    expect(await repo.findByKey(owner.key)).toBeDefined();
  });

  it("bootstraps a tenant's owner key exactly once", async () => {
    const repo = apiKeys();
    const first = await repo.bootstrapOwner("boot");
    expect(first).toMatch(/^sk_live_/);
    expect(await repo.bootstrapOwner("boot")).toBeUndefined();
    expect(await repo.findByKey(first!)).toMatchObject({ tenant: "boot", role: "owner" });
  });

  it("keeps the connection config only as an envelope: no plaintext secret in the raw item", async () => {
    const service = connectorsWith(keyA);
    const created = await service.create("raw", seeds.querriPostgres);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tables.control, Key: { pk: { S: "TENANT#raw" }, sk: { S: `CONNECTOR#${created.id}` } } }),
    );
    const raw = JSON.stringify(Item);
    expect(Item?.envelope?.M).toMatchObject({ provider: { S: "local" }, key_id: { S: expect.stringMatching(/^fk_/) } });
    expect(Item?.envelope?.M?.wrapped_key?.S).toEqual(expect.any(String));
    expect(Item?.envelope?.M?.token?.S).toMatch(/^gAAAAA/);
    expect(raw).not.toContain(secrets.querriPassword);
    expect(raw).toContain("db.example.com"); // the redacted copy shows the rest
    expect((await service.openConfig("raw", created.id)).config).toEqual(seeds.querriPostgres.connection_config);
  });

  it("conditions every update on the version it read", async () => {
    const repository = new ConnectorRepository(createDocumentClient(client), tables.control);
    const service = connectorsWith(keyA);
    const created = await service.create("versions", seeds.mysql);
    const stored = await repository.get("versions", created.id);
    await repository.updateSettings({ ...stored, name: "first" }, stored.version);
    await expect(repository.updateSettings({ ...stored, name: "stale" }, stored.version)).rejects.toBeInstanceOf(ConflictError);
    expect((await repository.get("versions", created.id)).name).toBe("first");
    await repository.remove("versions", created.id);
    await expect(repository.remove("versions", created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(repository.get("versions", created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("keeps state and settings writes apart, and guards a running connector", async () => {
    const repository = new ConnectorRepository(createDocumentClient(client), tables.control);
    const created = await connectorsWith(keyA).create("state", seeds.postgres);
    const read = await repository.get("state", created.id);
    await repository.setState("state", created.id, { status: "error", last_error: "boom" });
    const renamed = await repository.updateSettings({ ...read, name: "renamed" }, read.version);
    expect(renamed).toMatchObject({ name: "renamed", status: "error", last_error: "boom" });

    await repository.setState("state", created.id, { status: "running" });
    await expect(repository.updateSettings({ ...renamed, name: "mid-pull" }, renamed.version)).rejects.toThrow(/pull is running/);
    await expect(repository.remove("state", created.id)).rejects.toThrow(/pull is running/);
    await repository.remove("state", created.id, { force: true });
    await expect(repository.setState("state", created.id, { status: "active" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("pages a filtered list without losing or repeating items", async () => {
    const service = connectorsWith(keyA);
    for (let i = 0; i < 7; i++) await service.create("pages", { ...(i % 3 === 0 ? seeds.neo4j : seeds.mongodb), name: `n${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 10; round++) {
      const page = await service.list("pages", { type: "mongodb", limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.name));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(seen.sort()).toEqual(["n1", "n2", "n4", "n5"]);
  });

  it("rotation re-wraps every envelope under the first key; the old key can then be dropped", async () => {
    const before = connectorsWith(keyA);
    const ids: [string, string][] = [];
    for (const [tenant, seed] of [["rot-1", seeds.postgres], ["rot-1", seeds.mysql], ["rot-2", seeds.neo4j]] as const) {
      ids.push([tenant, (await before.create(tenant, seed)).id]);
    }
    await expect(connectorsWith(keyB).openConfig("rot-1", ids[0]![1])).rejects.toBeInstanceOf(InvalidTokenError);

    const rotating = connectorsWith(`${keyB},${keyA}`);
    const result = await rotating.rotateEnvelopes();
    expect(result.rewrapped).toBe(result.scanned);
    expect(result.scanned).toBeGreaterThanOrEqual(3);
    expect((await rotating.rotateEnvelopes()).rewrapped).toBe(0);

    const after = connectorsWith(keyB);
    for (const [tenant, id] of ids) {
      const { config } = await after.openConfig(tenant, id);
      expect(JSON.stringify(config)).toMatch(/S3cret/);
    }
    await expect(connectorsWith(keyA).openConfig("rot-1", ids[0]![1])).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
