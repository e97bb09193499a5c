import { useQueryClient } from '@tanstack/preact-query';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, createSluiceClient, type SluiceClient, unwrap } from '../../cli/client/index.js';
import type { components } from '../../cli/client/schema.js';
import { type ClaimNames, DEFAULT_CLAIMS, type Session } from './session.js';

export type Schemas = components['schemas'];
export { ApiError, unwrap };

/**
 * What `config.json` next to the page says: where the API is (absent: this origin, as the
 * local runtime serves it) and how to sign in (a pasted token locally; OIDC authorization
 * code with PKCE in AWS).
 */
export interface ConsoleConfig {
  readonly apiUrl?: string;
  readonly auth:
    | { readonly kind: 'token' }
    | { readonly kind: 'oidc'; readonly issuer: string; readonly clientId: string; readonly scopes?: string };
  readonly claims?: ClaimNames;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  const config = (await response.json()) as ConsoleConfig;
  return { ...config, claims: config.claims ?? DEFAULT_CLAIMS };
}

/** The typed client the CLI uses too, with the session's bearer token on every call. */
export function clientFor(config: ConsoleConfig, session: Session): SluiceClient {
  return createSluiceClient({ endpoint: config.apiUrl ?? window.location.origin, token: () => session.token });
}

/** A refused or failed call in words a person reads: the problem's detail (and its field errors). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = (error.problem.errors ?? []).map((field) => `${field.field}: ${field.message}`);
    return [error.problem.detail ?? error.problem.title ?? `HTTP ${error.status}`, ...fields].join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}

export type FeedEvent = Schemas['TimelineEvent'] | Schemas['FeedEvent'];

/** The longest the API holds a long poll (DESIGN: at most 20 s, inside API Gateway's 30 s). */
const WAIT_SECONDS = 20;

/**
 * Follows an events feed: first every event there is (page by page), then long polls from
 * the last cursor, so that the page changes as soon as the API records something, without
 * a reload and without a poll every second. Each answer with events invalidates the
 * queries named by `invalidates`, which the query cache then refetches. It ends when an
 * event of `finalTypes` arrived, or when the view goes away (the request is aborted).
 */
export function useEventFeed(options: {
  readonly key: string;
  readonly read: (
    after: string | undefined,
    waitSeconds: number,
    signal: AbortSignal,
  ) => Promise<{ items: FeedEvent[]; cursor: string; nextToken?: string }>;
  readonly invalidates: readonly (readonly unknown[])[];
  readonly finalTypes: readonly string[];
}): { events: FeedEvent[]; following: boolean; error: string | undefined } {
  const queries = useQueryClient();
  const [events, setEvents] = useState<FeedEvent[]>([]);
  const [following, setFollowing] = useState(true);
  const [error, setError] = useState<string | undefined>();

  // The feed restarts only for another resource (its key), not when the caller passes new closures.
  useEffect(() => {
    const stop = new AbortController();
    setEvents([]);
    setFollowing(true);
    (async () => {
      let cursor: string | undefined;
      let caughtUp = false;
      let ended = false;
      while (!stop.signal.aborted && !ended) {
        try {
          const page = await options.read(cursor, caughtUp ? WAIT_SECONDS : 0, stop.signal);
          cursor = page.cursor;
          caughtUp = page.nextToken === undefined;
          setError(undefined);
          if (page.items.length > 0) {
            setEvents((seen) => [...seen, ...page.items]);
            ended = page.items.some((event) => options.finalTypes.includes(event.type));
            for (const key of options.invalidates) await queries.invalidateQueries({ queryKey: key });
          }
        } catch (failure) {
          if (stop.signal.aborted) return;
          setError(describeError(failure));
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
      if (!stop.signal.aborted) setFollowing(false);
    })();
    return () => stop.abort();
  }, [options.key]);

  return { events, following, error };
}
