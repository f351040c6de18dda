// One client socket: frames incoming bytes into messages, runs each command in arrival order
// and answers in the protocol the request used (OP_MSG, or OP_REPLY for a legacy OP_QUERY).
import type { Socket } from "node:net";
import type { Document } from "bson";
import { CommandError } from "./errors.js";
import { errorReply, OP_QUERY_COMMANDS, runCommand } from "./commands/index.js";
import type { ServerState, Session } from "./commands/types.js";
import { encodeOpMsg, encodeOpReply, MessageFramer, OP_MSG, parseMessage, type WireRequest } from "./wire.js";

function answerOpQuery(request: WireRequest, session: Session, server: ServerState): Document {
  const namespace = request.namespace ?? "";
  const name = Object.keys(request.command)[0] ?? "";
  if (!namespace.endsWith(".$cmd") || !OP_QUERY_COMMANDS.has(name)) {
    return errorReply(new CommandError(352, "UnsupportedOpQueryCommand", `Unsupported OP_QUERY command: ${name}`));
  }
  return runCommand({ db: namespace.slice(0, -".$cmd".length), command: request.command, session, server });
}

export function serveConnection(socket: Socket, server: ServerState, connectionId: number): void {
  const session: Session = { connectionId, sasl: new Map() };
  const framer = new MessageFramer();
  server.openConnections++;
  socket.on("close", () => server.openConnections--);
  // A client that vanishes mid-reply is routine in tests; the close handler does the bookkeeping.
  socket.on("error", () => undefined);
  socket.on("data", (chunk: Buffer) => {
    try {
      for (const raw of framer.push(chunk)) {
        const request = parseMessage(raw);
        if (request.opCode === OP_MSG) {
          const db = typeof request.command.$db === "string" ? request.command.$db : "admin";
          const reply = runCommand({ db, command: request.command, session, server });
          if (!request.moreToCome) socket.write(encodeOpMsg(request.requestId, reply));
        } else {
          socket.write(encodeOpReply(request.requestId, answerOpQuery(request, session, server)));
        }
      }
    } catch (error) {
      // A stream this server cannot frame or parse has no way back to sync: hang up, like mongod.
      socket.destroy(error instanceof Error ? error : undefined);
    }
  });
}
