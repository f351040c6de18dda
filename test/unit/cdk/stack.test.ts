// The CDK stack as synthesised: tables with PITR and TTL, a rotating KMS key, and each route
// reaching its function.
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { SluiceStack } from "../../../cdk/stack.js";

let template: Template;
beforeAll(() => {
  const app = new App();
  const stack = new SluiceStack(app, "sluice-test", {
    env: { region: "eu-west-1", account: "123456789012" },
    stage: "test",
    corsOrigins: ["https://app.example.com"],
    deletionProtection: true,
  });
  template = Template.fromStack(stack);
}, 120_000);

describe("SluiceStack", () => {
  it("has two on-demand tables with point-in-time recovery, TTL and deletion protection", () => {
    template.resourceCountIs("AWS::DynamoDB::GlobalTable", 2);
    template.allResourcesProperties("AWS::DynamoDB::GlobalTable", {
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it("has a KMS key with rotation for the envelopes", () => {
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("routes the connector paths to the connectors function (Node 22, arm64)", () => {
    const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route")).map((r) => r.Properties.RouteKey);
    expect(routes).toEqual(expect.arrayContaining(["ANY /api/v1/connectors", "ANY /api/v1/connectors/{proxy+}", "ANY /api/v1/connector-types", "ANY /api/v1/api-keys"]));
    template.hasResourceProperties("AWS::Lambda::Function", { Runtime: "nodejs22.x", Architectures: ["arm64"] });
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", { CorsConfiguration: Match.objectLike({ AllowOrigins: ["https://app.example.com"] }) });
  });
});
