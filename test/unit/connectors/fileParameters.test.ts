// DSN and URI parameters that would make a driver read a file on the service's own disk are a
// 400 on the field, pointing at the PEM fields.
import { describe, expect, it } from "vitest";
import { connectionConfigSchemas } from "../../../lib/connectors/schemas.js";

function issues(schema: keyof typeof connectionConfigSchemas, config: Record<string, unknown>) {
  const result = connectionConfigSchemas[schema].safeParse(config);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

describe("file-reading URI parameters", () => {
  it.each(["sslcert=/etc/passwd", "sslkey=/proc/self/environ", "sslrootcert=/etc/ssl/x.pem", "SSLCRL=/x"])("refuses a PostgreSQL dsn with %s", (param) => {
    const found = issues("postgresql", { dsn: `postgresql://u:p@db.example.com:5432/app?sslmode=verify-full&${param}` });
    expect(found).toEqual([expect.objectContaining({ path: "dsn" })]);
    expect(found[0]!.message).toMatch(/reads a file on the server.*ssl_ca, ssl_cert and ssl_key/);
  });

  it.each(["tlsCAFile=/etc/ssl/ca.pem", "tlsCertificateKeyFile=/k.pem", "tlsCertificateKeyFilePassword=x", "tlsCRLFile=/crl"])("refuses a MongoDB uri with %s", (param) => {
    expect(issues("mongodb", { database: "app", uri: `mongodb://u:p@db.example.com/app?tls=true&${param}` })).toEqual([expect.objectContaining({ path: "uri" })]);
    expect(issues("mongodb", { database: "app", connection_string: `mongodb://db.example.com/?${param}` })).toEqual([expect.objectContaining({ path: "connection_string" })]);
  });

  it("accepts the same URIs without them", () => {
    expect(issues("postgresql", { dsn: "postgresql://u:p@db.example.com:5432/app?sslmode=verify-full&application_name=x" })).toEqual([]);
    expect(issues("mongodb", { database: "app", uri: "mongodb://u:p@db.example.com/app?tls=true&authSource=admin" })).toEqual([]);
  });
});
