// Network guard errors: a user-given host the network policy refuses to connect to.
import { SluiceError } from "../errors.js";

/**
 * The host resolves to an address the policy refuses (metadata, link-local; private ranges where
 * they are not allowed). Mapped to 400 `host_not_allowed`; a pull records it as its error type.
 */
export class HostNotAllowedError extends SluiceError {
  readonly host: string;
  readonly address: string;
  /** The range the address is in: "link-local", "metadata", "private", "loopback", … */
  readonly range: string;
  constructor(host: string, address: string, range: string, hint: string) {
    // A name's answer stays out of the message: it would show the tenant internal DNS answers.
    const shown = host === address ? `the host ${host} is` : `the host ${host} resolves to`;
    super(`${shown} a ${range} address, which this service does not connect to${hint}`);
    this.name = "HostNotAllowedError";
    this.host = host;
    this.address = address;
    this.range = range;
  }
}
