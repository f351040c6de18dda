// The AWS runtime: DynamoDB from the default credential chain, KMS envelopes, config from the
// Lambda environment. Built once per container and reused across invocations.
import { createDynamoClient } from "../store/client.js";
import { loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { createServices, keyProviderFor, type Services } from "./services.js";

let services: Services | undefined;

export function awsServices(): Services {
  if (services) return services;
  const config = loadConfig("aws");
  const logger = createLogger(config.logLevel);
  services = createServices({
    config,
    logger,
    dynamo: createDynamoClient({ endpoint: config.dynamodbEndpoint, region: config.region }),
    keyProvider: keyProviderFor(config),
    keyEnvironment: "live",
  });
  return services;
}
