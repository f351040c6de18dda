// The Scheduler on AWS: one EventBridge Scheduler schedule per connector, in one group, whose
// target is the pull worker Lambda invoked with a ScheduledPullEvent.

import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import type { ScheduledConnector, ScheduledPullEvent, Scheduler } from "./contract.js";
import { toEventBridgeCron } from "./cron.js";
import { SchedulerError } from "./errors.js";
import { scheduleName } from "./scheduleName.js";

export interface EventBridgeSchedulerOptions {
  client: SchedulerClient;
  groupName: string;
  /** The pull worker Lambda. */
  targetArn: string;
  /** Role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  /** Default 2. */
  maxRetryAttempts?: number;
  /** Default 3600. */
  maxEventAgeSeconds?: number;
}

// EventBridge Scheduler refuses longer descriptions.
const MAX_DESCRIPTION = 512;

export class EventBridgeScheduler implements Scheduler {
  private readonly opts: Required<EventBridgeSchedulerOptions>;

  constructor(opts: EventBridgeSchedulerOptions) {
    this.opts = { maxRetryAttempts: 2, maxEventAgeSeconds: 3600, ...opts };
  }

  // Update first, create when missing: UpdateSchedule replaces the whole definition, so editing
  // an existing connector (the usual case after the first save) costs one call, and
  // ResourceNotFoundException is an unambiguous "create it" where Create's ConflictException
  // also covers concurrent modification. Two first upserts racing both reach Create; the
  // loser's ConflictException means the schedule now exists, so it updates once more.
  async upsert(connector: ScheduledConnector): Promise<void> {
    // Outside the try: an invalid expression is a CronError for the caller, not a backend failure.
    const input = this.definition(connector);
    const { tenant, connectorId } = connector;
    try {
      try {
        await this.opts.client.send(new UpdateScheduleCommand(input));
      } catch (error) {
        if (!isNamed(error, "ResourceNotFoundException")) throw error;
        try {
          await this.opts.client.send(new CreateScheduleCommand(input));
        } catch (createError) {
          if (!isNamed(createError, "ConflictException")) throw createError;
          await this.opts.client.send(new UpdateScheduleCommand(input));
        }
      }
    } catch (error) {
      throw new SchedulerError(
        `could not save the schedule of connector ${connectorId} (tenant ${tenant}): ${messageOf(error)}`,
        { operation: "upsert", tenant, connectorId, scheduleName: input.Name },
        { cause: error },
      );
    }
  }

  async remove(tenant: string, connectorId: string): Promise<void> {
    const name = scheduleName(tenant, connectorId);
    try {
      await this.opts.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.opts.groupName }));
    } catch (error) {
      if (isNamed(error, "ResourceNotFoundException")) return;
      throw new SchedulerError(
        `could not remove the schedule of connector ${connectorId} (tenant ${tenant}): ${messageOf(error)}`,
        { operation: "remove", tenant, connectorId, scheduleName: name },
        { cause: error },
      );
    }
  }

  private definition(connector: ScheduledConnector): CreateScheduleCommandInput & { Name: string } {
    const { tenant, connectorId, schedule, timezone, enabled } = connector;
    const event: ScheduledPullEvent = { tenant, connector_id: connectorId };
    return {
      Name: scheduleName(tenant, connectorId),
      GroupName: this.opts.groupName,
      ScheduleExpression: toEventBridgeCron(schedule),
      ScheduleExpressionTimezone: timezone,
      State: enabled ? "ENABLED" : "DISABLED",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: this.opts.targetArn,
        RoleArn: this.opts.roleArn,
        Input: JSON.stringify(event),
        RetryPolicy: {
          MaximumRetryAttempts: this.opts.maxRetryAttempts,
          MaximumEventAgeInSeconds: this.opts.maxEventAgeSeconds,
        },
      },
      ActionAfterCompletion: "NONE",
      Description: `Scheduled pull of connector ${connectorId} for tenant ${tenant}`.slice(0, MAX_DESCRIPTION),
    };
  }
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
