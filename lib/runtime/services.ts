// Wiring: builds the core services from a DynamoDB client and a KeyProvider. `runtime/` is the
// only place that picks adapters; the core sees interfaces.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { ApiKeyRepository, type KeyEnvironment } from "../apiKeys/apiKeys.js";
import { ConnectorRepository } from "../connectors/repository.js";
import { ConnectorService } from "../connectors/service.js";
import { EnvelopeCodec } from "../crypto/envelope.js";
import { KeyRing } from "../crypto/keyRing.js";
import type { KeyProvider } from "../crypto/keyProvider/contract.js";
import { KmsKeyProvider } from "../crypto/keyProvider/kms.js";
import { LocalKeyProvider } from "../crypto/keyProvider/local.js";
import { ConfigurationError } from "../errors.js";
import { IngestionRepository } from "../ingest/ingestionRepository.js";
import { IngestService } from "../ingest/ingestService.js";
import { PullScreening } from "../ingest/pullScreening.js";
import { SchemaRegistry } from "../ingest/schemaRegistry.js";
import { WebhookDeliveries } from "../ingest/webhookDeliveries.js";
import { WebhookSecrets } from "../ingest/webhookSecrets.js";
import { testConnection, type ConnectionTester } from "../pull/connectionTest.js";
import type { Scheduler } from "../schedule/contract.js";
import { createCatalogServices, type CatalogServices } from "../catalog/index.js";
import { createEvents, type EventServices } from "../events/index.js";
import type { Dispatcher } from "../dispatch/contract.js";
import { TestLog } from "../health/testLog.js";
import { InProcessDispatcher } from "../dispatch/inProcess.js";
import { PullRunner } from "../pull/runner.js";
import { RunRepository } from "../pull/runRepository.js";
import type { RecordStore } from "../records/contract.js";
import { DynamoRecordStore } from "../records/dynamodb.js";
import { LeaseLock } from "../store/leaseLock.js";
import { createDocumentClient } from "../store/client.js";
import { createOAuth, installOAuthGrants, type OAuthService } from "../oauth/index.js";
import { ConnectorGrants } from "../permissions/grants.js";
import { DynamoRateLimiter } from "../rateLimit/dynamodb.js";
import { InProcessRateLimiter } from "../rateLimit/memory.js";
import type { RateLimiter } from "../rateLimit/contract.js";
import { installNetworkPolicy } from "../net/policy.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";

export interface Services {
  config: Config;
  logger: Logger;
  db: DynamoDBDocumentClient;
  apiKeys: ApiKeyRepository;
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  records: RecordStore;
  runs: RunRepository;
  leases: LeaseLock;
  runner: PullRunner;
  dispatcher: Dispatcher;
  tester: ConnectionTester;
  ingest: IngestService;
  ingestions: IngestionRepository;
  schemas: SchemaRegistry;
  webhookSecrets: WebhookSecrets;
  webhookDeliveries: WebhookDeliveries;
  catalog: CatalogServices;
  /** OAuth 2.0 connections of REST API connectors (authorize, callback, refresh). */
  oauth: OAuthService;
  /** Event webhooks: subscriptions, signed deliveries with retries, the delivery log. */
  events: EventServices;
  /** Per-connector grants to other keys of the tenant. */
  grants: ConnectorGrants;
  /** Request buckets: in this process, or in the control table shared by every container. */
  rateLimiter: RateLimiter;
}

/** KMS when a key id is configured, else the local ring from CONNECTOR_ENCRYPTION_KEY (or the local key file). */
export function keyProviderFor(config: Config, localKeys?: string): KeyProvider {
  if (config.kmsKeyId) return new KmsKeyProvider({ client: new KMSClient({ region: config.region }), keyId: config.kmsKeyId });
  const keys = localKeys ?? config.encryptionKeys;
  if (!keys) throw new ConfigurationError("no master key: set CONNECTOR_ENCRYPTION_KEY or KMS_KEY_ID");
  return new LocalKeyProvider(KeyRing.parse(keys));
}

