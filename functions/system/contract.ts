import * as z from 'zod';
import type { Contract } from '../common/http/api-handler.js';
import { deferred } from '../domain/deferred.js';

export const Health = deferred(() =>
  z
    .object({ status: z.literal('ok') })
    .loose()
    .meta({ id: 'Health' }),
);

export const systemContracts = {
  // The local runtime answers 503 until it is ready, so /health means ready.
  getHealth: { status: 200, response: Health, alsoFails: [503] },
  getOpenApi: { status: 200, response: z.record(z.string(), z.unknown()) },
} as const satisfies Record<string, Contract>;
