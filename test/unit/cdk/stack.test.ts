// The CDK stack as synthesised: every route reaches its function, tables with PITR and TTL, a
// rotating KMS key, the scheduler wiring, and least privilege (no DynamoDB, KMS, Lambda or IAM
// action on "*", KMS and Scheduler rights only where they are used).
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ROUTES, SluiceStack } from "../../../cdk/stack.js";

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const FUNCTIONS = ["ConnectorsFunction", "PullFunction", "PullWorkerFunction", "IngestFunction", "WebhookFunction"] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const ROUTE_TARGETS: Record<keyof typeof ROUTES, FunctionName> = {
  connectors: "ConnectorsFunction",
  pull: "PullFunction",
  ingest: "IngestFunction",
  webhook: "WebhookFunction",
};

function synth(deletionProtection: boolean): Template {
  const stack = new SluiceStack(new App(), "sluice-test", {
    env: { region: "eu-central-1", account: "123456789012" },
    stage: "test",
    corsOrigins: ["https://app.example.com"],
    deletionProtection,
  });
  return Template.fromStack(stack);
}

let template: Template;
let resources: Record<string, Resource>;
beforeAll(() => {
  template = synth(true);
  resources = template.toJSON().Resources as Record<string, Resource>;
}, 180_000);

/** Logical id of a top-level construct's resource: its id and CDK's 8-digit hash. */
function logicalId(name: string, type: string): string {
  const pattern = new RegExp(`^${name}[0-9A-F]{8}$`);
  const found = Object.entries(resources).filter(([id, r]) => r.Type === type && pattern.test(id));
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0]![0];
}

/** Every statement of the policies attached to a role (by the role's logical id). */
function statementsOfRole(roleId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === "AWS::IAM::Policy" && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
}

function statementsOf(fn: FunctionName): Statement[] {
  const role = resources[logicalId(fn, "AWS::Lambda::Function")]!.Properties.Role as { "Fn::GetAtt": [string, string] };
  return statementsOfRole(role["Fn::GetAtt"][0]);
}

const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
const refersTo = (value: unknown, id: string) => JSON.stringify(value).includes(`"${id}"`);