export function createServices(input: {
  config: Config;
  logger: Logger;
  dynamo: DynamoDBClient;
  keyProvider: KeyProvider;
  keyEnvironment: KeyEnvironment;
  tester?: ConnectionTester;
  /** How begun pulls and syncs are executed; in this process unless given. */
  dispatcher?: Dispatcher;
  /** Where connector schedules live (EventBridge Scheduler, in-process); none unless given. */
  scheduler?: Scheduler;
  /** The data plane; the DynamoDB records table unless given (the local runtime gives SQLite). */
  records?: RecordStore;
}): Services {
  const { config, logger } = input;
  // Every user-given host (database, REST, OAuth, webhook) is checked against this policy.
  installNetworkPolicy({ allowPrivate: config.allowPrivateNetworks, ...(config.dnsServers ? { dnsServers: config.dnsServers } : {}) });
  const db = createDocumentClient(input.dynamo);
  const table = config.controlTable;
  const connectorRepository = new ConnectorRepository(db, table);
  const tester = input.tester ?? testConnection;
  const tests = new TestLog(db, table);
  const grants = new ConnectorGrants(db, table);
  // The runner needs the service and the service asks the runner: the closure is only called
  // after both exist.
  const connectors: ConnectorService = new ConnectorService({
    repository: connectorRepository,
    envelopes: new EnvelopeCodec(input.keyProvider),
    tester,
    settleInterrupted: (tenant: string, id: string): Promise<boolean> => runner.settleInterrupted(tenant, id),
    scheduler: input.scheduler,
    testLog: tests,
    onDeleted: async (tenant: string, id: string): Promise<void> => {
      await catalog.entries.markConnectorRemoved(tenant, id, new Date().toISOString());
      // The connector is gone already: grants left over are harmless (ids are never reused).
      await grants.removeConnector(tenant, id).catch((error: unknown) => logger.warn("could not remove a deleted connector's grants", { connector_id: id, error: (error as Error)?.message }));
    },
  });
  const records = input.records ?? new DynamoRecordStore(db, config.recordsTable, { shards: config.recordShards });
  const runs = new RunRepository(db, table);
  const leases = new LeaseLock(db, table, { ttlMs: config.pullLeaseTtlMs });
  const schemas = new SchemaRegistry(db, table);
  const ingestions = new IngestionRepository(db, table, config.deadLetterRetentionDays);
  const screening = new PullScreening(schemas, ingestions);
  const dispatcher = input.dispatcher ?? new InProcessDispatcher();
  const events = createEvents({
    db, table, envelopes: new EnvelopeCodec(input.keyProvider), logger, dispatcher, runtime: config.runtime, retentionDays: config.eventLogRetentionDays,
    policy: { timeoutMs: config.eventDeliveryTimeoutMs, retryBaseMs: config.eventRetryBaseMs, maxAttempts: config.eventMaxAttempts },
  });
  const runner: PullRunner = new PullRunner({
    connectors, connectorRepository, runs, records, leases, logger, screening, dispatcher, eventPublisher: events.publisher,
    overlapMs: config.pullOverlapMs,
    limits: { maxInvocations: config.pullMaxInvocations, deadlineMarginMs: config.pullDeadlineMarginMs, checkpointIntervalMs: config.pullCheckpointIntervalMs, claimTtlMs: config.pullLeaseTtlMs },
  });
  const ingest = new IngestService({
    records,
    ingestions,
    schemas,
    limits: { maxRecords: config.ingestMaxRecords, streamBatchSize: config.ingestStreamBatchSize, streamMaxInFlight: config.ingestStreamMaxInFlight },
  });
  const webhookSecrets = new WebhookSecrets(db, table, new EnvelopeCodec(input.keyProvider), config.webhookSecret);
  const oauth = createOAuth({
    db, table, providers: config.oauthProviders, stateTtlSeconds: config.oauthStateTtlSeconds, connectors, connectorRepository, logger,
    apiKeys: new ApiKeyRepository(db, table, input.keyEnvironment),
  });
  // The REST source renews authorization-code tokens through this process's services.
  installOAuthGrants(oauth.renewal);
  const catalog = createCatalogServices({ db, table, connectors, connectorRepository, runs, tests, leases, logger, sampleSize: config.catalogSampleSize, eventPublisher: events.publisher });
  return {
    config,
    logger,
    db,
    dispatcher,
    apiKeys: new ApiKeyRepository(db, table, input.keyEnvironment),
    connectors,
    connectorRepository,
    records,
    runs,
    leases,
    runner,
    tester,
    ingest,
    ingestions,
    schemas,
    webhookSecrets,
    webhookDeliveries: new WebhookDeliveries(db, table, config.webhookReplayRetentionSeconds),
    catalog,
    oauth: oauth.service,
    events,
    grants,
    rateLimiter: config.rateLimitStore === "dynamodb" ? new DynamoRateLimiter(db, table) : new InProcessRateLimiter(),
  };
}
