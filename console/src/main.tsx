import { QueryClient, QueryClientProvider } from '@tanstack/preact-query';
import { render } from 'preact';
import { loadConfig } from './api.js';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('app') as HTMLElement;
const queries = new QueryClient({
  // The live views follow the events feed, which invalidates what changed; no refetch on focus or a timer.
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1, staleTime: 5_000 } },
});

loadConfig().then(
  (config) =>
    render(
      <QueryClientProvider client={queries}>
        <App config={config} />
      </QueryClientProvider>,
      root,
    ),
  (error: unknown) => render(<p role="alert">The console could not read its config.json: {String(error)}</p>, root),
);
