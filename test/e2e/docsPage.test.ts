// The API reference page in a real browser: GET /docs of the local service renders Swagger UI
// from the service's own assets (no request leaves it) and shows the connector endpoints; the
// OpenAPI document it loads is served without an API key.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../support/harness.js";
import { launchChromium } from "../support/servers/chromium.js";

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  browser = await launchChromium();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openDocs(): Promise<{ page: Page; requested: string[]; failed: string[] }> {
  const page = await browser.newPage();
  const requested: string[] = [];
  const failed: string[] = [];
  page.on("request", (request) => requested.push(request.url()));
  page.on("requestfailed", (request) => failed.push(request.url()));
  page.on("pageerror", (error) => failed.push(`page error: ${error.message}`));
  const response = await page.goto(`${h.url}/docs`);
  expect(response?.status()).toBe(200);
  return { page, requested, failed };
}

describe("the API reference page", () => {
  it("serves the OpenAPI 3.1 document without an API key", async () => {
    const response = await h.request("GET", "/api/v1/openapi.json", { key: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body.openapi).toBe("3.1.0");
    expect(Object.keys(response.body.paths)).toContain("/api/v1/connectors");
  });

  it("renders Swagger UI with the connector endpoints, loading nothing from outside the service", async () => {
    const { page, requested, failed } = await openDocs();
    try {
      const listConnectors = page.locator('.opblock-get .opblock-summary-path[data-path="/api/v1/connectors"]');
      await listConnectors.first().waitFor({ state: "visible", timeout: 30_000 });
      await expect(page.locator(".opblock-post .opblock-summary-path[data-path='/api/v1/connectors']").first().isVisible()).resolves.toBe(true);
      await expect(page.locator('.opblock-summary-path[data-path="/api/v1/connectors/{id}/pull"]').first().isVisible()).resolves.toBe(true);
      await expect(page.locator(".info .title").first().textContent()).resolves.toContain("Sluice");
      // The page loaded the document and the two Swagger UI files, all from this service.
      expect(requested).toEqual(expect.arrayContaining([`${h.url}/api/v1/openapi.json`, `${h.url}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`, `${h.url}/docs/assets/swagger-ui-dist/swagger-ui.css`]));
      expect(requested.filter((url) => !url.startsWith(h.url) && !url.startsWith("data:"))).toEqual([]);
      expect(failed).toEqual([]);
      await expect(page.getByText("Failed to load API definition").count()).resolves.toBe(0);
    } finally {
      await page.close();
    }
  });

  it("shows an operation's parameters and responses when it is opened", async () => {
    const { page } = await openDocs();
    try {
      const summary = page.locator('.opblock-get .opblock-summary-path[data-path="/api/v1/connectors"]').first();
      await summary.waitFor({ state: "visible", timeout: 30_000 });
      await summary.click();
      const block = page.locator("#operations-Connectors-getConnectors");
      await block.locator(".parameters").first().waitFor({ state: "visible", timeout: 10_000 });
      await expect(block.locator(".parameter__name").allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringContaining("include_available")]));
      await expect(block.locator(".responses-table .response-col_status").allTextContents()).resolves.toEqual(expect.arrayContaining(["200", "401"]));
    } finally {
      await page.close();
    }
  });

  it("answers 404 for a file that is not one of the page's assets", async () => {
    const response = await h.request("GET", "/docs/assets/swagger-ui-dist/..%2Fpackage.json", { key: null });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe("not_found");
  });
});
