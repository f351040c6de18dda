// The API's routes as openapi-fetch sees them: generated from the OpenAPI document
// (`npm run sdk:types` writes schema.d.ts).
export type { components, operations, paths } from "./schema.js";
