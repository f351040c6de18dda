// Handshake and server-information commands: what the driver asks before and besides any data.
import os from "node:os";
import { Long, type Document } from "bson";
import { CommandError } from "../errors.js";
import { SCRAM_MECHANISMS } from "../scram.js";
import { MAX_MESSAGE_BYTES } from "../wire.js";
import { saslStart } from "./auth.js";
import type { CommandContext, CommandSpec, CommandTable } from "./types.js";

export const SERVER_VERSION = "7.0.0-sluice-test";
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** `saslSupportedMechs: "admin.user"` asks which mechanisms that user may use. */
function mechanismsFor(ctx: CommandContext, qualifiedName: unknown): string[] | undefined {
  if (typeof qualifiedName !== "string") return undefined;
  const dot = qualifiedName.indexOf(".");
  const db = qualifiedName.slice(0, dot);
  const user = qualifiedName.slice(dot + 1);
  return db === "admin" && ctx.server.users.has(user) ? [...SCRAM_MECHANISMS] : undefined;
}

/** A failed speculative attempt is left out of the reply, so the driver falls back to saslStart. */
function speculativeAuthenticate(ctx: CommandContext, request: unknown): Document | undefined {
  if (!request || typeof request !== "object") return undefined;
  const doc = request as Document;
  try {
    const { ok: _ok, ...reply } = saslStart(ctx, doc, typeof doc.db === "string" ? doc.db : "admin");
    return reply;
  } catch {
    return undefined;
  }
}

// No topologyVersion: without it the driver polls with hello instead of streaming with
// exhaust replies, which this server does not implement. No compression is advertised.
function hello(primaryField: "isWritablePrimary" | "ismaster"): CommandSpec {
  return {
    open: true,
    run: (ctx) => {
      const { command, session } = ctx;
      const reply: Document = {
        ...(command.helloOk === true ? { helloOk: true } : {}),
        [primaryField]: true,
        maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
        maxMessageSizeBytes: MAX_MESSAGE_BYTES,
        maxWriteBatchSize: 100_000,
        localTime: new Date(),
        logicalSessionTimeoutMinutes: 30,
        connectionId: session.connectionId,
        minWireVersion: 0,
        maxWireVersion: 21,
        readOnly: false,
      };
      const set = ctx.server.replicaSet;
      if (set) Object.assign(reply, { setName: set.setName, hosts: set.hosts, primary: set.hosts[0], me: set.hosts[0] });
      const mechanisms = mechanismsFor(ctx, command.saslSupportedMechs);
      if (mechanisms) reply.saslSupportedMechs = mechanisms;
      const speculative = speculativeAuthenticate(ctx, command.speculativeAuthenticate);
      if (speculative) reply.speculativeAuthenticate = speculative;
      return { ...reply, ok: 1 };
    },
  };
}

const buildInfo: CommandSpec = {
  open: true,
  run: () => ({
    version: SERVER_VERSION,
    gitVersion: "0000000000000000000000000000000000000000",
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ["memory"],
    javascriptEngine: "none",
    modules: [],
    ok: 1,
  }),
};

const PARAMETERS: Document = {
  featureCompatibilityVersion: { version: "7.0" },
  authenticationMechanisms: [...SCRAM_MECHANISMS],
};

function getParameter({ command }: CommandContext): Document {
  if (command.getParameter === "*") return { ...PARAMETERS, ok: 1 };
  const asked = Object.keys(command).filter((key) => key !== "getParameter" && !key.startsWith("$") && key !== "lsid");
  const known = asked.filter((key) => key in PARAMETERS);
  if (known.length === 0) throw new CommandError(72, "InvalidOptions", "no option found to get");
  return { ...Object.fromEntries(known.map((key) => [key, PARAMETERS[key]])), ok: 1 };
}

function serverStatus({ server }: CommandContext): Document {
  const uptimeMillis = Date.now() - server.startedAt.getTime();
  return {
    host: os.hostname(),
    version: SERVER_VERSION,
    process: "mongod",
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(uptimeMillis / 1000),
    uptimeMillis: Long.fromNumber(uptimeMillis),
    localTime: new Date(),
    connections: { current: server.openConnections, available: 1000 },
    metrics: { cursor: { open: { total: Long.fromNumber(server.cursors.openCount) } } },
    ok: 1,
  };
}

function hostInfo(): Document {
  return {
    system: { currentTime: new Date(), hostname: os.hostname(), cpuAddrSize: 64, numCores: os.cpus().length, memSizeMB: Math.round(os.totalmem() / 2 ** 20) },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    extra: {},
    ok: 1,
  };
}

export const handshakeCommands: CommandTable = {
  hello: hello("isWritablePrimary"),
  isMaster: hello("ismaster"),
  ismaster: hello("ismaster"),
  ping: { open: true, run: () => ({ ok: 1 }) },
  buildInfo,
  buildinfo: buildInfo,
  endSessions: { open: true, run: () => ({ ok: 1 }) },
  getParameter: { run: getParameter },
  serverStatus: { run: serverStatus },
  hostInfo: { run: hostInfo },
};
