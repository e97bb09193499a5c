import * as z from 'zod';
import { deferred } from '../domain/deferred.js';

/** A decision link's token (functions/notify/decision-links.ts); any other string is as unknown as a forged one (404). */
const LinkToken = z.string().max(100).meta({ description: "The link's token, as the notification gave it (`sdl_…`)." });

export const DecisionLinkQuery = deferred(() => z.strictObject({ token: LinkToken }));

export const UseDecisionLinkBody = deferred(() =>
  z
    .strictObject({
      token: LinkToken,
      comment: z.string().max(1000).optional().meta({ description: "Kept with the decision, as an approver's comment is." }),
    })
    .meta({ id: 'UseDecisionLinkBody' }),
);

const LinkedGate = deferred(() =>
  z.union([
    z.strictObject({
      kind: z.literal('upgrade'),
      executionId: z.string(),
      gateIndex: z.number().int(),
      since: z.string().meta({ description: 'When this opening of the gate began: a link decides only it.' }),
      gate: z.string().optional(),
    }),
    z.strictObject({ kind: z.literal('run'), runId: z.string(), gateId: z.string(), gate: z.string().optional() }),
  ]),
);

/** What a link decides (GET) or decided (POST), for a client that asks for JSON; never the token. */
export const DecisionLinkView = deferred(() =>
  z
    .strictObject({
      decision: z.enum(['approve', 'reject']),
      tenantId: z.string(),
      target: LinkedGate,
      validUntil: z.string(),
      status: z.string().optional().meta({ description: "After the POST: the upgrade's or the run's status." }),
      linkId: z.string().optional().meta({ description: 'After the POST: the id the audit names the link by.' }),
    })
    .meta({ id: 'DecisionLinkView' }),
);
