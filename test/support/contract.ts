// The contract check of every harness response: the OpenAPI document's operation for the
// request's method and path must document the status, and a JSON body must match the response
// schema (closed objects refuse undocumented fields); other bodies are checked by content type.
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { openApiDocument } from "../../lib/http/openapi/document.js";

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

type Json = Record<string, any>;

export class ContractError extends Error {
  override name = "ContractError";
}

interface Template {
  method: string;
  path: string;
  pattern: RegExp;
  /** With a free-form last parameter (no pattern: a source_id), the same with it taking slashes too. */
  greedy: RegExp | undefined;
  params: number;
  operation: Json | undefined;
}

const DOCUMENT_ID = "sluice:openapi";

class Contract {
  private readonly document = openApiDocument() as Json;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Template[] = [];

  constructor() {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas: this.document.components.schemas } });
    for (const [path, methods] of Object.entries(this.document.paths as Record<string, Json>)) {
      const parts = path.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"));
      const params = parts.length - 1;
      const pattern = new RegExp(`^${parts.join("[^/]+")}$`);
      for (const [method, operation] of Object.entries(methods)) {
        const last = (operation.parameters ?? []).filter((p: Json) => p.in === "path").at(-1)?.schema;
        const free = params > 0 && last && !last.pattern && !last.enum && parts.at(-1) === "";
        const greedy = free ? new RegExp(`^${parts.slice(0, -1).join("[^/]+")}.+$`) : undefined;
        this.templates.push({ method: method.toUpperCase(), path, pattern, greedy, params, operation });
      }
    }
    // Most literal first: /catalog/spaces/{slug}/connectors before anything with more parameters.
    this.templates.sort((a, b) => a.params - b.params);
  }

  private match(method: string, path: string): { template?: Template; pathKnown: boolean } {
    const candidates = [...this.templates.filter((t) => t.pattern.test(path)), ...this.templates.filter((t) => t.greedy?.test(path))];
    return { template: candidates.find((t) => t.method === method), pathKnown: candidates.length > 0 };
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      const text = JSON.stringify(schema).replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`);
      validate = this.ajv.compile(JSON.parse(text));
      this.validators.set(key, validate);
    }
    return validate;
  }

  private resolve(response: Json): Json {
    const ref = response.$ref as string | undefined;
    return ref ? this.document.components.responses[ref.replace("#/components/responses/", "")] : response;
  }

  check(method: string, url: string, status: number, contentType: string, body: unknown, text: string): void {
    const path = new URL(url, "http://sluice").pathname;
    const what = `${method} ${path} answered ${status}`;
    const fail = (reason: string) => {
      throw new ContractError(`contract: ${what}: ${reason} (see lib/http/openapi/routes)`);
    };
    const verb = method === "HEAD" ? "GET" : method;
    const { template, pathKnown } = this.match(verb, path);
    let response: Json | undefined;
    let key: string;
    if (!template) {
      // Hono's not-found answer, for a path or a method no route has.
      if (status !== 404) fail(pathKnown ? `the document has no ${verb} operation on this path` : "no path of the document matches it");
      response = this.resolve({ $ref: "#/components/responses/Error404" });
      key = "not-found";
    } else {
      response = template.operation?.responses?.[String(status)];
      if (!response) fail(`operation ${template.operation?.operationId} (${template.method} ${template.path}) documents ${Object.keys(template.operation?.responses ?? {}).join(", ")}, not ${status}`);
      response = this.resolve(response!);
      key = `${template.method} ${template.path} ${status}`;
    }
    if (method === "HEAD") return;
    const content = (response!.content ?? {}) as Json;
    const types = Object.keys(content);
    if (types.length === 0) {
      if (text !== "") fail(`it is documented without a body, but has ${text.length} characters`);
      return;
    }
    const media = contentType.split(";")[0]!.trim().toLowerCase();
    if (!types.includes(media)) fail(`Content-Type ${JSON.stringify(contentType)} is not one of ${types.join(", ")}`);
    if (media !== "application/json") return;
    const validate = this.validator(key, content[media].schema);
    if (!validate(body)) {
      const errors = (validate.errors ?? []).slice(0, 8).map((error) => {
        const extra = error.keyword === "additionalProperties" ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : "";
        return `${error.instancePath || "/"} ${error.message}${extra}`;
      });
      fail(`the body does not match the documented schema: ${errors.join("; ")}`);
    }
  }
}

let contract: Contract | undefined;

/** Throws a ContractError when the response is not one the OpenAPI document describes. */
export function checkContract(method: string, url: string, status: number, headers: Headers, body: unknown, text: string): void {
  contract ??= new Contract();
  contract.check(method.toUpperCase(), url, status, headers.get("content-type") ?? "", body, text);
}
