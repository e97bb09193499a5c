import type { SluiceClient } from '../../../cli/client/index.js';
import type { Session } from '../session.js';

/** What every signed-in view gets: the typed client and the session (tenant, roles). */
export interface ViewContext {
  readonly client: SluiceClient;
  readonly session: Session;
}
