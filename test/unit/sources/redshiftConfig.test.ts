import { describe, expect, it } from "vitest";
import { columnType } from "../../../lib/sources/redshiftCatalog.js";
import { redshiftConfig, redshiftVersion } from "../../../lib/sources/redshift.js";

describe("Redshift's defaults", () => {
  it("port 5439 and ssl_mode require where the config says nothing", () => {
    expect(redshiftConfig({ host: "cluster.example", database: "dev" })).toEqual({ host: "cluster.example", database: "dev", port: 5439, ssl_mode: "require" });
  });

  it("keeps what the config says", () => {
    expect(redshiftConfig({ host: "h", database: "d", port: 5432, ssl_mode: "disable" })).toEqual({ host: "h", database: "d", port: 5432, ssl_mode: "disable" });
  });

  it("puts the port into a DSN without one, and leaves a DSN's own port and sslmode alone", () => {
    expect(redshiftConfig({ dsn: "postgresql://u:p@cluster.example/dev" })).toEqual({ dsn: "postgresql://u:p@cluster.example:5439/dev", ssl_mode: "require" });
    expect(redshiftConfig({ dsn: "postgresql://cluster.example" })).toEqual({ dsn: "postgresql://cluster.example:5439", ssl_mode: "require" });
    expect(redshiftConfig({ dsn: "postgresql://u:p@[::1]/dev?sslmode=verify-full" })).toEqual({ dsn: "postgresql://u:p@[::1]:5439/dev?sslmode=verify-full" });
    expect(redshiftConfig({ dsn: "postgresql://u:p@h:5440/dev", ssl_mode: "prefer" })).toEqual({ dsn: "postgresql://u:p@h:5440/dev", ssl_mode: "prefer" });
  });
});

describe("Redshift's catalog", () => {
  it("tells Redshift by its version()", () => {
    expect(redshiftVersion("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), Redshift 1.0.77467")).toBe("Redshift 1.0.77467");
    expect(redshiftVersion("PostgreSQL 16.4 on x86_64-pc-linux-gnu")).toBeUndefined();
  });

  it("writes svv_columns' types as format_type does", () => {
    expect(columnType({ type: "character varying", length: 256, precision: null, scale: null })).toBe("character varying(256)");
    expect(columnType({ type: "numeric", length: null, precision: 12, scale: 2 })).toBe("numeric(12,2)");
    expect(columnType({ type: "integer", length: null, precision: 32, scale: 0 })).toBe("integer");
  });
});
