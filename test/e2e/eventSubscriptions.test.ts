// The event subscriptions API over real HTTP against the local service: the signing secret shown
// once on create and stored only as an envelope, list/get/delete, 400s that store nothing, roles
// (viewer reads, editor writes) and tenant isolation, and no secret in any response or log line.
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SUBSCRIPTIONS_PER_TENANT } from "../../lib/events/subscriptions.js";
import { startHarness, type Harness } from "../support/harness.js";

let h: Harness;
const shownSecrets: string[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const keyFor = async (tenant: string, role: "viewer" | "editor" | "owner") => (await h.service.services.apiKeys.create({ tenant, role })).key;
const receiver = "http://127.0.0.1:9/hooks/sluice";

async function create(body: unknown, key?: string) {
  const response = await h.request("POST", "/api/v1/event-subscriptions", { body, key });
  if (response.status === 201) shownSecrets.push(response.body.secret);
  return response;
}

async function storedSubscriptions(): Promise<Record<string, unknown>[]> {
  const { services } = h.service;
  const items = (await services.db.send(new ScanCommand({ TableName: services.config.controlTable }))).Items ?? [];
  return items.filter((item) => String(item.sk).startsWith("EVENT_SUB#"));
}

describe("event subscriptions", () => {
  it("shows the whsec_ secret once, on create, and stores it only as an envelope", async () => {
    const created = await create({ url: receiver, events: ["pull.completed", "pull.failed", "pull.failed"], description: "ops pager" });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^evsub_/),
      url: receiver,
      events: ["pull.completed", "pull.failed"],
      description: "ops pager",
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    const { secret, ...shown } = created.body;

    const got = await h.request("GET", `/api/v1/event-subscriptions/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(shown);
    const listed = await h.request("GET", "/api/v1/event-subscriptions");
    expect(listed.body).toEqual({ items: [shown], next_cursor: null });
    expect(listed.text).not.toContain(secret);

    const [item] = await storedSubscriptions();
    expect(item!.envelope).toMatchObject({ provider: "local", wrapped_key: expect.any(String), token: expect.any(String) });
    expect(JSON.stringify(item)).not.toContain(secret);
    expect(JSON.stringify(item)).not.toContain(secret.slice("whsec_".length));

    const log = await h.request("GET", `/api/v1/event-subscriptions/${created.body.id}/deliveries`);
    expect(log.body).toEqual({ items: [], next_cursor: null });

    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${created.body.id}`)).status).toBe(204);
    expect((await h.request("GET", `/api/v1/event-subscriptions/${created.body.id}`)).status).toBe(404);
    expect((await h.request("GET", `/api/v1/event-subscriptions/${created.body.id}/deliveries`)).status).toBe(404);
    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${created.body.id}`)).status).toBe(404);
    expect(await storedSubscriptions()).toEqual([]);
  });

  it.each([
    [{ events: ["pull.completed"] }, "url"],
    [{ url: "not a url", events: ["pull.completed"] }, "url"],
    [{ url: "ftp://127.0.0.1/x", events: ["pull.completed"] }, "url"],
    [{ url: "http://user:pw@127.0.0.1/x", events: ["pull.completed"] }, "url"],
    [{ url: "http://127.0.0.1/x#frag", events: ["pull.completed"] }, "url"],
    [{ url: `http://127.0.0.1/${"x".repeat(2100)}`, events: ["pull.completed"] }, "url"],
    [{ url: "http://no-such-host.invalid/x", events: ["pull.completed"] }, "url"],
    [{ url: receiver }, "events"],
    [{ url: receiver, events: [] }, "events"],
    [{ url: receiver, events: ["pull.exploded"] }, "events.0"],
    [{ url: receiver, events: "pull.completed" }, "events"],
    [{ url: receiver, events: ["pull.completed"], secret: "mine" }, "secret"],
    [{ url: receiver, events: ["pull.completed"], description: "d".repeat(201) }, "description"],
  ])("answers 400 naming the field for %j, and stores nothing", async (body, field) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field, message: expect.any(String), request_id: expect.any(String) });
    expect(await storedSubscriptions()).toEqual([]);
  });

  it("refuses a link-local (metadata) receiver with a 400", async () => {
    const response = await create({ url: "http://169.254.169.254/latest/meta-data", events: ["pull.completed"] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: "validation_error", field: "url", message: expect.stringContaining("169.254.169.254") });
    expect(await storedSubscriptions()).toEqual([]);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const response = await h.request("POST", "/api/v1/event-subscriptions", { raw: "{url:", contentType: "application/json" });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("validation_error");
  });

  it("lets viewers read and editors create and delete", async () => {
    const viewer = await keyFor("default", "viewer");
    const editor = await keyFor("default", "editor");
    expect((await create({ url: receiver, events: ["sync.completed"] }, viewer)).status).toBe(403);
    const made = await create({ url: receiver, events: ["sync.completed"] }, editor);
    expect(made.status).toBe(201);
    expect((await h.request("GET", "/api/v1/event-subscriptions", { key: viewer })).body.items).toHaveLength(1);
    expect((await h.request("GET", `/api/v1/event-subscriptions/${made.body.id}/deliveries`, { key: viewer })).status).toBe(200);
    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${made.body.id}`, { key: viewer })).status).toBe(403);
    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${made.body.id}`, { key: editor })).status).toBe(204);
    expect((await h.request("GET", "/api/v1/event-subscriptions", { key: null })).status).toBe(401);
  });

  it("keeps tenants apart: another tenant's subscription answers 404 and is not listed", async () => {
    const mine = await create({ url: receiver, events: ["pull.failed"] });
    const other = await keyFor("other-tenant", "owner");
    expect((await h.request("GET", "/api/v1/event-subscriptions", { key: other })).body.items).toEqual([]);
    for (const [method, path] of [["GET", ""], ["GET", "/deliveries"], ["DELETE", ""]] as const) {
      expect((await h.request(method, `/api/v1/event-subscriptions/${mine.body.id}${path}`, { key: other })).status).toBe(404);
    }
    expect((await h.request("GET", `/api/v1/event-subscriptions/${mine.body.id}`)).status).toBe(200);
    expect((await h.request("GET", "/api/v1/event-subscriptions/not%20an%20id")).status).toBe(404);
    expect((await h.request("DELETE", `/api/v1/event-subscriptions/${mine.body.id}`)).status).toBe(204);
  });

  it(`holds a tenant to ${MAX_SUBSCRIPTIONS_PER_TENANT} subscriptions (409)`, async () => {
    const key = await keyFor("crowded", "editor");
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_TENANT; i++) expect((await create({ url: receiver, events: ["pull.completed"] }, key)).status).toBe(201);
    const over = await create({ url: receiver, events: ["pull.completed"] }, key);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ error: "conflict", details: { limit: MAX_SUBSCRIPTIONS_PER_TENANT } });
  });

  it("never shows a secret again: no later response and no log line holds one", () => {
    expect(shownSecrets.length).toBeGreaterThan(MAX_SUBSCRIPTIONS_PER_TENANT);
    const responsesAfterCreate = h.responses.filter((text) => !text.includes('"secret":"whsec_'));
    for (const secret of shownSecrets) {
      for (const text of responsesAfterCreate) expect(text).not.toContain(secret);
      for (const line of h.logs) expect(line).not.toContain(secret);
      // The create answer held it exactly once.
      expect(h.responses.filter((text) => text.includes(secret))).toHaveLength(1);
    }
  });
});
