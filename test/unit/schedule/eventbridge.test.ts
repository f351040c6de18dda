import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import type { ScheduledConnector } from "../../../lib/schedule/contract.js";
import { CronError, SchedulerError } from "../../../lib/schedule/errors.js";
import { EventBridgeScheduler } from "../../../lib/schedule/eventbridge.js";
import { scheduleName } from "../../../lib/schedule/scheduleName.js";

const mock = mockClient(SchedulerClient);
const GROUP = "sluice-pulls";
const TARGET = "arn:aws:lambda:eu-central-1:123456789012:function:sluice-pull";
const ROLE = "arn:aws:iam::123456789012:role/sluice-scheduler";

const connector: ScheduledConnector = {
  tenant: "acme",
  connectorId: "orders-db",
  schedule: "0 2 * * *",
  timezone: "Europe/Berlin",
  enabled: true,
};

const NAME = scheduleName("acme", "orders-db");

function definition(state: "ENABLED" | "DISABLED" = "ENABLED") {
  return {
    Name: NAME,
    GroupName: GROUP,
    ScheduleExpression: "cron(0 2 * * ? *)",
    ScheduleExpressionTimezone: "Europe/Berlin",
    State: state,
    FlexibleTimeWindow: { Mode: "OFF" },
    Target: {
      Arn: TARGET,
      RoleArn: ROLE,
      Input: JSON.stringify({ tenant: "acme", connector_id: "orders-db" }),
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
    },
    ActionAfterCompletion: "NONE",
    Description: "Scheduled pull of connector orders-db for tenant acme",
  };
}

function scheduler(extra: { maxRetryAttempts?: number; maxEventAgeSeconds?: number } = {}) {
  return new EventBridgeScheduler({
    client: new SchedulerClient({ region: "eu-central-1" }),
    groupName: GROUP,
    targetArn: TARGET,
    roleArn: ROLE,
    ...extra,
  });
}

const notFound = () => new ResourceNotFoundException({ message: "Schedule not found", Message: "Schedule not found", $metadata: {} });
const accessDenied = () =>
  new SchedulerServiceException({
    name: "AccessDeniedException",
    message: "not authorized to perform scheduler:UpdateSchedule",
    $fault: "client",
    $metadata: {},
  });

beforeEach(() => {
  mock.reset();
});

describe("EventBridgeScheduler.upsert", () => {
  it("updates an existing schedule with the full definition", async () => {
    mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: "arn" });
    await scheduler().upsert(connector);
    expect(mock).toHaveReceivedCommandTimes(UpdateScheduleCommand, 1);
    expect(mock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toStrictEqual(definition());
    expect(mock).not.toHaveReceivedCommand(CreateScheduleCommand);
  });

  it("creates the schedule when there is none yet", async () => {
    mock.on(UpdateScheduleCommand).rejects(notFound());
    mock.on(CreateScheduleCommand).resolves({ ScheduleArn: "arn" });
    await scheduler().upsert(connector);
    expect(mock).toHaveReceivedCommandTimes(CreateScheduleCommand, 1);
    expect(mock.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toStrictEqual(definition());
  });

  it("updates after all when a concurrent upsert created it first", async () => {
    mock.on(UpdateScheduleCommand).rejectsOnce(notFound()).resolves({ ScheduleArn: "arn" });
    mock.on(CreateScheduleCommand).rejects(new ConflictException({ message: "exists", Message: "exists", $metadata: {} }));
    await scheduler().upsert(connector);
    expect(mock).toHaveReceivedCommandTimes(UpdateScheduleCommand, 2);
    const sent = mock.calls().map((call) => call.args[0].constructor.name);
    expect(sent).toEqual(["UpdateScheduleCommand", "CreateScheduleCommand", "UpdateScheduleCommand"]);
    expect(mock.commandCalls(UpdateScheduleCommand)[1]?.args[0].input).toStrictEqual(definition());
  });

  it("pauses a disabled connector's schedule", async () => {
    mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: "arn" });
    await scheduler().upsert({ ...connector, enabled: false });
    expect(mock.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toStrictEqual(definition("DISABLED"));
  });

  it("passes the retry policy it was given", async () => {
    mock.on(UpdateScheduleCommand).resolves({ ScheduleArn: "arn" });
    await scheduler({ maxRetryAttempts: 0, maxEventAgeSeconds: 300 }).upsert(connector);
    expect(mock).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Target: expect.objectContaining({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 } }),
    });
  });

  it("surfaces AccessDenied as a SchedulerError carrying the cause", async () => {
    const denied = accessDenied();
    mock.on(UpdateScheduleCommand).rejects(denied);
    const error = await scheduler().upsert(connector).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error).toMatchObject({
      name: "SchedulerError",
      operation: "upsert",
      tenant: "acme",
      connectorId: "orders-db",
      scheduleName: NAME,
      cause: denied,
    });
    expect(mock).not.toHaveReceivedCommand(CreateScheduleCommand);
  });

  it("refuses an invalid expression with a CronError before calling AWS", async () => {
    await expect(scheduler().upsert({ ...connector, schedule: "0 2 * *" })).rejects.toBeInstanceOf(CronError);
    expect(mock).not.toHaveReceivedAnyCommand();
  });
});

describe("EventBridgeScheduler.remove", () => {
  it("deletes the schedule by name and group", async () => {
    mock.on(DeleteScheduleCommand).resolves({});
    await scheduler().remove("acme", "orders-db");
    expect(mock).toHaveReceivedCommandTimes(DeleteScheduleCommand, 1);
    expect(mock.commandCalls(DeleteScheduleCommand)[0]?.args[0].input).toStrictEqual({ Name: NAME, GroupName: GROUP });
  });

  it("treats a schedule already gone as removed", async () => {
    mock.on(DeleteScheduleCommand).rejects(notFound());
    await expect(scheduler().remove("acme", "orders-db")).resolves.toBeUndefined();
  });

  it("surfaces other failures as a SchedulerError", async () => {
    mock.on(DeleteScheduleCommand).rejects(accessDenied());
    await expect(scheduler().remove("acme", "orders-db")).rejects.toMatchObject({
      name: "SchedulerError",
      operation: "remove",
      scheduleName: NAME,
    });
  });
});
