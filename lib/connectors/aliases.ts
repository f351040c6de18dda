// The seeds' other names for connector fields (Querri's type/display_name/config, Qarion's
// credentials and `postgres`), mapped onto the canonical model before any schema runs. Errors
// found afterwards are rewritten to name the field as the caller sent it.
import { ValidationError } from "../errors.js";
import { isObject } from "../validation.js";
import type { ConnectorType } from "./types.js";

/** Top-level aliases: alias → canonical field. */
export const fieldAliases = { type: "connector_type", display_name: "name", config: "connection_config" } as const;

/** Qarion's type names → Sluice's. */
export const typeAliases: Readonly<Record<string, ConnectorType>> = { postgres: "postgresql" };

/** What GET /connector-types says about the aliases. */
export const aliasCatalogue = [
  ...Object.entries(fieldAliases).map(([alias, canonical]) => ({ alias, canonical, note: `the same field as ${canonical}; give one of them` })),
  { alias: "credentials", canonical: "connection_config", note: "an object merged into connection_config (encrypted, secrets redacted like it); a key in both is a 400" },
];

/** A connector type by its canonical name or an alias; anything else is returned as it was. */
export function canonicalType(value: unknown): unknown {
  return typeof value === "string" && Object.hasOwn(typeAliases, value) ? typeAliases[value] : value;
}

export interface CanonicalBody {
  body: Record<string, unknown>;
  /** Canonical path → the path the caller used, for the fields that came through an alias. */
  sent: Map<string, string>;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  // A JSON key may be "__proto__": defined, never assigned (which would set the prototype).
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The body with every alias replaced by its canonical field (create and PATCH bodies alike). */
export function canonicalize(input: Record<string, unknown>): CanonicalBody {
  const body: Record<string, unknown> = { ...input };
  const sent = new Map<string, string>();
  for (const [alias, canonical] of Object.entries(fieldAliases)) {
    if (!Object.hasOwn(body, alias)) continue;
    if (Object.hasOwn(body, canonical)) {
      throw new ValidationError(`${alias} and ${canonical} are the same field (${alias} is its alias); give only one of them`, alias, { fields: [alias, canonical] });
    }
    define(body, canonical, body[alias]);
    delete body[alias];
    sent.set(canonical, alias);
  }
  if (Object.hasOwn(body, "credentials")) {
    const credentials = body.credentials;
    delete body.credentials;
    const configName = sent.get("connection_config") ?? "connection_config";
    if (!isObject(credentials)) throw new ValidationError(`credentials must be an object (its fields are merged into ${configName})`, "credentials");
    const config = body.connection_config;
    if (config !== undefined && !isObject(config)) throw new ValidationError(`${configName} must be an object`, configName);
    const merged: Record<string, unknown> = { ...config };
    for (const [key, value] of Object.entries(credentials)) {
      if (Object.hasOwn(merged, key)) {
        throw new ValidationError(`${key} is given in both ${configName} and credentials; give it once`, `credentials.${key}`, { fields: [`${configName}.${key}`, `credentials.${key}`] });
      }
      define(merged, key, value);
      sent.set(`connection_config.${key}`, `credentials.${key}`);
    }
    body.connection_config = merged;
  }
  if (Object.hasOwn(body, "connector_type")) body.connector_type = canonicalType(body.connector_type);
  return { body, sent };
}

const aliasOf: Record<string, string> = Object.fromEntries(Object.entries(fieldAliases).map(([alias, canonical]) => [canonical, alias]));

/**
 * `error` with its field (and the field's path in its message) as the caller sent it: a
 * `config.host` for a body that said `config`, `credentials.password` for a merged credential.
 * A canonical field that is missing altogether is said to be accepted under its alias too.
 */
export function asSent(error: unknown, sent: Map<string, string>): unknown {
  if (!(error instanceof ValidationError) || error.field === undefined) return error;
  const field = error.field;
  const canonical = [...sent.keys()].filter((path) => field === path || field.startsWith(`${path}.`)).sort((a, b) => b.length - a.length)[0];
  if (canonical !== undefined) {
    const renamed = sent.get(canonical)! + field.slice(canonical.length);
    return new ValidationError(error.message.split(field).join(renamed), renamed, error.details, { cause: error });
  }
  if (aliasOf[field] !== undefined && error.message === `${field} is required`) {
    return new ValidationError(`${field} is required (also accepted as ${aliasOf[field]})`, field, error.details, { cause: error });
  }
  return error;
}

/** Runs `parse` and rewrites its ValidationError with `asSent`. */
export function parsedAsSent<T>(sent: Map<string, string>, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw asSent(error, sent);
  }
}
