// Spaces (Qarion's /catalog/spaces/{slug}/…): every connector belongs to one, named by a slug.
// Connectors made before spaces existed have none stored and belong to the default space.
import { z } from "zod";
import { ValidationError } from "../errors.js";

export const DEFAULT_SPACE = "default";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SLUG_RULE = "use 1-64 lowercase letters, digits and hyphens, starting and ending with a letter or digit";

export const spaceSchema = z.string().regex(SLUG, SLUG_RULE).describe("the space (slug) the connector belongs to");

/** A slug from a path or query (`field` names it in the 400). */
export function parseSlug(value: string | undefined, field: string): string {
  if (value !== undefined && SLUG.test(value)) return value;
  const shown = value !== undefined && value.length <= 64 ? ` ${JSON.stringify(value)}` : "";
  throw new ValidationError(`${field}${shown} is not a valid space slug: ${SLUG_RULE}`, field);
}

export function spaceOf(item: { space?: string | null }): string {
  return item.space ?? DEFAULT_SPACE;
}
