// `sluice keys`: the tenant's API keys (an owner key): list (the default), create, revoke.
import { Command } from "commander";
import { withContext } from "../context.js";

export function keysCommand(): Command {
  const command = new Command("keys").description("the tenant's API keys (owner key)");
  command
    .command("list", { isDefault: true })
    .description("every key, without the keys themselves")
    .action(
      withContext(async (ctx) => {
        const answer = await ctx.client.apiKeys.list();
        ctx.table(answer.items, ["key_id", "role", "name", "prefix", "created_at", "last_used_at"], answer);
      }),
    );
  command
    .command("create")
    .description("a new key, shown once")
    .requiredOption("--role <role>", "viewer, editor or owner")
    .option("--name <name>", "what it is for")
    .action(withContext(async (ctx, options: { role: string; name?: string }) => ctx.print(await ctx.client.apiKeys.create(options as never))));
  command
    .command("revoke <key_id>")
    .description("revoke a key")
    .action(
      withContext(async (ctx, keyId: string) => {
        await ctx.client.apiKeys.revoke(keyId);
        ctx.print(ctx.json ? { key_id: keyId, revoked: true } : `revoked ${keyId}`);
      }),
    );
  return command;
}
