// The stack's part in event webhooks, synthesised without bundling (the template, not the code):
// the routes reach the connectors function, and a one-minute EventBridge rule sends the worker
// `{"kind":"deliver_events"}`, with EventBridge allowed to invoke only the worker, only from it.
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ROUTES, SluiceStack } from "../../../cdk/stack.js";

type Resource = { Type: string; Properties: Record<string, any> };
let resources: [string, Resource][];

beforeAll(() => {
  // Skipping the asset bundling (esbuild) leaves the template itself as it deploys.
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new SluiceStack(app, "sluice-test", { env: { region: "eu-central-1", account: "123456789012" }, stage: "test", corsOrigins: [], deletionProtection: true });
  resources = Object.entries(Template.fromStack(stack).toJSON().Resources as Record<string, Resource>);
}, 120_000);

const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const workerId = () => ofType("AWS::Lambda::Function").find(([id]) => /^PullWorkerFunction[0-9A-F]{8}$/.test(id))![0];

describe("event webhooks in the stack", () => {
  it("routes the subscriptions to the connectors function", () => {
    expect(ROUTES.connectors).toEqual(expect.arrayContaining(["ANY /api/v1/event-subscriptions", "ANY /api/v1/event-subscriptions/{proxy+}"]));
  });

  it("sweeps due deliveries each minute on the worker, with the worker as the rule's only target", () => {
    const rules = ofType("AWS::Events::Rule");
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe("rate(1 minute)");
    expect(rule.Properties.Targets).toHaveLength(1);
    const target = rule.Properties.Targets[0];
    expect(JSON.parse(target.Input)).toEqual({ kind: "deliver_events" });
    expect(JSON.stringify(target.Arn)).toContain(workerId());

    const permissions = ofType("AWS::Lambda::Permission").filter(([, p]) => p.Properties.Principal === "events.amazonaws.com");
    expect(permissions).toHaveLength(1);
    const [, permission] = permissions[0]!;
    expect(permission.Properties.Action).toBe("lambda:InvokeFunction");
    expect(JSON.stringify(permission.Properties.FunctionName)).toContain(workerId());
    expect(JSON.stringify(permission.Properties.SourceArn)).toContain(ruleId);
  });
});
