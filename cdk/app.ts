// CDK app: one Sluice stack per stage. Stage, region and CORS origins come from context
// (`cdk deploy -c stage=prod -c region=eu-central-1 -c corsOrigins=https://app.example.com`).
import { App } from "aws-cdk-lib";
import { SluiceStack } from "./stack.js";

const app = new App();
const stage = String(app.node.tryGetContext("stage") ?? "dev");
const region = String(app.node.tryGetContext("region") ?? process.env.CDK_DEFAULT_REGION ?? "eu-west-1");
const corsOrigins = String(app.node.tryGetContext("corsOrigins") ?? "")
  .split(",")
  .map((origin) => origin.trim())
  .filter(Boolean);
const deletionProtection = String(app.node.tryGetContext("deletionProtection")) === "true";

new SluiceStack(app, `sluice-${stage}`, {
  env: { region, account: process.env.CDK_DEFAULT_ACCOUNT },
  stage,
  corsOrigins,
  deletionProtection,
});
