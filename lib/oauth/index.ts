// OAuth 2.0 connections for REST API connectors: the authorization-code flow with PKCE
// (service.ts), token renewal for pulls and tests (renewal.ts, installed for the REST source
// through contract.ts), and the client-credentials grant (used by the source itself).
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ApiKeyRepository } from "../apiKeys/apiKeys.js";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import type { Logger } from "../runtime/logger.js";
import { OAuthGrantStore } from "./grantStore.js";
import type { OAuthProviders } from "./providers.js";
import { OAuthRenewal } from "./renewal.js";
import { OAuthService } from "./service.js";
import { OAuthStateStore } from "./stateStore.js";

export { installOAuthGrants } from "./contract.js";
export { OAuthService } from "./service.js";

export function createOAuth(deps: {
  db: DynamoDBDocumentClient;
  table: string;
  providers: OAuthProviders;
  stateTtlSeconds: number;
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  apiKeys: ApiKeyRepository;
  logger: Logger;
}): { service: OAuthService; renewal: OAuthRenewal } {
  const { db, table, providers, connectors, connectorRepository, logger } = deps;
  const grants = new OAuthGrantStore(db, table);
  const renewal = new OAuthRenewal({ providers, grants, connectors, connectorRepository, logger });
  const service = new OAuthService({
    providers, states: new OAuthStateStore(db, table), grants, renewal, connectors, connectorRepository,
    apiKeys: deps.apiKeys, stateTtlSeconds: deps.stateTtlSeconds, logger,
  });
  return { service, renewal };
}
