// Routes a command document to its handler, enforces authentication, counts every command for
// the tests' stats, and turns failures into the { ok: 0, errmsg, code, codeName } replies.
import type { Document } from "bson";
import { CommandError, commandNotFound, unauthorized } from "../errors.js";
import { adminCommands } from "./admin.js";
import { authCommands } from "./auth.js";
import { handshakeCommands } from "./handshake.js";
import { readCommands } from "./read.js";
import type { CommandContext, CommandTable } from "./types.js";
import { writeCommands } from "./write.js";

const COMMANDS: CommandTable = { ...handshakeCommands, ...authCommands, ...readCommands, ...writeCommands, ...adminCommands };

/** The commands allowed over legacy OP_QUERY, as on MongoDB 5.1 and later. */
export const OP_QUERY_COMMANDS = new Set(["hello", "isMaster", "ismaster"]);

export function errorReply(error: unknown): Document {
  if (error instanceof CommandError) return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName };
  // Anything else is almost always mingo rejecting a filter or pipeline, which MongoDB reports
  // as BadValue; the message is mingo's, so a fault in this server still shows for what it is.
  const message = error instanceof Error ? error.message : String(error);
  return { ok: 0, errmsg: message, code: 2, codeName: "BadValue" };
}

export function runCommand(ctx: CommandContext): Document {
  const name = Object.keys(ctx.command)[0] ?? "";
  const { stats, users } = ctx.server;
  stats.commands[name] = (stats.commands[name] ?? 0) + 1;
  try {
    const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!spec) throw commandNotFound(name);
    if (!spec.open && users.size > 0 && !ctx.session.user) throw unauthorized(name);
    return spec.run(ctx);
  } catch (error) {
    return errorReply(error);
  }
}
