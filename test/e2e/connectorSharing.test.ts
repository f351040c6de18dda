// Per-connector sharing over real HTTP against the local service: grant, list, revoke; a key acts
// on a connector by the higher of its role and its grant there, on every connector route, and the
// view's permissions say so; owners only share; a grant never reaches across tenants.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secrets, seeds, startHarness, type Harness } from "../support/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

type Role = "viewer" | "editor" | "owner";

/** A key made through the API (so its id is known), in the tenant of `owner`. */
async function keyOf(role: Role, owner = h.ownerKey): Promise<{ key: string; id: string }> {
  const made = await h.request("POST", "/api/v1/api-keys", { key: owner, body: { role, name: `${role} key` } });
  expect(made.status).toBe(201);
  return { key: made.body.key, id: made.body.key_id };
}

/** A connector that fails fast when reached (nothing listens on port 1). */
async function connector(name: string, key = h.ownerKey): Promise<string> {
  const body = { ...seeds.postgres, name, connection_config: { host: "127.0.0.1", port: 1, database: "none", username: "u", password: secrets.pgDsnPassword } };
  const created = await h.request("POST", "/api/v1/connectors", { key, body });
  expect(created.status).toBe(201);
  return created.body.id;
}

const share = (id: string, body: unknown, key = h.ownerKey) => h.request("POST", `/api/v1/connectors/${id}/permissions`, { key, body });
const grants = (id: string, key = h.ownerKey) => h.request("GET", `/api/v1/connectors/${id}/permissions`, { key });

