// Run records (sync history) in the control table: pk TENANT#<t>, sk RUN#<run_id>; GSI1 lists a
// connector's runs newest first (run ids are ULIDs, so they sort by start time).
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../errors.js";
import { isConditionalCheckFailed } from "../store/client.js";
import { decodePageCursor, encodeCursor, type Page } from "../store/cursor.js";
import { GSI1, withoutStorage } from "../store/tables.js";
import { RUN_COUNTS, type PartitionState, type RunCounts, type RunError, type RunRecord } from "./types.js";

/** A partition's claim was taken over, or the run was settled meanwhile: this worker stops. */
export class ClaimLostError extends Error {
  constructor(runId: string, partition: string) {
    super(`partition ${partition} of run ${runId} is no longer this worker's (claim taken over, or the run was settled)`);
    this.name = "ClaimLostError";
  }
}

/** What a run's plan sets once: its partitions, whether it reads in key order, its estimate. */
export interface RunPlan {
  partitions: Record<string, PartitionState>;
  ordered: boolean;
  records_estimate: number | null;
}

/** A stored batch: the partition's new position and absolute counts, and what they add to the run's totals. */
export interface Checkpoint {
  position?: PartitionState["position"];
  counts: RunCounts;
  delta: RunCounts;
  /** Batches stored since the previous checkpoint. */
  chunks: number;
  claimedUntil: number;
}

const partition = (tenant: string) => `TENANT#${tenant}`;
const historyKey = (tenant: string, connectorId: string) => `TENANT#${tenant}#RUNS#${connectorId}`;

const strip = (item: Record<string, unknown>) => withoutStorage<RunRecord>(item);

