import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from '../api.js';
import { readToken, type Session } from '../session.js';

const MINT = 'npm run --silent token -- --tenant acme --roles viewer,operator,approver --user alice';

/** Sign-in by pasting a bearer token (the local runtime's dev tokens, or any the API accepts). */
export function SignIn({ config, onSignIn }: { config: ConsoleConfig; onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const oidc = config.auth.kind === 'oidc' ? config.auth : undefined;
  const [returning, setReturning] = useState(Boolean(oidc && /[?&](code|error)=/.test(window.location.search)));

  // Back from the issuer: finish the code flow, then sign in with its access token.
  useEffect(() => {
    if (!oidc || !returning) return;
    import('../oidc.js')
      .then(({ completeSignIn }) => completeSignIn(oidc))
      .then((accessToken) => accessToken && onSignIn(readToken(accessToken, config.claims)))
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
      .finally(() => setReturning(false));
  }, []);

  const signInWithIssuer = () => {
    if (!oidc) return;
    import('../oidc.js')
      .then(({ beginSignIn }) => beginSignIn(oidc))
      .catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)));
  };

  if (oidc) {
    return (
      <section class="sign-in" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Sluice</h1>
        {returning ? (
          <p aria-busy="true">Signing in…</p>
        ) : (
          <button type="button" class="primary" onClick={signInWithIssuer}>
            Sign in with {new URL(oidc.issuer).host}
          </button>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
    );
  }
  const submit = (event: Event) => {
    event.preventDefault();
    try {
      onSignIn(readToken(token, config.claims));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to Sluice</h1>
      <form onSubmit={submit}>
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={5}
          spellcheck={false}
          autoComplete="off"
          value={token}
          onInput={(event) => setToken((event.target as HTMLTextAreaElement).value)}
          aria-describedby="token-help"
          aria-invalid={error ? true : undefined}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <div id="token-help" class="help">
        <p>
          Running Sluice with <code>npm start</code>? Mint a dev token in the repository and paste it here; the roles decide which actions
          the console offers (viewer reads; operator starts, pauses, resumes, cancels and rolls back; approver decides gates and
          validations):
        </p>
        <pre>
          <code>{MINT}</code>
        </pre>
        <p>The token stays in this tab only (session storage) and is sent to the API alone.</p>
      </div>
    </section>
  );
}
