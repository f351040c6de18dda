// The run record's checkpoint write on dynalite and on DynamoDB Local: it adds a partition's
// counts to the run's totals, so one that landed but whose answer was lost (the SDK sends it
// again) must be found applied rather than added twice; another worker's claim still refuses it.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { ClaimLostError, RunRepository, type Checkpoint } from "../../lib/pull/runRepository.js";
import type { RunRecord } from "../../lib/pull/types.js";
import { dynamoEngines, useDynamoEngine } from "../support/engines.js";

const counts = (pulled: number) => ({ records_pulled: pulled, records_uploaded: pulled, duplicates_skipped: 0, records_rejected: 0 });

describe.each(dynamoEngines)("run checkpoints on $name", (engine) => {
  let runs: RunRepository;
  const tables = { control: `control-checkpoints-${engine.name}`, records: `records-checkpoints-${engine.name}` };
  const handle = useDynamoEngine(engine, tables);
  beforeAll(() => {
    runs = new RunRepository(handle.db as DynamoDBDocumentClient, tables.control);
  });

  async function claimedRun(runId: string, token: string): Promise<void> {
    const run: RunRecord = {
      run_id: runId, connector_id: "conn_1", tenant: "t1", trigger: "manual", status: "running",
      records_pulled: 0, records_uploaded: 0, duplicates_skipped: 0, records_rejected: 0,
      started_at: new Date().toISOString(), completed_at: null, duration_seconds: null, last_pull: null, error: null,
    };
    await runs.save(run);
    const partitions = { "0": { range: {}, status: "pending" as const, chunks_done: 0, attempts: 0, ...counts(0) } };
    await runs.plan("t1", runId, { partitions, ordered: true, records_estimate: null }, 1);
    expect(await runs.claimPartition("t1", runId, "0", { token, now: Date.now(), until: Date.now() + 60_000 })).toBeDefined();
  }

  it("adds each checkpoint once, even when the same write is sent again", async () => {
    await claimedRun("run_twice", "task_a");
    const first: Checkpoint = { position: 500, counts: counts(500), delta: counts(500), chunks: 5, claimedUntil: Date.now() + 60_000 };
    await runs.checkpoint("t1", "run_twice", "0", "task_a", first);
    await runs.checkpoint("t1", "run_twice", "0", "task_a", first); // a retry of a write that landed
    const second: Checkpoint = { position: 800, counts: counts(800), delta: counts(300), chunks: 3, claimedUntil: Date.now() + 60_000 };
    await runs.checkpoint("t1", "run_twice", "0", "task_a", second);
    const run = await runs.get("t1", "run_twice");
    expect(run).toMatchObject({ records_pulled: 800, records_uploaded: 800, chunks_done: 8 });
    expect(run.partitions!["0"]).toMatchObject({ records_pulled: 800, chunks_done: 8, position: 800 });
  });

  it("refuses a checkpoint of a task that lost its claim, and one that skips ahead of the stored counts", async () => {
    await claimedRun("run_lost", "task_a");
    const at: Checkpoint = { position: 100, counts: counts(100), delta: counts(100), chunks: 1, claimedUntil: Date.now() + 60_000 };
    await expect(runs.checkpoint("t1", "run_lost", "0", "task_b", at)).rejects.toBeInstanceOf(ClaimLostError);
    const ahead: Checkpoint = { position: 300, counts: counts(300), delta: counts(100), chunks: 1, claimedUntil: Date.now() + 60_000 };
    await expect(runs.checkpoint("t1", "run_lost", "0", "task_a", ahead)).rejects.toBeInstanceOf(ClaimLostError);
    expect(await runs.get("t1", "run_lost")).toMatchObject({ records_pulled: 0, chunks_done: 0 });
  });
});
