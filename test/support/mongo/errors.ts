// Command failures the test server reports, carrying the code and codeName a real MongoDB
// server would send, so the driver raises the same MongoServerError it would in production.

export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

export const authenticationFailed = (): CommandError =>
  new CommandError(18, "AuthenticationFailed", "Authentication failed.");

export const unauthorized = (command: string): CommandError =>
  new CommandError(13, "Unauthorized", `Command ${command} requires authentication`);

export const commandNotFound = (command: string): CommandError =>
  new CommandError(59, "CommandNotFound", `no such command: '${command}'`);

export const cursorNotFound = (id: string): CommandError =>
  new CommandError(43, "CursorNotFound", `cursor id ${id} not found`);

export const namespaceNotFound = (ns: string): CommandError =>
  new CommandError(26, "NamespaceNotFound", `ns does not exist: ${ns}`);

export const badValue = (message: string): CommandError => new CommandError(2, "BadValue", message);

export const typeMismatch = (message: string): CommandError => new CommandError(14, "TypeMismatch", message);