describe("SluiceStack", () => {
  it("has two on-demand tables with point-in-time recovery, TTL and deletion protection", () => {
    template.resourceCountIs("AWS::DynamoDB::GlobalTable", 2);
    template.allResourcesProperties("AWS::DynamoDB::GlobalTable", {
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it("makes deletion protection a choice", () => {
    const unprotected = synth(false);
    unprotected.allResourcesProperties("AWS::DynamoDB::GlobalTable", {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
    unprotected.allResources("AWS::DynamoDB::GlobalTable", { DeletionPolicy: "Delete" });
    template.allResources("AWS::DynamoDB::GlobalTable", { DeletionPolicy: "Retain" });
  }, 180_000);

  it("has a KMS key with rotation for the envelopes", () => {
    template.resourceCountIs("AWS::KMS::Key", 1);
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("runs every function on Node 22, arm64, ESM bundles, with a log group that expires", () => {
    for (const fn of FUNCTIONS) {
      const props = resources[logicalId(fn, "AWS::Lambda::Function")]!.Properties;
      expect(props.Runtime).toBe("nodejs22.x");
      expect(props.Architectures).toEqual(["arm64"]);
      expect(props.Handler).toBe("index.handler");
      expect(JSON.stringify(props.LoggingConfig)).toContain(`${fn}Logs`);
    }
    template.resourceCountIs("AWS::Logs::LogGroup", FUNCTIONS.length);
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("routes every path to its function", () => {
    const routes = Object.values(resources).filter((r) => r.Type === "AWS::ApiGatewayV2::Route");
    const expected = Object.values(ROUTES).flat();
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...expected].sort());
    for (const [group, routeKeys] of Object.entries(ROUTES) as [keyof typeof ROUTES, readonly string[]][]) {
      const fnId = logicalId(ROUTE_TARGETS[group], "AWS::Lambda::Function");
      for (const routeKey of routeKeys) {
        const route = routes.find((r) => r.Properties.RouteKey === routeKey)!;
        const integrationId = (route.Properties.Target["Fn::Join"][1] as unknown[]).map((part) => (part as { Ref?: string }).Ref).find(Boolean)!;
        expect(refersTo(resources[integrationId]!.Properties.IntegrationUri, fnId), `${routeKey} → ${ROUTE_TARGETS[group]}`).toBe(true);
      }
    }
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", { Name: "sluice-test", CorsConfiguration: Match.objectLike({ AllowOrigins: ["https://app.example.com"] }) });
  });

  it("sends Qarion's space paths to the connectors function, and a pull to the pull function", () => {
    // API Gateway picks the most specific route: a literal segment over {param}, both over {proxy+}.
    const rank = (segment: string) => (segment.endsWith("+}") ? 0 : segment.startsWith("{") ? 1 : 2);
    const matches = (routeKey: string, method: string, path: string) => {
      const [routeMethod, routePath] = routeKey.split(" ") as [string, string];
      if (routeMethod !== "ANY" && routeMethod !== method) return undefined;
      const want = routePath.split("/");
      const got = path.split("/");
      const ranks: number[] = [];
      for (let i = 0; i < want.length; i++) {
        const segment = want[i]!;
        if (segment.endsWith("+}")) return got.length > i ? [...ranks, 0] : undefined;
        if (got[i] === undefined || (rank(segment) === 2 && segment !== got[i])) return undefined;
        ranks.push(rank(segment));
      }
      return got.length === want.length ? ranks : undefined;
    };
    const target = (method: string, path: string) => {
      const candidates = (Object.entries(ROUTES) as [keyof typeof ROUTES, readonly string[]][]).flatMap(([group, keys]) =>
        keys.flatMap((key) => {
          const ranks = matches(key, method, path);
          return ranks ? [{ group, ranks: [...ranks, key.startsWith("ANY ") ? 0 : 1] }] : [];
        }),
      );
      candidates.sort((a, b) => {
        for (let i = 0; i < Math.max(a.ranks.length, b.ranks.length); i++) if ((a.ranks[i] ?? -1) !== (b.ranks[i] ?? -1)) return (b.ranks[i] ?? -1) - (a.ranks[i] ?? -1);
        return 0;
      });
      return candidates[0]?.group;
    };
    const space = "/api/v1/catalog/spaces/marketing-analytics";
    for (const [method, path] of [
      ["GET", `${space}/connectors`],
      ["POST", `${space}/connectors`],
      ["GET", `${space}/connectors/conn_1`],
      ["PATCH", `${space}/connectors/conn_1`],
      ["DELETE", `${space}/connectors/conn_1`],
      ["POST", `${space}/connectors/conn_1/sync`],
      ["GET", `${space}/sync-history`],
      ["POST", `${space}/connectors/conn_1/dbt-manifest`],
      ["GET", "/api/v1/connectors"],
    ] as const) {
      expect(target(method, path), `${method} ${path}`).toBe("connectors");
    }
    expect(target("POST", "/api/v1/connectors/conn_1/pull")).toBe("pull");
    expect(target("POST", "/api/v1/ingest/c/r/batch")).toBe("ingest");
  });

  it("wires each function's environment to the tables, the key, the worker and the schedule group", () => {
    const env = (fn: FunctionName) => resources[logicalId(fn, "AWS::Lambda::Function")]!.Properties.Environment.Variables as Record<string, unknown>;
    const workerId = logicalId("PullWorkerFunction", "AWS::Lambda::Function");
    for (const fn of FUNCTIONS) expect(Object.keys(env(fn))).toEqual(expect.arrayContaining(["CONTROL_TABLE", "RECORDS_TABLE", "KMS_KEY_ID"]));
    for (const fn of ["ConnectorsFunction", "PullFunction"] as const) expect(refersTo(env(fn).PULL_WORKER_ARN, workerId)).toBe(true);
    expect(env("ConnectorsFunction").SCHEDULE_GROUP).toBe("sluice-test");
    expect(env("PullFunction").PULL_MAX_WAIT_SECONDS).toBe("25");
    expect(refersTo(env("ConnectorsFunction").SCHEDULER_ROLE_ARN, logicalId("SchedulerRole", "AWS::IAM::Role"))).toBe(true);
    for (const fn of ["IngestFunction", "WebhookFunction", "PullWorkerFunction"] as const) expect(env(fn).SCHEDULER_ROLE_ARN).toBeUndefined();
    template.hasResourceProperties("AWS::Scheduler::ScheduleGroup", { Name: "sluice-test" });
  });

  it("grants no DynamoDB, KMS, Lambda or IAM action on *", () => {
    const statements = Object.values(resources)
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      if (!actions([statement]).some((action) => /^(dynamodb|kms|lambda|iam|scheduler):/.test(action))) continue;
      const list = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of list) expect(resource, JSON.stringify(statement)).not.toBe("*");
    }
  });

  it("lets only the functions that open sources decrypt connector envelopes; the webhook function only webhook secrets", () => {
    const keyId = logicalId("EnvelopeKey", "AWS::KMS::Key");
    const kms = (fn: FunctionName) => statementsOf(fn).filter((s) => actions([s]).some((a) => a.startsWith("kms:")));
    expect(actions(kms("ConnectorsFunction")).sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    // The worker writes refreshed OAuth tokens back into connector envelopes, never webhook secrets.
    expect(actions(kms("PullWorkerFunction")).sort()).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(kms("PullWorkerFunction")[0]!.Condition).toEqual({ StringNotEquals: { "kms:EncryptionContext:connector_id": "webhook-secret" } });
    expect(kms("PullFunction")).toEqual([]);
    expect(kms("IngestFunction")).toEqual([]);
    const webhook = kms("WebhookFunction");
    expect(webhook).toHaveLength(1);
    expect(webhook[0]!.Condition).toEqual({ StringEquals: { "kms:EncryptionContext:connector_id": "webhook-secret" } });
    for (const fn of ["ConnectorsFunction", "PullWorkerFunction"] as const) {
      for (const statement of kms(fn)) expect(statement.Condition).toEqual({ StringNotEquals: { "kms:EncryptionContext:connector_id": "webhook-secret" } });
    }
    for (const fn of ["ConnectorsFunction", "PullWorkerFunction", "WebhookFunction"] as const) {
      for (const statement of kms(fn)) expect(refersTo(statement.Resource, keyId)).toBe(true);
    }
  });

  it("lets only the connectors function manage schedules, in its group, passing only the scheduler role", () => {
    for (const fn of FUNCTIONS) {
      const scheduling = actions(statementsOf(fn)).filter((a) => a.startsWith("scheduler:") || a === "iam:PassRole");
      if (fn === "ConnectorsFunction") expect(scheduling).toEqual(expect.arrayContaining(["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "iam:PassRole"]));
      else expect(scheduling, fn).toEqual([]);
    }
    const statements = statementsOf("ConnectorsFunction");
    const schedules = statements.find((s) => actions([s]).includes("scheduler:CreateSchedule"))!;
    expect(JSON.stringify(schedules.Resource)).toContain(":schedule/sluice-test/*");
    const passRole = statements.find((s) => actions([s]).includes("iam:PassRole"))!;
    expect(refersTo(passRole.Resource, logicalId("SchedulerRole", "AWS::IAM::Role"))).toBe(true);
    expect(passRole.Condition).toEqual({ StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } });
  });

  it("gives the scheduler role to Scheduler only, allowed to invoke only the worker", () => {
    const roleId = logicalId("SchedulerRole", "AWS::IAM::Role");
    const trust = resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement as Statement[];
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Action: "sts:AssumeRole", Principal: { Service: "scheduler.amazonaws.com" } });
    const statements = statementsOfRole(roleId);
    expect(actions(statements)).toEqual(["lambda:InvokeFunction"]);
    const workerId = logicalId("PullWorkerFunction", "AWS::Lambda::Function");
    const targets = statements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
    for (const target of targets) expect(refersTo(target, workerId), JSON.stringify(target)).toBe(true);
  });

  it("lets the HTTP functions invoke only the worker, the worker only itself, and the data plane alone write records", () => {
    const workerId = logicalId("PullWorkerFunction", "AWS::Lambda::Function");
    const recordsId = logicalId("RecordsTable", "AWS::DynamoDB::GlobalTable");
    for (const fn of FUNCTIONS) {
      const invokes = statementsOf(fn).filter((s) => actions([s]).includes("lambda:InvokeFunction"));
      if (fn === "ConnectorsFunction" || fn === "PullFunction") {
        expect(invokes).toHaveLength(1);
        expect(refersTo(invokes[0]!.Resource, workerId)).toBe(true);
      } else if (fn === "PullWorkerFunction") {
        // Continuations and partitions: its own ARN, built from its fixed name (no circular reference).
        expect(invokes).toHaveLength(1);
        expect(JSON.stringify(invokes[0]!.Resource)).toContain(":function:sluice-test-pull-worker");
        expect(resources[workerId]!.Properties.FunctionName).toBe("sluice-test-pull-worker");
        expect(JSON.stringify(resources[workerId]!.Properties.Environment.Variables.PULL_WORKER_ARN)).toContain(":function:sluice-test-pull-worker");
      } else {
        expect(invokes, fn).toEqual([]);
      }
      const touchesRecords = statementsOf(fn).some((s) => refersTo(s.Resource, recordsId));
      expect(touchesRecords, fn).toBe(["PullWorkerFunction", "IngestFunction", "WebhookFunction"].includes(fn));
    }
  });
});
