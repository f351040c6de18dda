// Amazon Redshift: PostgreSQL's wire protocol, so the PostgreSQL source with Redshift's defaults
// (port 5439, TLS required unless ssl_mode says otherwise) and, on a server that is Redshift,
// discovery through Redshift's system views (redshiftCatalog.ts) instead of pg_catalog's.
import type pg from "pg";
import type { ConnectionConfig } from "../connectors/types.js";
import type { CatalogEntry, CheckResult, SourceOptions } from "./contract.js";
import { classifyPostgresError, PostgresSource } from "./postgres.js";

export const REDSHIFT_PORT = 5439;

/** A DSN's authority without a port gets Redshift's; `scheme://[userinfo@]host` then `:5439`. */
function withDefaultPort(dsn: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/(?:[^/?#]*@)?(?:\[[^\]]*\]|[^/?#:@]*))(:\d*)?/i.exec(dsn);
  if (!match || match[2]) return dsn;
  return `${match[1]}:${REDSHIFT_PORT}${dsn.slice(match[1]!.length)}`;
}

/** The config with Redshift's defaults where it leaves port and TLS unsaid. */
export function redshiftConfig(config: ConnectionConfig): ConnectionConfig {
  const dsn = typeof config.dsn === "string" ? config.dsn : undefined;
  // A DSN's own sslmode is its say on TLS, as for PostgreSQL.
  const tlsSaid = config.ssl_mode !== undefined || (dsn !== undefined && /[?&]sslmode=/i.test(dsn));
  return {
    ...config,
    ...(tlsSaid ? {} : { ssl_mode: "require" }),
    ...(dsn !== undefined ? { dsn: withDefaultPort(dsn) } : { port: config.port ?? REDSHIFT_PORT }),
  };
}

/** "PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC …, Redshift 1.0.12103": the Redshift part. */
export function redshiftVersion(version: string): string | undefined {
  return /Redshift [\d.]+/.exec(version)?.[0];
}

export class RedshiftSource extends PostgresSource {
  private version: string | undefined;

  constructor(config: ConnectionConfig, options: SourceOptions) {
    super(redshiftConfig(config), options);
  }

  private async versionText(client: pg.Client): Promise<string> {
    this.version ??= (await client.query<{ version: string }>("SELECT version() AS version")).rows[0]!.version;
    return this.version;
  }

  override async check(): Promise<CheckResult> {
    const result = await super.check();
    try {
      const redshift = redshiftVersion(await this.versionText(await this.connect()));
      return redshift ? { ...result, version: redshift } : result;
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }

  /** Redshift's views on Redshift; a PostgreSQL server (the tests', a proxy's) keeps its own catalog. */
  override async discover(): Promise<CatalogEntry[]> {
    let client: pg.Client;
    let redshift: boolean;
    try {
      client = await this.connect();
      redshift = redshiftVersion(await this.versionText(client)) !== undefined;
    } catch (error) {
      throw classifyPostgresError(error);
    }
    if (!redshift) return super.discover();
    const { discoverRedshift } = await import("./redshiftCatalog.js");
    try {
      return await discoverRedshift(client);
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }
}
