// The rate limiter's contract on every adapter (in process, dynalite, AWS's DynamoDB Local) with
// a controlled clock, and the property the DynamoDB one is for: limiters in separate "containers"
// sharing one table admit no more together than one bucket — directly, and as two HTTP services.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Fernet } from "../../lib/crypto/fernet.js";
import { createApp } from "../../lib/http/app.js";
import type { RateLimiter, RatePolicy } from "../../lib/rateLimit/contract.js";
import { DynamoRateLimiter } from "../../lib/rateLimit/dynamodb.js";
import { InProcessRateLimiter } from "../../lib/rateLimit/memory.js";
import { loadConfig } from "../../lib/runtime/config.js";
import { createLogger } from "../../lib/runtime/logger.js";
import { createServices, keyProviderFor } from "../../lib/runtime/services.js";
import { dynamoEngines, useDynamoEngine, type EngineHandle } from "../support/engines.js";

const policy: RatePolicy = { ratePerSecond: 2, burst: 4 };

/** A clock the test moves. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** What every adapter must do; `make` builds a limiter on the given clock (one store per suite). */
function contractSuite(make: (now: () => number) => RateLimiter) {
  let bucket = 0;
  const fresh = () => `contract-${++bucket}-${Math.random().toString(36).slice(2)}`;

  it("admits the burst, counting down, then refuses with the wait until the next token", async () => {
    const clock = manualClock();
    const limiter = make(clock.now);
    const name = fresh();
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.take(name, policy));
    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 3], [true, 2], [true, 1], [true, 0], [false, 0]]);
    expect(decisions[0]).toMatchObject({ limit: 4, resetSeconds: 1, retryAfterSeconds: 0 });
    // Four taken at 2/s: full again in 2 s; the next token in 0.5 s (Retry-After rounds up).
    expect(decisions[4]).toMatchObject({ allowed: false, limit: 4, resetSeconds: 2, retryAfterSeconds: 1 });
  });

  it("refills at the rate, never past the burst", async () => {
    const clock = manualClock();
    const limiter = make(clock.now);
    const name = fresh();
    for (let i = 0; i < 4; i++) await limiter.take(name, policy);
    clock.advance(499);
    expect((await limiter.take(name, policy)).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.take(name, policy)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(60_000); // idle for a minute: the bucket holds the burst, not 120 tokens
    const after = [];
    for (let i = 0; i < 6; i++) after.push((await limiter.take(name, policy)).allowed);
    expect(after).toEqual([true, true, true, true, false, false]);
  });

  it("keeps buckets apart", async () => {
    const clock = manualClock();
    const limiter = make(clock.now);
    const [a, b] = [fresh(), fresh()];
    for (let i = 0; i < 4; i++) await limiter.take(a, policy);
    expect((await limiter.take(a, policy)).allowed).toBe(false);
    expect(await limiter.take(b, policy)).toMatchObject({ allowed: true, remaining: 3 });
  });
}

describe("in process", () => {
  contractSuite((now) => new InProcessRateLimiter(now));
});

describe.each(dynamoEngines)("DynamoDB limiter on $name", (engine) => {
  const tables = { control: `ratelimit-control-${engine.name}`, records: `ratelimit-records-${engine.name}` };
  const store: EngineHandle = useDynamoEngine(engine, tables);

  describe("contract", () => {
    contractSuite((now) => new DynamoRateLimiter(store.db, tables.control, now));
  });

  it("two containers taking at once from one bucket admit exactly the burst between them", async () => {
    const clock = manualClock();
    const containers = [new DynamoRateLimiter(store.db, tables.control, clock.now), new DynamoRateLimiter(store.db, tables.control, clock.now)];
    const wide: RatePolicy = { ratePerSecond: 1, burst: 12 };
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => containers[i % 2]!.take("shared-at-once", wide)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(12);
    // Each got some: both were really racing for the one item.
    for (const parity of [0, 1]) expect(decisions.filter((d, i) => i % 2 === parity && d.allowed).length).toBeGreaterThan(0);
    clock.advance(1000);
    const next = await Promise.all(Array.from({ length: 6 }, (_, i) => containers[i % 2]!.take("shared-at-once", wide)));
    expect(next.filter((d) => d.allowed)).toHaveLength(1);
  });

  describe("two HTTP services on one table", () => {
    const BURST = 10;
    const servers: Server[] = [];
    const urls: string[] = [];
    let key: string;

    beforeAll(async () => {
      const env = {
        CONTROL_TABLE: tables.control, RECORDS_TABLE: tables.records, RECORDS_STORE: "dynamodb", CONNECTOR_ENCRYPTION_KEY: Fernet.generateKey(),
        RATE_LIMIT_STORE: "dynamodb", RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: String(BURST),
      };
      for (let i = 0; i < 2; i++) {
        const config = loadConfig("local", env);
        const services = createServices({ config, logger: createLogger("error"), dynamo: store.client, keyProvider: keyProviderFor(config), keyEnvironment: "local" });
        if (i === 0) key = (await services.apiKeys.create({ tenant: "shared", role: "viewer" })).key;
        const server = await new Promise<Server>((resolve) => {
          const started = serve({ fetch: createApp(services).fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started as Server));
        });
        servers.push(server);
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      }
    });
    afterAll(async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    });

    it("limit one key's combined rate, not each service's", async () => {
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 3 * BURST }, async (_, i) => {
          const response = await fetch(`${urls[i % 2]}/api/v1/connector-types`, { headers: { authorization: `Bearer ${key}` } });
          await response.arrayBuffer();
          return { service: i % 2, status: response.status, retryAfter: response.headers.get("retry-after") };
        }),
      );
      const elapsedSeconds = (Date.now() - started) / 1000;
      const admitted = answers.filter((a) => a.status === 200);
      // One bucket of 10 refilling at 1/s; two separate buckets would have let 20 through.
      expect(admitted.length).toBeGreaterThanOrEqual(BURST);
      expect(admitted.length).toBeLessThanOrEqual(BURST + Math.ceil(elapsedSeconds));
      expect(answers.filter((a) => a.status === 429).every((a) => Number(a.retryAfter) >= 1)).toBe(true);
      expect(new Set(admitted.map((a) => a.service)).size).toBe(2);
      expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    });
  });
});
