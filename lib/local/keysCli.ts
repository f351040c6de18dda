// Operator CLI: `npm run keys -- create|list|revoke|rotate`. Works on the local data dir (through
// the running service's store when one runs) or, with --aws, on the deployed tables.
import { parseArgs } from "node:util";
import path from "node:path";
import { parseRole, parseTenant } from "../apiKeys/apiKeys.js";
import { SluiceError } from "../errors.js";
import { loadConfig } from "../runtime/config.js";
import { createLogger } from "../runtime/logger.js";
import { createServices, keyProviderFor } from "../runtime/services.js";
import { createDynamoClient } from "../store/client.js";
import { ensureTables } from "../store/tables.js";
import { startDynalite, type DynaliteServer } from "./dynalite.js";
import { localMasterKeys } from "./masterKey.js";
import { runningStoreEndpoint } from "./storeEndpoint.js";

const usage = `usage: npm run keys -- <command> [options]
  create --tenant T --role viewer|editor|owner [--name N]   create a key and print it once
  list [--tenant T]                                       list keys (never the keys themselves)
  revoke <key_id>                                         revoke a key
  rotate                                                  re-wrap every connector envelope under the first master key
options: --aws  use the deployed tables (CONTROL_TABLE, AWS credentials) instead of the local data dir`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tenant: { type: "string" }, role: { type: "string" }, name: { type: "string" }, aws: { type: "boolean" }, help: { type: "boolean" } },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(usage + "\n");
    return;
  }
  const runtime = values.aws ? "aws" : "local";
  const config = loadConfig(runtime);
  // Logs go to stderr so stdout holds only the command's answer.
  const logger = createLogger(config.logLevel, (line) => process.stderr.write(line + "\n"));

  let store: DynaliteServer | undefined;
  let endpoint = config.dynamodbEndpoint;
  if (runtime === "local" && !endpoint) {
    endpoint = await runningStoreEndpoint(config.dataDir);
    if (!endpoint) {
      store = await startDynalite({ path: path.join(config.dataDir, "dynalite") });
      endpoint = store.endpoint;
    }
  }
  const dynamo = createDynamoClient({ endpoint, region: config.region });
  try {
    if (runtime === "local") await ensureTables(dynamo, { control: config.controlTable });
    const keys = runtime === "local" ? await localMasterKeys(config, logger) : config.encryptionKeys;
    const services = createServices({
      config,
      logger,
      dynamo,
      keyProvider: keyProviderFor(config, keys),
      keyEnvironment: runtime === "local" ? "local" : "live",
    });
    switch (command) {
      case "create": {
        const { key, record } = await services.apiKeys.create({
          tenant: parseTenant(values.tenant),
          role: parseRole(values.role),
          name: values.name,
        });
        process.stdout.write(`${record.key_id}  tenant=${record.tenant}  role=${record.role}\n${key}\n`);
        process.stderr.write("The key is shown only this once; only its SHA-256 is stored.\n");
        break;
      }
      case "list": {
        const records = values.tenant ? await services.apiKeys.list(parseTenant(values.tenant)) : await services.apiKeys.listAll();
        for (const r of records) process.stdout.write(`${r.key_id}\t${r.tenant}\t${r.role}\t${r.prefix}…\t${r.created_at}\t${r.name}\n`);
        if (records.length === 0) process.stderr.write("no keys\n");
        break;
      }
      case "revoke": {
        const keyId = positionals[1];
        if (!keyId) throw new SluiceError("revoke needs a key id (see `list`)");
        const record = (await services.apiKeys.listAll()).find((r) => r.key_id === keyId);
        if (!record) throw new SluiceError(`no key ${keyId}`);
        await services.apiKeys.revoke(record.tenant, keyId);
        process.stdout.write(`revoked ${keyId}\n`);
        break;
      }
      case "rotate": {
        const { scanned, rewrapped } = await services.connectors.rotateEnvelopes();
        process.stdout.write(`re-wrapped ${rewrapped} of ${scanned} connector envelopes under the primary key\n`);
        const webhooks = await services.webhookSecrets.rotateEnvelopes();
        process.stdout.write(`re-wrapped ${webhooks.rewrapped} of ${webhooks.scanned} webhook secret envelopes under the primary key\n`);
        break;
      }
      default:
        throw new SluiceError(`unknown command ${JSON.stringify(command)}\n${usage}`);
    }
  } finally {
    dynamo.destroy();
    await store?.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`keys: ${(error as Error).message}\n`);
  process.exit(1);
});
