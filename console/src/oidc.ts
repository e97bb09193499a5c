import * as oauth from 'oauth4webapi';

/**
 * Sign-in in AWS: OpenID Connect authorization code with PKCE (S256) against the issuer
 * the stack trusts, as a public client (no secret in a page). oauth4webapi does the
 * protocol: discovery, the code challenge, the state check, the token request and the
 * validation of its answer. Loaded only when config.json names OIDC, so the local page's
 * first load carries none of it.
 *
 * The verifier and state live in this tab's session storage between the redirect out
 * and the redirect back; the access token (what the API's JWT authorizer checks) is the
 * session's bearer token.
 */
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes?: string;
}

const PENDING_KEY = 'sluice.oidc';

/** Where the issuer sends the browser back: the console's own page. */
const redirectUri = () => `${window.location.origin}${window.location.pathname}`;

/** Plain HTTP only to an issuer on this machine (a local identity provider); anything else must be HTTPS. */
const loopback = (url: URL) => url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

async function discover(
  settings: OidcSettings,
): Promise<{ server: oauth.AuthorizationServer; options: { [oauth.allowInsecureRequests]?: boolean } }> {
  const issuer = new URL(settings.issuer);
  const options = loopback(issuer) ? { [oauth.allowInsecureRequests]: true } : {};
  return {
    server: await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options })),
    options,
  };
}

/** Sends the browser to the issuer's authorization endpoint. */
export async function beginSignIn(settings: OidcSettings): Promise<void> {
  const { server } = await discover(settings);
  if (!server.authorization_endpoint) throw new Error('The issuer names no authorization endpoint.');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, hash: window.location.hash }));
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set('client_id', settings.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', settings.scopes ?? 'openid');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  window.location.assign(url.href);
}

/**
 * On the way back from the issuer (`?code=…&state=…`): the access token, after the state
 * and the token answer were checked; undefined when this is not such a return. The query
 * is taken off the address either way.
 */
export async function completeSignIn(settings: OidcSettings): Promise<string | undefined> {
  const current = new URL(window.location.href);
  if (!current.searchParams.has('code') && !current.searchParams.has('error')) return undefined;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; hash: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  window.history.replaceState(null, '', `${redirectUri()}${pending?.hash ?? ''}`);
  // Back on the view the sign-in started from (replaceState alone tells the router nothing).
  window.dispatchEvent(new HashChangeEvent('hashchange'));
  if (!pending) throw new Error('This sign-in was not started from this tab: sign in again.');
  const { server, options } = await discover(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const parameters = oauth.validateAuthResponse(server, client, current, pending.state);
  const answer = await oauth.authorizationCodeGrantRequest(
    server,
    client,
    oauth.None(),
    parameters,
    redirectUri(),
    pending.verifier,
    options,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(server, client, answer);
  return tokens.access_token;
}
