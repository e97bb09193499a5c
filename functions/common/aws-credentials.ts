import { createRequire } from 'node:module';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { DefaultProviderInit, defaultProvider as sdkDefaultProvider } from '@aws-sdk/credential-provider-node';

/**
 * The bundled SDK clients' credentials, in place of `@aws-sdk/credential-provider-node`
 * (the SDK's default chain): the Lambda bundles alias that package to this module
 * (lib/constructs/sluice-function.ts; docs/decisions/0034-what-a-cold-start-builds.md).
 * Nothing else imports it; the tests and the local runtime run the SDK's own chain.
 *
 * Lambda gives a function its role's credentials in environment variables, and the
 * default chain reads those first. Its other links (SSO, shared profiles, web identity,
 * container and instance metadata, and the STS and SSO clients they bring) are 130 kB of
 * every bundle that a Lambda function never runs, and compiling them was 11-15 ms of each
 * cold start. So: the environment's credentials when it has them and no `AWS_PROFILE`
 * points elsewhere (the chain would honour the profile first), and otherwise the whole
 * chain, from the copy of the SDK the Node.js runtime ships.
 */
export function defaultProvider(init: DefaultProviderInit = {}): ReturnType<typeof fromEnv> {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY && !process.env.AWS_PROFILE) return fromEnv(init);
  const chain = createRequire(import.meta.url)('@aws-sdk/credential-provider-node') as { defaultProvider: typeof sdkDefaultProvider };
  return chain.defaultProvider(init);
}
