import * as z from 'zod';

/** A decision link's token (functions/notify/decision-links.ts); any other string is as unknown as a forged one (404). */
const LinkToken = z.string().max(100).meta({ description: "The link's token, as the notification gave it (`sdl_…`)." });

export const DecisionLinkQuery = z.strictObject({ token: LinkToken });

export const UseDecisionLinkBody = z.strictObject({
  token: LinkToken,
  comment: z.string().max(1000).optional().meta({ description: 'Kept with the decision, as an approver’s comment is.' }),
});

/** Both answers are small HTML pages: the confirmation form, then the outcome. */
export const DecisionLinkPage = z.string().meta({
  description: "An HTML page without script (Content-Security-Policy `default-src 'none'`): the confirmation form, or the outcome.",
});
