// The AWS runtime: DynamoDB from the default credential chain, KMS envelopes, config from the
// Lambda environment. Built once per container and reused across invocations.
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { LambdaDispatcher } from "../dispatch/lambda.js";
import { EventBridgeScheduler } from "../schedule/eventbridge.js";
import { createDynamoClient } from "../store/client.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { createServices, keyProviderFor, type Services } from "./services.js";

let services: Services | undefined;

export function awsServices(): Services {
  if (services) return services;
  const config = loadConfig("aws");
  const logger = createLogger(config.logLevel);
  const { pullWorkerArn, scheduleGroup, schedulerRoleArn } = config;
  services = createServices({
    config,
    logger,
    dynamo: createDynamoClient({ endpoint: config.dynamodbEndpoint, region: config.region }),
    keyProvider: keyProviderFor(config),
    keyEnvironment: "live",
    // The HTTP functions hand pulls and syncs to the worker; the worker itself runs them in process.
    dispatcher: pullWorkerArn ? new LambdaDispatcher(new LambdaClient({ region: config.region }), pullWorkerArn) : undefined,
    scheduler:
      scheduleGroup && pullWorkerArn && schedulerRoleArn
        ? new EventBridgeScheduler({ client: new SchedulerClient({ region: config.region }), groupName: scheduleGroup, targetArn: pullWorkerArn, roleArn: schedulerRoleArn })
        : undefined,
  });
  return services;
}
