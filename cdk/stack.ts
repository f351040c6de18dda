// The Sluice stack: an HTTP API with one Lambda per route group, the pull worker (asynchronous
// invokes and the EventBridge Scheduler target), DynamoDB tables (control, records), a KMS key
// for the credential envelopes, the schedule group and the role Scheduler assumes. Every
// function gets only the actions and resources it uses.
import { ArnFormat, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { CorsHttpMethod, HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { AttributeType, Billing, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { ScheduleGroup } from "aws-cdk-lib/aws-scheduler";
import type { Construct } from "constructs";
import { DELIVER_EVENTS } from "../lib/events/workerTrigger.js";
import { docsAssetFiles } from "../lib/http/openapi/docsAssets.js";
import { WEBHOOK_SECRET_CONTEXT_ID } from "../lib/ingest/webhookSecrets.js";
import { DEFAULT_RECORD_SHARDS } from "../lib/records/shards.js";
import { TTL_ATTRIBUTE } from "../lib/store/tables.js";
import { SluiceFunction } from "./sluiceFunction.js";

export interface SluiceStackProps extends StackProps {
  stage: string;
  corsOrigins: string[];
  deletionProtection: boolean;
  logRetention?: RetentionDays;
}

/** Which paths reach which function. The pull route is more specific than the connectors proxy. */
export const ROUTES = {
  connectors: [
    "ANY /api/v1/connectors",
    "ANY /api/v1/connectors/{proxy+}",
    "ANY /api/v1/connector-types",
    "ANY /api/v1/api-keys",
    "ANY /api/v1/api-keys/{proxy+}",
    "ANY /api/v1/runs/{proxy+}",
    "ANY /api/v1/catalog",
    "ANY /api/v1/catalog/{proxy+}",
    // Qarion's space routes (connectors, sync, sync-history, dbt-manifest), named on their own.
    "ANY /api/v1/catalog/spaces/{proxy+}",
    "ANY /api/v1/sync-history",
    "ANY /api/v1/sync-history/{proxy+}",
    // OAuth: API Gateway has no authorizer, so the callback (no API key, authenticated by its
    // state) reaches the function like every route; the function checks the key of the others.
    "GET /api/v1/oauth/{provider}/authorize",
    "GET /api/v1/oauth/{provider}/callback",
    "POST /api/v1/oauth/{provider}/refresh",
    // Event webhooks: subscriptions and their delivery logs (deliveries themselves go from the worker).
    "ANY /api/v1/event-subscriptions",
    "ANY /api/v1/event-subscriptions/{proxy+}",
    // The OpenAPI document and its reference page (public, like the OAuth callback).
    "GET /api/v1/openapi.json",
    "GET /docs",
    "GET /docs/assets/{proxy+}",
  ],
  pull: ["POST /api/v1/connectors/{id}/pull"],
  ingest: ["ANY /api/v1/ingest/{proxy+}", "ANY /api/v1/schemas/{proxy+}", "ANY /api/v1/ingestions/{proxy+}", "ANY /api/v1/records/{proxy+}"],
  webhook: ["ANY /api/v1/webhooks/{proxy+}"],
} as const;

export class SluiceStack extends Stack {
  constructor(scope: Construct, id: string, props: SluiceStackProps) {
    super(scope, id, props);
    const removalPolicy = props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const envelopeKey = new Key(this, "EnvelopeKey", {
      description: `Sluice ${props.stage}: connector credential and webhook secret envelopes`,
      enableKeyRotation: true,
      removalPolicy,
    });

    const keyed = {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      sortKey: { name: "sk", type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection,
      removalPolicy,
    };
    const control = new TableV2(this, "ControlTable", {
      ...keyed,
      globalSecondaryIndexes: [
        {
          indexName: "gsi1",
          partitionKey: { name: "gsi1pk", type: AttributeType.STRING },
          sortKey: { name: "gsi1sk", type: AttributeType.STRING },
        },
      ],
    });
    const records = new TableV2(this, "RecordsTable", keyed);

    const scheduleGroup = new ScheduleGroup(this, "ScheduleGroup", { scheduleGroupName: `sluice-${props.stage}`, removalPolicy });
    const schedulerRole = new Role(this, "SchedulerRole", {
      description: "Assumed by EventBridge Scheduler to start scheduled pulls on the pull worker",
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
    });

    const environment = {
      CONTROL_TABLE: control.tableName,
      RECORDS_TABLE: records.tableName,
      KMS_KEY_ID: envelopeKey.keyArn,
    };
    const fn = (name: string, entry: string, description: string, extra: Partial<Pick<ConstructorParameters<typeof SluiceFunction>[2], "memorySize" | "timeout" | "environment" | "functionName" | "packageFiles">> = {}) =>
      new SluiceFunction(this, name, {
        entry,
        description,
        logRetention,
        removalPolicy,
        memorySize: extra.memorySize,
        timeout: extra.timeout,
        functionName: extra.functionName,
        packageFiles: extra.packageFiles,
        environment: { ...environment, ...extra.environment },
      });

    // Partition keys per collection in the records table, for every function that reads or
    // writes it: 8, so a 1M-row load (~1,111 writes/s over 15 minutes, twice the units for items
    // over 1 KB) is not held to one partition's 1,000 WCU/s (see DEFAULT_RECORD_SHARDS). Part of
    // the table's layout: all of them must agree, and changing it strands the records written.
    const recordsEnvironment = { RECORDS_SHARDS: String(DEFAULT_RECORD_SHARDS) };

    // The worker runs pulls and metadata syncs, Lambda's longest timeout at a time. A pull that
    // needs longer stops at a batch boundary PULL_DEADLINE_MARGIN_SECONDS before the timeout,
    // keeps its checkpoint and invokes the worker again for the rest (at most
    // PULL_MAX_INVOCATIONS times); a partitioned pull's partitions are invocations of their own.
    // So the worker invokes itself: its ARN is built from a fixed name, as a reference to the
    // function from its own role's policy would be a circular dependency.
    const workerName = `sluice-${props.stage}-pull-worker`;
    const workerArn = Stack.of(this).formatArn({ service: "lambda", resource: "function", resourceName: workerName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const worker = fn("PullWorkerFunction", "pullWorker.ts", "Sluice: runs pulls and syncs (async invokes, EventBridge Scheduler)", {
      memorySize: 1024,
      timeout: Duration.minutes(15),
      functionName: workerName,
      environment: { ...recordsEnvironment, PULL_WORKER_ARN: workerArn, PULL_DEADLINE_MARGIN_SECONDS: "60", PULL_MAX_INVOCATIONS: "100" },
    });
    worker.addToRolePolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [workerArn] }));
    const workerEnvironment = { PULL_WORKER_ARN: worker.functionArn };
    const connectors = fn("ConnectorsFunction", "connectors.ts", "Sluice: connectors, API keys, tests, runs, catalog, health", {
      environment: { ...workerEnvironment, SCHEDULE_GROUP: scheduleGroup.scheduleGroupName, SCHEDULER_ROLE_ARN: schedulerRole.roleArn },
      // The /docs page's script and style sheet, served from the function (lib/http/openapi/docsRoutes.ts).
      packageFiles: Object.keys(docsAssetFiles).map((file) => `swagger-ui-dist/${file}`).concat("swagger-ui-dist/package.json"),
    });
    // API Gateway ends a request at 30 s: a pull answers 202 after 25 s at most.
    const pull = fn("PullFunction", "pull.ts", "Sluice: POST /connectors/{id}/pull, handed to the worker", {
      environment: { ...workerEnvironment, PULL_MAX_WAIT_SECONDS: "25" },
    });
    const ingest = fn("IngestFunction", "ingest.ts", "Sluice: batch and NDJSON ingestion, schemas, ingestions, records", { environment: recordsEnvironment });
    const webhook = fn("WebhookFunction", "webhook.ts", "Sluice: HMAC-signed webhook ingestion", { environment: recordsEnvironment });

    // DynamoDB: the control table for every function; the records table where records are
    // written or read (never by the connectors or pull functions).
    for (const f of [worker, connectors, pull, ingest, webhook]) control.grantReadWriteData(f);
    for (const f of [worker, ingest, webhook]) records.grantReadWriteData(f);

    // KMS: connectors seal envelopes (create, update) and open them (connection tests, PATCH
    // keeping a secret); the worker opens them to connect. The webhook function may only touch
    // webhook-secret envelopes, and they only connector envelopes: KMS checks the encryption
    // context against the condition.
    // Connector envelopes and webhook secrets are told apart by the context's connector_id.
    const envelopeGrant = (actions: string[], operator: "StringEquals" | "StringNotEquals") =>
      new PolicyStatement({
        actions,
        resources: [envelopeKey.keyArn],
        conditions: { [operator]: { "kms:EncryptionContext:connector_id": WEBHOOK_SECRET_CONTEXT_ID } },
      });
    connectors.addToRolePolicy(envelopeGrant(["kms:GenerateDataKey", "kms:Decrypt"], "StringNotEquals"));
    // The worker also seals: an OAuth access token refreshed during a pull is written back into the
    // connector's envelope (a provider that rotates refresh tokens would fail the next pull otherwise).
    worker.addToRolePolicy(envelopeGrant(["kms:GenerateDataKey", "kms:Decrypt"], "StringNotEquals"));
    webhook.addToRolePolicy(envelopeGrant(["kms:GenerateDataKey", "kms:Decrypt"], "StringEquals"));

    // Lambda: the HTTP functions hand pulls and syncs to the worker; Scheduler invokes only it.
    for (const grantee of [pull, connectors, schedulerRole]) worker.grantInvoke(grantee);

    // Event webhooks are delivered by the worker: an emit invokes it at once (the functions above
    // already may), and this sweep sends each minute what is due again (retries with backoff) or
    // what a lost invoke left. Its only right is EventBridge's permission to invoke the worker.
    new Rule(this, "EventDeliverySweep", {
      description: "Sluice: attempts the event webhook deliveries that are due (the worker's deliver_events job)",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(worker, { event: RuleTargetInput.fromObject(DELIVER_EVENTS), retryAttempts: 0 })],
    });

    // Scheduler: only the connectors function manages schedules, only in this group, and may
    // pass only the scheduler role, only to Scheduler.
    connectors.addToRolePolicy(
      new PolicyStatement({
        actions: ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"],
        resources: [Stack.of(this).formatArn({ service: "scheduler", resource: "schedule", resourceName: `${scheduleGroup.scheduleGroupName}/*` })],
      }),
    );
    connectors.addToRolePolicy(
      new PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [schedulerRole.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      }),
    );

    const api = new HttpApi(this, "HttpApi", {
      apiName: `sluice-${props.stage}`,
      corsPreflight: props.corsOrigins.length
        ? { allowOrigins: props.corsOrigins, allowHeaders: ["authorization", "content-type", "x-webhook-signature", "x-webhook-timestamp"], allowMethods: [CorsHttpMethod.ANY] }
        : undefined,
    });
    const targets: Record<keyof typeof ROUTES, IFunction> = { connectors, pull, ingest, webhook };
    for (const [group, routeKeys] of Object.entries(ROUTES) as [keyof typeof ROUTES, readonly string[]][]) {
      const integration = new HttpLambdaIntegration(`${group}Integration`, targets[group]);
      for (const routeKey of routeKeys) {
        const [method, path] = routeKey.split(" ") as [string, string];
        api.addRoutes({ path, methods: [method as HttpMethod], integration });
      }
    }

    new CfnOutput(this, "ApiUrl", { value: api.apiEndpoint, description: "Base URL; the API is under /api/v1" });
    new CfnOutput(this, "ControlTableName", { value: control.tableName, description: "For `npm run keys` against this deployment" });
    new CfnOutput(this, "RecordsTableName", { value: records.tableName });
    new CfnOutput(this, "EnvelopeKeyArn", { value: envelopeKey.keyArn, description: "KMS_KEY_ID for `npm run keys -- rotate`" });
    new CfnOutput(this, "Region", { value: Aws.REGION });
  }
}
