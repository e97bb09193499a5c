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

/**
 * What API Gateway itself answers in AWS when it refuses or fails a request before or
 * instead of a function (its JWT authorizer, throttling, a crashed or timed-out
 * function): `{"message": "Unauthorized"}`, `{"message": "Too Many Requests"}`,
 * `{"message": "Internal Server Error"}`. Sluice does not write these bodies.
 */
export const GatewayErrorSchema = z.strictObject({ message: z.string() }).meta({
  id: 'GatewayError',
  description: "API Gateway's own error body (AWS only): its JWT authorizer, its throttling, a function that crashed or timed out.",
});
