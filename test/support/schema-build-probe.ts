/**
 * Run as a process of its own (test/unit/deferred-schemas.test.ts): which schemas with a
 * component id exist after the contracts are imported, after one body is parsed, and
 * after the OpenAPI document is built. zod registers a schema's `id` when the schema is
 * built, so the registry says what was built. Prints one JSON object.
 */
import * as z from 'zod';
import { CONTRACTS } from '../../functions/api/contracts.js';
import { buildOpenApiDocument } from '../../functions/api/openapi.js';

// zod's global registry keeps its ids in `_idmap` (zod 4); nothing public lists them.
const ids = (): string[] => [...(z.globalRegistry as unknown as { _idmap: Map<string, unknown> })._idmap.keys()].sort();
const idOf = (schema: z.ZodType | undefined): string | undefined => {
  const built = schema instanceof z.ZodLazy ? schema.unwrap() : schema;
  return built ? (z.globalRegistry.get(built)?.id as string | undefined) : undefined;
};

const afterImport = ids();
CONTRACTS.createUpdateRun.body.safeParse({ stages: [{ groups: [{}] }], upgrade: {} });
const afterOneParse = ids();
buildOpenApiDocument();
const afterDocument = ids();
const responseIds = [
  ...new Set(Object.values(CONTRACTS).flatMap((contract) => idOf('response' in contract ? contract.response : undefined) ?? [])),
].sort();
process.stdout.write(JSON.stringify({ afterImport, afterOneParse, afterDocument, responseIds }));
