// The Sluice stack: HTTP API → one Lambda per route group, DynamoDB tables (control, records),
// a KMS key for the connector envelopes. Scheduling and the pull worker join as they land.
import path from "node:path";
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { CorsHttpMethod, HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { AttributeType, Billing, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Key } from "aws-cdk-lib/aws-kms";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { TTL_ATTRIBUTE } from "../lib/store/tables.js";

export interface SluiceStackProps extends StackProps {
  stage: string;
  corsOrigins: string[];
  deletionProtection: boolean;
}

const root = path.resolve(import.meta.dirname, "..");

export class SluiceStack extends Stack {
  constructor(scope: Construct, id: string, props: SluiceStackProps) {
    super(scope, id, props);
    const removalPolicy = props.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const envelopeKey = new Key(this, "EnvelopeKey", {
      description: `Sluice ${props.stage}: connector credential envelopes`,
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

    const environment = {
      CONTROL_TABLE: control.tableName,
      RECORDS_TABLE: records.tableName,
      KMS_KEY_ID: envelopeKey.keyArn,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const lambda = (name: string, entry: string) =>
      new NodejsFunction(this, name, {
        entry: path.join(root, "functions", entry),
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.seconds(29),
        environment,
        logGroup: new LogGroup(this, `${name}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy }),
        bundling: {
          format: OutputFormat.ESM,
          minify: true,
          sourceMap: false,
          target: "node22",
          // ESM bundles of CommonJS dependencies still call require().
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
      });

    const connectors = lambda("ConnectorsFunction", "connectors.ts");
    control.grantReadWriteData(connectors);
    // Create and update seal envelopes (GenerateDataKey); PATCH with kept secrets opens them (Decrypt).
    envelopeKey.grant(connectors, "kms:GenerateDataKey", "kms:Decrypt");

    const api = new HttpApi(this, "HttpApi", {
      apiName: `sluice-${props.stage}`,
      corsPreflight: props.corsOrigins.length
        ? {
            allowOrigins: props.corsOrigins,
            allowHeaders: ["authorization", "content-type"],
            allowMethods: [CorsHttpMethod.ANY],
          }
        : undefined,
    });
    const connectorsIntegration = new HttpLambdaIntegration("ConnectorsIntegration", connectors);
    for (const routePath of ["/api/v1/connectors", "/api/v1/connectors/{proxy+}", "/api/v1/connector-types", "/api/v1/api-keys", "/api/v1/api-keys/{proxy+}"]) {
      api.addRoutes({ path: routePath, methods: [HttpMethod.ANY], integration: connectorsIntegration });
    }

    new CfnOutput(this, "ApiUrl", { value: api.apiEndpoint });
    new CfnOutput(this, "ControlTableName", { value: control.tableName });
  }
}