export class RunRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the whole run (runs are written by their one pull, so last write wins). */
  async save(run: RunRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: partition(run.tenant),
          sk: `RUN#${run.run_id}`,
          gsi1pk: historyKey(run.tenant, run.connector_id),
          gsi1sk: run.run_id,
          ...run,
        },
      }),
    );
  }

  /** Notes when a worker first took the run (kept on later deliveries); the run as stored. */
  async markWorkerStarted(tenant: string, runId: string, at: string): Promise<RunRecord> {
    const { Attributes } = await this.update(tenant, runId, {
      UpdateExpression: "SET worker_started_at = if_not_exists(worker_started_at, :at)",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":at": at },
      ReturnValues: "ALL_NEW",
    }).catch((error: unknown) => {
      if (isConditionalCheckFailed(error)) throw new NotFoundError("run", runId);
      throw error;
    });
    return strip(Attributes!);
  }

  /**
   * Stores the plan once, while the run is running; a second planner (a repeated delivery) gets
   * the run with the plan already made. Undefined when the run is no longer running.
   */
  async plan(tenant: string, runId: string, plan: RunPlan, invocations: number): Promise<RunRecord | undefined> {
    try {
      const { Attributes } = await this.update(tenant, runId, {
        UpdateExpression: "SET #parts = :p, ordered = :o, records_estimate = :e, chunks_done = :zero, invocations = :inv",
        ConditionExpression: "#status = :running AND attribute_not_exists(#parts)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":p": plan.partitions, ":o": plan.ordered, ":e": plan.records_estimate, ":zero": 0, ":inv": invocations, ":running": "running" },
        ReturnValues: "ALL_NEW",
      });
      return strip(Attributes!);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const run = await this.get(tenant, runId);
      return run.status === "running" ? run : undefined;
    }
  }

  /**
   * Takes partition `p` for `token` until `until` (epoch ms): only while the run runs, the
   * partition is unfinished, and nobody else's claim is live (`force` ignores one: a restarted
   * single process whose predecessor died). The run as stored, or undefined when not taken.
   */
  async claimPartition(tenant: string, runId: string, p: string, claim: { token: string; now: number; until: number; force?: boolean }): Promise<RunRecord | undefined> {
    const free = claim.force ? "" : " AND (attribute_not_exists(#parts.#p.claimed_until) OR #parts.#p.claimed_until < :now OR #parts.#p.claimed_by = :token)";
    try {
      const { Attributes } = await this.update(tenant, runId, {
        UpdateExpression: "SET #parts.#p.claimed_by = :token, #parts.#p.claimed_until = :until, #parts.#p.#st = :running",
        ConditionExpression: `#status = :running AND #parts.#p.#st IN (:pending, :running)${free}`,
        ExpressionAttributeNames: { "#status": "status", "#p": p, "#st": "status" },
        ExpressionAttributeValues: { ":token": claim.token, ":until": claim.until, ":running": "running", ":pending": "pending", ...(claim.force ? {} : { ":now": claim.now }) },
        ReturnValues: "ALL_NEW",
      });
      return strip(Attributes!);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * After batches are stored: the partition's position and counts, and the run's totals and
   * chunks, in one conditional write, so the totals are always the sum of the partitions'. The
   * write adds to the totals, so it is conditional on the partition's count before it too: an
   * SDK retry of a write that did land (its answer lost) is found applied, not added twice.
   */
  async checkpoint(tenant: string, runId: string, p: string, token: string, at: Checkpoint): Promise<void> {
    const names: Record<string, string> = { "#status": "status", "#p": p };
    const before = at.counts.records_pulled - at.delta.records_pulled;
    const values: Record<string, unknown> = { ":token": token, ":running": "running", ":until": at.claimedUntil, ":chunks": at.chunks, ":before": before };
    const sets = ["#parts.#p.claimed_until = :until", "#parts.#p.chunks_done = #parts.#p.chunks_done + :chunks", "chunks_done = chunks_done + :chunks"];
    for (const count of RUN_COUNTS) {
      sets.push(`#parts.#p.${count} = :abs_${count}`, `${count} = ${count} + :d_${count}`);
      values[`:abs_${count}`] = at.counts[count];
      values[`:d_${count}`] = at.delta[count];
    }
    if (at.position !== undefined) {
      sets.push("#parts.#p.#pos = :pos");
      names["#pos"] = "position";
      values[":pos"] = at.position;
    }
    try {
      await this.claimed(runId, p, {
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: "#status = :running AND #parts.#p.claimed_by = :token AND #parts.#p.records_pulled = :before",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }, tenant);
    } catch (error) {
      if (!(error instanceof ClaimLostError)) throw error;
      const state = (await this.get(tenant, runId)).partitions?.[p];
      const applied = state?.claimed_by === token && state.records_pulled === at.counts.records_pulled;
      if (!applied) throw error;
    }
  }

  /** Starts an unordered partition over: its counts leave the run's totals (its rows are read again). */
  async restartPartition(tenant: string, runId: string, p: string, token: string, state: PartitionState): Promise<void> {
    const values: Record<string, unknown> = { ":token": token, ":running": "running", ":zero": 0, ":chunks": state.chunks_done };
    const sets = ["#parts.#p.chunks_done = :zero", "chunks_done = chunks_done - :chunks"];
    for (const count of RUN_COUNTS) {
      sets.push(`#parts.#p.${count} = :zero`, `${count} = ${count} - :old_${count}`);
      values[`:old_${count}`] = state[count];
    }
    await this.claimed(runId, p, {
      UpdateExpression: `SET ${sets.join(", ")} REMOVE #parts.#p.#pos`,
      ConditionExpression: "#status = :running AND #parts.#p.claimed_by = :token",
      ExpressionAttributeNames: { "#status": "status", "#p": p, "#pos": "position" },
      ExpressionAttributeValues: values,
    }, tenant);
  }

  /** Gives a claim up (a worker stopping at its deadline); the partition stays unfinished. */
  async releasePartition(tenant: string, runId: string, p: string, token: string): Promise<void> {
    await this.claimed(runId, p, {
      UpdateExpression: "SET #parts.#p.claimed_until = :zero, #parts.#p.claimed_by = :none",
      ConditionExpression: "#parts.#p.claimed_by = :token",
      ExpressionAttributeNames: { "#p": p },
      ExpressionAttributeValues: { ":token": token, ":zero": 0, ":none": null },
    }, tenant).catch((error: unknown) => {
      if (!(error instanceof ClaimLostError)) throw error;
    });
  }

  /** Ends partition `p` (completed, or failed with its error); the run as stored after. */
  async endPartition(tenant: string, runId: string, p: string, token: string, status: "completed" | "failed", error: RunError | null = null): Promise<RunRecord> {
    const { Attributes } = await this.claimed(runId, p, {
      UpdateExpression: "SET #parts.#p.#st = :status, #parts.#p.claimed_until = :zero, #parts.#p.#err = :error",
      ConditionExpression: "#status = :running AND #parts.#p.claimed_by = :token",
      ExpressionAttributeNames: { "#status": "status", "#p": p, "#st": "status", "#err": "error" },
      ExpressionAttributeValues: { ":token": token, ":running": "running", ":status": status, ":zero": 0, ":error": error },
      ReturnValues: "ALL_NEW",
    }, tenant);
    return strip(Attributes!);
  }

  /** Counts a failed try of partition `p` (it is retried from its checkpoint). */
  async countAttempt(tenant: string, runId: string, p: string, token: string): Promise<void> {
    await this.claimed(runId, p, {
      UpdateExpression: "SET #parts.#p.attempts = #parts.#p.attempts + :one",
      ConditionExpression: "#status = :running AND #parts.#p.claimed_by = :token",
      ExpressionAttributeNames: { "#status": "status", "#p": p },
      ExpressionAttributeValues: { ":token": token, ":running": "running", ":one": 1 },
    }, tenant);
  }

  /** Counts one more worker invocation of the run; the new count. */
  async countInvocation(tenant: string, runId: string): Promise<number> {
    const { Attributes } = await this.update(tenant, runId, {
      UpdateExpression: "SET invocations = if_not_exists(invocations, :zero) + :one",
      ExpressionAttributeValues: { ":zero": 0, ":one": 1 },
      ReturnValues: "UPDATED_NEW",
    });
    return Attributes!.invocations as number;
  }

  /** Counts a resume of an interrupted run. */
  async countResume(tenant: string, runId: string): Promise<void> {
    await this.update(tenant, runId, {
      UpdateExpression: "SET resumes = if_not_exists(resumes, :zero) + :one",
      ExpressionAttributeValues: { ":zero": 0, ":one": 1 },
    });
  }

  /**
   * Ends a running run (completed, failed), once: true when this call ended it, false when it
   * had ended already. The counts stay as the checkpoints left them.
   */
  async settle(tenant: string, runId: string, end: { status: "completed" | "failed"; completed_at: string; duration_seconds: number; error: RunError | null }): Promise<boolean> {
    try {
      await this.update(tenant, runId, {
        UpdateExpression: "SET #status = :status, completed_at = :at, duration_seconds = :d, #err = :error",
        ConditionExpression: "#status = :running",
        ExpressionAttributeNames: { "#status": "status", "#err": "error" },
        ExpressionAttributeValues: { ":status": end.status, ":at": end.completed_at, ":d": end.duration_seconds, ":error": end.error, ":running": "running" },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  // `partitions` is a reserved word in DynamoDB expressions: every expression names it #parts.
  private update(tenant: string, runId: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName" | "Key">) {
    const uses = `${input.UpdateExpression ?? ""} ${input.ConditionExpression ?? ""}`.includes("#parts");
    const names = uses ? { ...input.ExpressionAttributeNames, "#parts": "partitions" } : input.ExpressionAttributeNames;
    return this.db.send(new UpdateCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: `RUN#${runId}` }, ...input, ...(names ? { ExpressionAttributeNames: names } : {}) }));
  }

  /** An update conditioned on this worker's claim: ClaimLostError when the condition fails. */
  private async claimed(runId: string, p: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName" | "Key">, tenant: string) {
    try {
      return await this.update(tenant, runId, input);
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ClaimLostError(runId, p);
      throw error;
    }
  }

  async get(tenant: string, runId: string): Promise<RunRecord> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: partition(tenant), sk: `RUN#${runId}` }, ConsistentRead: true }),
    );
    if (!Item) throw new NotFoundError("run", runId);
    return strip(Item);
  }

  async listForConnector(tenant: string, connectorId: string, page: { limit: number; cursor?: string }): Promise<Page<RunRecord>> {
    const key = historyKey(tenant, connectorId);
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: "gsi1pk = :pk",
        ExpressionAttributeValues: { ":pk": key },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: decodePageCursor(page.cursor, { pk: partition(tenant), prefix: "RUN#", gsi1pk: key }),
      }),
    );
    return { items: (result.Items ?? []).map(strip), next_cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
