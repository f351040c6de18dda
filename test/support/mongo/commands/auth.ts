// saslStart / saslContinue: SCRAM authentication of a connection, also reached through the
// speculativeAuthenticate field a driver puts in its first hello to save a round trip.
import { Binary, type Document } from "bson";
import { CommandError } from "../errors.js";
import { ScramConversation } from "../scram.js";
import type { CommandContext, CommandTable } from "./types.js";

function payloadBytes(payload: unknown): Uint8Array {
  if (payload instanceof Binary) return payload.value();
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === "string") return Buffer.from(payload, "base64");
  throw new CommandError(17, "ProtocolError", "SASL payload must be binary");
}

/** Users live in admin, the only authSource this server knows. */
export function saslStart(ctx: CommandContext, request: Document, db: string): Document {
  const { server, session } = ctx;
  const findUser = (name: string) => (db === "admin" ? server.users.get(name) : undefined);
  const conversation = ScramConversation.start(request.mechanism, payloadBytes(request.payload), findUser);
  const conversationId = Math.max(0, ...session.sasl.keys()) + 1;
  const skipEmptyExchange = (request.options as Document | undefined)?.skipEmptyExchange === true;
  session.sasl.set(conversationId, { conversation, skipEmptyExchange, verified: false });
  return { conversationId, done: false, payload: new Binary(Buffer.from(conversation.serverFirst)), ok: 1 };
}

function saslContinue({ command, session }: CommandContext): Document {
  const conversationId = Number(command.conversationId);
  const state = session.sasl.get(conversationId);
  if (!state) throw new CommandError(17, "ProtocolError", "No SASL session state found");
  const reply = (done: boolean, text: string): Document => {
    if (done) {
      session.sasl.delete(conversationId);
      session.user = state.conversation.user.name;
    }
    return { conversationId, done, payload: new Binary(Buffer.from(text)), ok: 1 };
  };
  if (state.verified) return reply(true, "");
  let serverFinal: string;
  try {
    serverFinal = state.conversation.finish(payloadBytes(command.payload));
  } catch (error) {
    session.sasl.delete(conversationId);
    throw error;
  }
  state.verified = true;
  return reply(state.skipEmptyExchange, serverFinal);
}

export const authCommands: CommandTable = {
  saslStart: { open: true, run: (ctx) => saslStart(ctx, ctx.command, ctx.db) },
  saslContinue: { open: true, run: saslContinue },
};
