import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ConsoleConfig, clientFor } from './api.js';
import { href, type Route, useRoute } from './route.js';
import { loadSession, type Session, saveSession } from './session.js';
import { FleetView } from './views/fleet.js';
import { PipelineView } from './views/pipeline.js';
import { RunsView, RunView } from './views/runs.js';
import { SignIn } from './views/sign-in.js';
import { UpgradeView } from './views/upgrade.js';
import { UpgradesView } from './views/upgrades.js';

const NAV: readonly { readonly label: string; readonly route: Route; readonly views: readonly Route['view'][] }[] = [
  { label: 'Fleet', route: { view: 'fleet' }, views: ['fleet'] },
  { label: 'Pipeline', route: { view: 'pipeline' }, views: ['pipeline'] },
  { label: 'Upgrades', route: { view: 'upgrades' }, views: ['upgrades', 'upgrade'] },
  { label: 'Update runs', route: { view: 'runs' }, views: ['runs', 'run'] },
];

export function App({ config }: { config: ConsoleConfig }) {
  const [session, setSession] = useState<Session | undefined>(() => loadSession(config.claims));
  const route = useRoute();
  const client = useMemo(() => (session ? clientFor(config, session) : undefined), [config, session]);

  const signIn = (next: Session | undefined) => {
    saveSession(next);
    setSession(next);
  };
  // After signing in or out the form is gone: focus moves to the content, not to the top of the document.
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [session]);

  if (!session || !client) {
    return (
      <main id="main" tabIndex={-1}>
        <SignIn config={config} onSignIn={signIn} />
      </main>
    );
  }
  const context = { client, session };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Sluice</span>
        <nav aria-label="Views">
          {NAV.map((item) => (
            <a key={item.label} href={href(item.route)} aria-current={item.views.includes(route.view) ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.user} · {session.tenant} · {session.roles.join(', ') || 'no roles'}
        </span>
        <button type="button" onClick={() => signIn(undefined)}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'fleet' && <FleetView {...context} />}
        {route.view === 'pipeline' && <PipelineView {...context} />}
        {route.view === 'upgrades' && <UpgradesView {...context} route={route} />}
        {route.view === 'upgrade' && <UpgradeView {...context} executionId={route.executionId} />}
        {route.view === 'runs' && <RunsView {...context} />}
        {route.view === 'run' && <RunView {...context} runId={route.runId} />}
      </main>
    </>
  );
}