describe("grant, list, revoke", () => {
  it("grants a key a level on one connector, changes it, lists it and revokes it", async () => {
    const id = await connector("shared");
    const viewer = await keyOf("viewer");
    const granted = await share(id, { key_id: viewer.id, permission: "editor" });
    expect(granted.status).toBe(201);
    expect(granted.body).toEqual({
      connector_id: id, key_id: viewer.id, permission: "editor", key_name: "viewer key", key_role: "viewer",
      granted_by: { key_id: expect.stringMatching(/^key_/), name: "bootstrap owner key" }, created_at: expect.any(String), updated_at: expect.any(String),
    });
    const changed = await share(id, { key_id: viewer.id, permission: "owner" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ permission: "owner", created_at: granted.body.created_at });
    expect((await grants(id)).body).toEqual({ items: [changed.body], next_cursor: null });

    expect((await h.request("DELETE", `/api/v1/connectors/${id}/permissions/${viewer.id}`)).status).toBe(204);
    expect((await grants(id)).body.items).toEqual([]);
    const again = await h.request("DELETE", `/api/v1/connectors/${id}/permissions/${viewer.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error).toBe("not_found");
  });

  it("takes Querri's user_id for key_id", async () => {
    const id = await connector("querri share");
    const viewer = await keyOf("viewer");
    const granted = await share(id, { user_id: viewer.id, permission: "viewer" });
    expect(granted.status).toBe(201);
    expect(granted.body.key_id).toBe(viewer.id);
    expect((await share(id, { key_id: viewer.id, user_id: viewer.id, permission: "editor" })).status).toBe(200);
  });

  it("answers 400 naming the field, and stores nothing, for a bad body", async () => {
    const id = await connector("validated");
    const viewer = await keyOf("viewer");
    const other = await keyOf("viewer");
    const foreign = await keyOf("viewer", (await h.service.services.apiKeys.create({ tenant: "elsewhere", role: "owner" })).key);
    const cases: [unknown, string][] = [
      [{ key_id: viewer.id }, "permission"],
      [{ key_id: viewer.id, permission: "admin" }, "permission"],
      [{ permission: "editor" }, "key_id"],
      [{ key_id: viewer.id, user_id: other.id, permission: "editor" }, "user_id"],
      [{ key_id: viewer.id, permission: "editor", role: "owner" }, "role"],
      [{ key_id: "key_doesnotexist", permission: "editor" }, "key_id"],
      [{ user_id: "key_doesnotexist", permission: "editor" }, "user_id"],
      [{ key_id: "../x", permission: "editor" }, "key_id"],
      // Another tenant's key is as unknown here as a made-up one.
      [{ key_id: foreign.id, permission: "editor" }, "key_id"],
    ];
    for (const [body, field] of cases) {
      const response = await share(id, body);
      expect({ body, status: response.status, error: response.body.error, field: response.body.field }).toEqual({ body, status: 400, error: "validation_error", field });
    }
    const malformed = await h.request("POST", `/api/v1/connectors/${id}/permissions`, { raw: "{nope" });
    expect(malformed.status).toBe(400);
    expect((await grants(id)).body.items).toEqual([]);
    expect((await share("conn_doesnotexist", { key_id: viewer.id, permission: "editor" })).status).toBe(404);
  });

  it("lets only owners of the connector share: the owner role or an owner grant", async () => {
    const id = await connector("owners only");
    const editor = await keyOf("editor");
    const viewer = await keyOf("viewer");
    for (const response of [await share(id, { key_id: viewer.id, permission: "viewer" }, editor.key), await grants(id, editor.key), await h.request("DELETE", `/api/v1/connectors/${id}/permissions/${viewer.id}`, { key: editor.key })]) {
      expect(response.status).toBe(403);
      expect(response.body.error).toBe("forbidden");
    }
    expect((await share(id, { key_id: editor.id, permission: "owner" })).status).toBe(201);
    expect((await share(id, { key_id: viewer.id, permission: "editor" }, editor.key)).status).toBe(201);
    expect((await grants(id, editor.key)).body.items.map((g: { key_id: string }) => g.key_id).sort()).toEqual([editor.id, viewer.id].sort());
    const view = await h.request("GET", `/api/v1/connectors/${id}`, { key: editor.key });
    expect(view.body.permissions).toEqual({ can_edit: true, can_delete: true, can_share: true });
  });
});

describe("effective permission: the higher of role and grant, on every connector route", () => {
  let shared: string;
  let other: string;
  let viewer: { key: string; id: string };

  beforeAll(async () => {
    shared = await connector("granted to the viewer");
    other = await connector("not granted");
    viewer = await keyOf("viewer");
    expect((await share(shared, { key_id: viewer.id, permission: "editor" })).status).toBe(201);
  });

  it("shows the grant in the view's permissions, one connector and in lists", async () => {
    const editable = { can_edit: true, can_delete: true, can_share: false };
    const readOnly = { can_edit: false, can_delete: false, can_share: false };
    expect((await h.request("GET", `/api/v1/connectors/${shared}`, { key: viewer.key })).body.permissions).toEqual(editable);
    expect((await h.request("GET", `/api/v1/connectors/${other}`, { key: viewer.key })).body.permissions).toEqual(readOnly);
    const listed = await h.request("GET", "/api/v1/connectors?include_available=false&limit=100", { key: viewer.key });
    const byId = new Map(listed.body.items.map((c: { id: string; permissions: unknown }) => [c.id, c.permissions]));
    expect(byId.get(shared)).toEqual(editable);
    expect(byId.get(other)).toEqual(readOnly);
    // A viewer sees every connector of its tenant: grants only raise what it may do.
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
    const space = await h.request("GET", "/api/v1/catalog/spaces/default/connectors", { key: viewer.key });
    expect(space.body.find((c: { id: string }) => c.id === shared).permissions).toEqual(editable);
    expect(space.body.find((c: { id: string }) => c.id === other).permissions).toEqual(readOnly);
  });

  it("lets the key do on the granted connector what its grant allows, and nothing more elsewhere", async () => {
    const routes: [string, string, unknown?][] = [
      ["PATCH", "", { description: "edited through a grant" }],
      ["POST", "/disable", { reason: "grant" }],
      ["POST", "/enable"],
      ["POST", "/test"],
      ["POST", "/sync"],
    ];
    for (const [method, suffix, body] of routes) {
      const allowed = await h.request(method, `/api/v1/connectors/${shared}${suffix}`, { key: viewer.key, body });
      expect({ route: `${method} ${suffix}`, status: allowed.status }).toEqual({ route: `${method} ${suffix}`, status: suffix === "/sync" ? 202 : 200 });
      const refused = await h.request(method, `/api/v1/connectors/${other}${suffix}`, { key: viewer.key, body });
      expect({ route: `${method} ${suffix}`, status: refused.status }).toEqual({ route: `${method} ${suffix}`, status: 403 });
    }
    // Qarion's space routes go by the same rule.
    expect((await h.request("PATCH", `/api/v1/catalog/spaces/default/connectors/${shared}`, { key: viewer.key, body: { description: "space route" } })).status).toBe(200);
    expect((await h.request("PATCH", `/api/v1/catalog/spaces/default/connectors/${other}`, { key: viewer.key, body: { description: "no" } })).status).toBe(403);
    // Creating is not acting on a connector: the role decides.
    expect((await h.request("POST", "/api/v1/connectors", { key: viewer.key, body: seeds.mysql })).status).toBe(403);
    expect((await h.request("GET", `/api/v1/connectors/${shared}`)).body.description).toBe("space route");
    // Last: the pull keeps the connector busy for a moment.
    expect((await h.request("POST", `/api/v1/connectors/${other}/pull?wait=0`, { key: viewer.key })).status).toBe(403);
    expect([200, 202]).toContain((await h.request("POST", `/api/v1/connectors/${shared}/pull?wait=0`, { key: viewer.key })).status);
  });

  it("never lowers a role: an editor with a viewer grant still edits", async () => {
    const editor = await keyOf("editor");
    expect((await share(other, { key_id: editor.id, permission: "viewer" })).status).toBe(201);
    expect((await h.request("PATCH", `/api/v1/connectors/${other}`, { key: editor.key, body: { description: "still an editor" } })).status).toBe(200);
  });

  it("lets an editor grant delete the connector, and its grants go with it", async () => {
    const doomed = await connector("deleted through a grant");
    expect((await share(doomed, { key_id: viewer.id, permission: "editor" })).status).toBe(201);
    expect((await h.request("DELETE", `/api/v1/connectors/${other}`, { key: viewer.key })).status).toBe(403);
    expect((await h.request("DELETE", `/api/v1/connectors/${doomed}`, { key: viewer.key })).status).toBe(204);
    expect(await h.service.services.grants.list("default", doomed)).toEqual([]);
  });

  it("forgets a revoked key: it no longer authenticates, and its grant is not listed", async () => {
    const id = await connector("revoked key");
    const leaving = await keyOf("viewer");
    expect((await share(id, { key_id: leaving.id, permission: "editor" })).status).toBe(201);
    expect((await h.request("DELETE", `/api/v1/api-keys/${leaving.id}`)).status).toBe(204);
    expect((await h.request("GET", `/api/v1/connectors/${id}`, { key: leaving.key })).status).toBe(401);
    expect((await grants(id)).body.items).toEqual([]);
  });
});

describe("tenant isolation", () => {
  it("a grant never reaches across tenants", async () => {
    const mine = await connector("tenant default's");
    const intruderOwner = (await h.service.services.apiKeys.create({ tenant: "intruders", role: "owner" })).key;
    const intruder = await keyOf("viewer", intruderOwner);
    // Another tenant's owner cannot see, list or share this connector's grants: 404, as for any of its resources.
    expect((await share(mine, { key_id: intruder.id, permission: "owner" }, intruderOwner)).status).toBe(404);
    expect((await grants(mine, intruderOwner)).status).toBe(404);
    expect((await h.request("DELETE", `/api/v1/connectors/${mine}/permissions/${intruder.id}`, { key: intruderOwner })).status).toBe(404);
    // This tenant's owner cannot grant to the other tenant's key.
    expect((await share(mine, { key_id: intruder.id, permission: "owner" })).status).toBe(400);
    // Even a grant stored by hand under the other tenant does not open this one's connector.
    await h.service.services.grants.put("intruders", { connector_id: mine, key_id: intruder.id, permission: "owner", granted_by: { key_id: intruder.id, name: null } }, new Date().toISOString());
    for (const [method, body] of [["GET", undefined], ["PATCH", { name: "taken" }], ["DELETE", undefined]] as const) {
      expect((await h.request(method, `/api/v1/connectors/${mine}`, { key: intruder.key, body })).status).toBe(404);
    }
    expect((await h.request("GET", "/api/v1/connectors?include_available=false", { key: intruder.key })).body.items).toEqual([]);
    expect((await h.request("GET", `/api/v1/connectors/${mine}`)).body.name).toBe("tenant default's");
  });

  it("leaves no secret in any response or log line", async () => {
    const everything = [...h.responses, ...h.logs];
    for (const secret of Object.values(secrets)) expect(everything.filter((line) => line.includes(secret))).toEqual([]);
    expect(h.logs.filter((line) => /sk_(local|live)_[A-Za-z0-9_-]{20,}/.test(line))).toEqual([]);
  });
});
