export type Role = "viewer" | "editor" | "owner";

export const roles: readonly Role[] = ["viewer", "editor", "owner"];

/** Who is calling: resolved from the API key by the auth middleware. */
export interface Principal {
  tenant: string;
  role: Role;
  keyId: string;
}

/** What is stored for a key: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  key_id: string;
  tenant: string;
  role: Role;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at?: string;
}
