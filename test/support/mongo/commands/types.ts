// The contract between the dispatcher and the command files: what a handler is given and returns.
import type { Document } from "bson";
import type { CursorRegistry } from "../cursors.js";
import type { ScramConversation, ScramUser } from "../scram.js";
import type { Store } from "../storage.js";

export interface SaslState {
  conversation: ScramConversation;
  /** The client asked to finish on the proof rather than with an extra empty exchange. */
  skipEmptyExchange: boolean;
  /** The proof checked out; only the empty final step is left. */
  verified: boolean;
}

/** Per connection: who has authenticated and which SASL conversations are in flight. */
export interface Session {
  readonly connectionId: number;
  user?: string;
  readonly sasl: Map<number, SaslState>;
}

/** Shared by every connection of one test server. */
export interface ServerState {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly users: ReadonlyMap<string, ScramUser>;
  readonly stats: { commands: Record<string, number> };
  readonly startedAt: Date;
  openConnections: number;
  /** Answer hello as this replica set's primary, announcing these members (`host:port`, itself included). */
  replicaSet?: { setName: string; hosts: string[] };
}

export interface CommandContext {
  /** From `$db` (OP_MSG) or the namespace (OP_QUERY). */
  db: string;
  command: Document;
  session: Session;
  server: ServerState;
}

export interface CommandSpec {
  run(ctx: CommandContext): Document;
  /** May run before authentication: the handshake and the SASL commands themselves. */
  open?: boolean;
}

export type CommandTable = Record<string, CommandSpec>;
