// OAuth routes. authorize and refresh sit behind the API key like every route; the callback is
// reached by the user's browser coming back from the provider, so its `state` authenticates it.
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { OAuthService } from "../../oauth/index.js";
import { parseWith } from "../../validation.js";
import { requireRole } from "../auth.js";
import { readJson } from "../body.js";
import { idQuery } from "../params.js";
import type { AppEnv } from "../types.js";

export const refreshBody = z.strictObject({ connector_uuid: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "connector_uuid is a connector id") });

/** The query string, one value per name (the first). */
function queryOf(c: Context<AppEnv>): Record<string, string> {
  const first = new Map<string, string>();
  for (const [name, value] of new URL(c.req.url).searchParams) if (!first.has(name)) first.set(name, value);
  return Object.fromEntries(first);
}

// No page of ours is shown in between: the browser goes on at once, and no cache keeps the hop.
const redirect = (c: Context<AppEnv>, location: string) => {
  c.header("cache-control", "no-store");
  c.header("referrer-policy", "no-referrer");
  return c.redirect(location, 302);
};

export function oauthRoutes(oauth: OAuthService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // A GET that creates or changes a connector: editor, whatever the method says.
  app.get("/oauth/:provider/authorize", requireRole("editor"), async (c) => {
    idQuery(c, "connector_id", "connector");
    const location = await oauth.authorize(c.get("principal"), c.req.param("provider"), queryOf(c), new URL(c.req.url).origin);
    return redirect(c, location);
  });

  app.post("/oauth/:provider/refresh", async (c) => {
    const { connector_uuid } = parseWith(refreshBody, await readJson(c));
    return c.json(await oauth.refresh(c.get("principal").tenant, c.req.param("provider"), connector_uuid));
  });

  return app;
}

export function oauthCallbackRoutes(oauth: OAuthService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/oauth/:provider/callback", async (c) => redirect(c, await oauth.callback(c.req.param("provider"), queryOf(c))));
  return app;
}
