// The connection fields every database type shares: TLS material as PEM text (ssl_ca, ssl_cert,
// ssl_key) and an SSH tunnel. Checked here so a key or certificate no driver could use is a 400
// on create, not a failed pull; messages never echo what was given.
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { z } from "zod";
import { REDACTED } from "./redaction.js";

const PEM_MAX = 64 * 1024;

function readable(check: (text: string) => unknown): (text: string) => boolean {
  return (text) => {
    try {
      check(text);
      return true;
    } catch {
      return false;
    }
  };
}

const certificate = z
  .string()
  .max(PEM_MAX)
  .refine((text) => text.includes("-----BEGIN CERTIFICATE-----") && readable((pem) => new X509Certificate(pem))(text), "must be PEM text of an X.509 certificate (-----BEGIN CERTIFICATE-----)");

export const tlsFields = {
  ssl_ca: certificate.optional().describe("PEM: the CA (or CAs) the server's certificate must chain to (verify-ca, verify-full)"),
  ssl_cert: certificate.optional().describe("PEM: the client certificate, for servers that require one"),
  ssl_key: z
    .string()
    .max(PEM_MAX)
    // The redacted placeholder keeps the stored key: a PATCH of other fields revalidates the view.
    .refine((text) => text === REDACTED || readable((pem) => createPrivateKey(pem))(text), "must be PEM text of an unencrypted private key (-----BEGIN PRIVATE KEY-----)")
    .optional()
    .describe("PEM: the client certificate's private key (a secret: encrypted at rest, redacted)"),
};

const OPENSSH_KEY = /^-----BEGIN OPENSSH PRIVATE KEY-----\s+([A-Za-z0-9+/=\s]+?)\s*-----END OPENSSH PRIVATE KEY-----\s*$/;

/**
 * Whether an SSH private key can be read: OpenSSH's format (its `openssh-key-v1` header; the
 * key itself is read when the tunnel opens, by ssh2, loaded only then), or PEM that Node reads.
 */
function sshKeyReadable(text: string, passphrase: string | undefined): boolean {
  const openssh = OPENSSH_KEY.exec(text.trim());
  if (openssh) return Buffer.from(openssh[1]!.replace(/\s+/g, ""), "base64").subarray(0, 15).toString("latin1") === "openssh-key-v1\0";
  return readable((pem) => createPrivateKey({ key: pem, ...(passphrase ? { passphrase } : {}) }))(text);
}

const hostKey = /^(SHA256:[A-Za-z0-9+/]{43}=?|(\S+\s+)?(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+)\s+[A-Za-z0-9+/]+={0,2}(\s.*)?)$/;

export const sshTunnelSchema = z
  .strictObject({
    host: z.string().min(1).max(255).regex(/^[^\s/@]+$/, "must be a host name or IP address").describe("the SSH server (bastion)"),
    port: z.number().int().min(1).max(65535).optional().describe("default 22"),
    username: z.string().min(1).max(255),
    private_key: z.string().max(PEM_MAX).optional().describe("OpenSSH or PEM private key (a secret)"),
    passphrase: z.string().max(1024).optional().describe("the private key's passphrase, if it has one (a secret)"),
    password: z.string().max(1024).optional().describe("password authentication, instead of a key (a secret)"),
    known_host_key: z.string().trim().max(16 * 1024).regex(hostKey, "must be the server's public host key (ssh-ed25519 AAAA…) or its SHA256: fingerprint").optional()
      .describe("the SSH server's host key; a server presenting another fails with ssh_host_key_mismatch"),
  })
  .superRefine((tunnel, ctx) => {
    if (tunnel.private_key === undefined && tunnel.password === undefined) {
      ctx.addIssue({ code: "custom", path: ["private_key"], message: "ssh_tunnel needs private_key or password" });
    }
    const kept = tunnel.private_key === REDACTED || tunnel.passphrase === REDACTED; // the stored key, unchanged
    if (tunnel.private_key !== undefined && !kept && !sshKeyReadable(tunnel.private_key, tunnel.passphrase)) {
      ctx.addIssue({ code: "custom", path: ["private_key"], message: "ssh_tunnel.private_key is not a private key that can be read (OpenSSH or PEM; give passphrase for an encrypted one)" });
    }
  });

/** The TLS and tunnel fields, for every database type's connection_config. */
export const connectivityFields = {
  ...tlsFields,
  ssh_tunnel: sshTunnelSchema.optional().describe("reach the database through an SSH server, opened for each pull, test or sync"),
};

type Ctx = z.core.$RefinementCtx;

// URI parameters a driver reads a file of this service's disk for (pg-connection-string's
// sslcert/sslkey/sslrootcert, MongoDB's tls*File): the material comes as PEM text instead.
const FILE_PARAMETERS = ["sslcert", "sslkey", "sslrootcert", "sslcrl", "tlscafile", "tlscertificatekeyfile", "tlscertificatekeyfilepassword", "tlscrlfile"];

/** A 400 for a DSN or URI parameter naming a local file (parameter names are matched case-insensitively). */
export function checkFileParameters(value: string | undefined, field: string, ctx: Ctx): void {
  const query = value?.split("#")[0]?.split("?")[1];
  if (!query) return;
  const named = [...new URLSearchParams(query).keys()].find((key) => FILE_PARAMETERS.includes(key.toLowerCase()));
  if (named) ctx.addIssue({ code: "custom", path: [field], message: `${field}'s ${named} parameter reads a file on the server, which is not supported; give the PEM text in ssl_ca, ssl_cert and ssl_key` });
}

/** ssl_cert and ssl_key go together. */
export function checkConnectivity(cfg: { ssl_cert?: string; ssl_key?: string }, ctx: Ctx): void {
  if ((cfg.ssl_cert === undefined) !== (cfg.ssl_key === undefined)) {
    ctx.addIssue({ code: "custom", path: [cfg.ssl_cert === undefined ? "ssl_cert" : "ssl_key"], message: "ssl_cert and ssl_key go together (the client certificate and its key)" });
  }
}
