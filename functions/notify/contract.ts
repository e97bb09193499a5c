import type { Contract } from '../common/http/api-handler.js';
import { DecisionLinkQuery, DecisionLinkView, UseDecisionLinkBody } from './schemas.js';

export const decisionsContracts = {
  getDecisionLink: { query: DecisionLinkQuery, status: 200, response: DecisionLinkView, html: true, alsoFails: [404, 410] },
  useDecisionLink: { body: UseDecisionLinkBody, status: 200, response: DecisionLinkView, html: true, form: true, alsoFails: [404, 410] },
} as const satisfies Record<string, Contract>;
