import * as z from 'zod';

/** RFC 9457 problem details as Sluice answers them. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string(), code: z.string().optional() })),
  })
  .loose()
  .meta({ id: 'Problem' });
