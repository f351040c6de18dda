// Wires the catalog: entries, sync history, the sync runner and connector health, from the
// control table and the services they build on.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ConnectorRepository } from "../connectors/repository.js";
import type { ConnectorService } from "../connectors/service.js";
import { HealthService } from "../health/connectorHealth.js";
import type { TestLog } from "../health/testLog.js";
import type { RunRepository } from "../pull/runRepository.js";
import type { Logger } from "../runtime/logger.js";
import type { LeaseLock } from "../store/leaseLock.js";
import { CatalogEntryRepository } from "./entryRepository.js";
import { SyncRepository } from "./syncRepository.js";
import { CatalogSync, type CatalogSyncDeps } from "./syncRunner.js";

export interface CatalogServices {
  entries: CatalogEntryRepository;
  syncs: SyncRepository;
  sync: CatalogSync;
  health: HealthService;
}

export function createCatalogServices(deps: {
  db: DynamoDBDocumentClient;
  table: string;
  connectors: ConnectorService;
  connectorRepository: ConnectorRepository;
  runs: RunRepository;
  tests: TestLog;
  leases: LeaseLock;
  logger: Logger;
  sampleSize: number;
  eventPublisher?: CatalogSyncDeps["eventPublisher"];
}): CatalogServices {
  const entries = new CatalogEntryRepository(deps.db, deps.table);
  const syncs = new SyncRepository(deps.db, deps.table);
  const { connectors, connectorRepository, leases, logger, sampleSize } = deps;
  return {
    entries,
    syncs,
    sync: new CatalogSync({ connectors, connectorRepository, entries, syncs, leases, logger, sampleSize, eventPublisher: deps.eventPublisher }),
    health: new HealthService({ connectors, runs: deps.runs, tests: deps.tests }),
  };
}
