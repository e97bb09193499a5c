import * as z from 'zod';

/**
 * A schema built on its first use, once: by the first parse that needs it, or by the
 * OpenAPI document. Importing a schema module then builds only these thin wrappers, one
 * zod instance each, where a composite schema takes dozens at about 10 µs apiece, so a
 * cold start builds the schemas of the route it serves and never the answers' schemas,
 * which only the document reads (docs/decisions/0034-what-a-cold-start-builds.md).
 *
 * `make` runs once: zod-openapi calls a lazy schema's getter more than once, and a second
 * copy of a schema with a component `id` would be a duplicate component. What a deferred
 * schema is built from (`.extend`, `.shape`) is reached inside `make`, through `.unwrap()`.
 */
export function deferred<T extends z.ZodType>(make: () => T): z.ZodLazy<T> {
  let made: T | undefined;
  return z.lazy(() => {
    made ??= make();
    return made;
  });
}
