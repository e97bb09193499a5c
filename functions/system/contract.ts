import * as z from 'zod';
import type { Contract } from '../common/http/api-handler.js';

export const Health = z
  .object({ status: z.literal('ok') })
  .loose()
  .meta({ id: 'Health' });

export const systemContracts = {
  getHealth: { status: 200, response: Health },
  getOpenApi: { status: 200, response: z.record(z.string(), z.unknown()) },
} as const satisfies Record<string, Contract>;
