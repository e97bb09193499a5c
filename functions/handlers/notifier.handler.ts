import { readFileSync } from 'node:fs';
import middy from '@middy/core';
import * as z from 'zod';
import { secretsManagerSdk } from '../common/aws-sdk.js';
import { keysOf, observe } from '../common/observe.js';
import { type BaseSetup, baseSetup } from '../common/setup.js';
import { parseNotifyTypes } from '../domain/notify-types.js';
import { makeDecisionLinks } from '../notify/decision-links.js';
import { createDecisionLinkRepository } from '../notify/link-repository.js';
import { noticeFromBusEvent } from '../notify/notice.js';
import { makeNotifier, type Notifier } from '../notify/notifier.js';

/**
 * The notifier's own environment (the stack sets it from `sluice:notify*` context; the
 * local runtime from `SLUICE_NOTIFY_*`). The signing secret is `NOTIFY_SECRET` locally and
 * a Secrets Manager secret in AWS (`NOTIFY_SECRET_ARN`), read once per cold start.
 */
const NotifierEnv = z.object({
  NOTIFY_URL: z.url(),
  NOTIFY_TYPES: z.string().optional(),
  NOTIFY_SECRET: z.string().min(16).optional(),
  NOTIFY_SECRET_ARN: z.string().startsWith('arn:').optional(),
  NOTIFY_NAME: z.string().min(1).max(64).default('notifier'),
  NOTIFY_LINKS: z.stringbool().default(true),
});

/** The secret's value: a string secret, or the `secret` field of a JSON one (what a generated secret of the stack holds). */
async function readSecret(arn: string, region: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await secretsManagerSdk();
  const { SecretString } = await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: arn }));
  if (!SecretString) throw new Error('The notification secret has no string value');
  try {
    const parsed = JSON.parse(SecretString) as { secret?: unknown };
    if (typeof parsed.secret === 'string' && parsed.secret.length > 0) return parsed.secret;
  } catch {
    // Not JSON: the string is the secret.
  }
  return SecretString;
}

export async function notifierSetup(base: BaseSetup, source: NodeJS.ProcessEnv = process.env): Promise<Notifier> {
  const env = NotifierEnv.parse(source);
  const secret = env.NOTIFY_SECRET ?? (env.NOTIFY_SECRET_ARN ? await readSecret(env.NOTIFY_SECRET_ARN, base.env.AWS_REGION) : undefined);
  if (!secret) throw new Error('The notifier needs NOTIFY_SECRET or NOTIFY_SECRET_ARN');
  const local = base.env.SLUICE_ALLOW_PRIVATE_NETWORKS;
  const ca = base.env.SLUICE_WEBHOOK_CA_FILE ? readFileSync(base.env.SLUICE_WEBHOOK_CA_FILE, 'utf8') : undefined;
  return makeNotifier({
    config: {
      url: env.NOTIFY_URL,
      secret,
      types: parseNotifyTypes(env.NOTIFY_TYPES),
      name: env.NOTIFY_NAME,
      links: env.NOTIFY_LINKS,
      ...(base.env.API_BASE_URL ? { apiBaseUrl: base.env.API_BASE_URL.replace(/\/$/, '') } : {}),
    },
    decisionLinks: makeDecisionLinks({ links: createDecisionLinkRepository(base.db, base.tableName), clock: base.clock }),
    clock: base.clock,
    logger: base.logger,
    // The SSRF guard and https hold in AWS; locally, as for webhook targets, loopback and http are allowed.
    allowPrivateNetworks: local,
    allowInsecureHttp: local,
    ...(ca ? { ca } : {}),
  });
}

let notifier: Promise<Notifier> | undefined;

/**
 * One timeline event from the bus (a rule of the stack, or `local/events.ts` locally) to
 * the notification webhook. It fails when every attempt failed, so that Lambda tries the
 * event again and then parks it in the dead-letter queue; the delivery id stays the same.
 */
export const handler = middy<unknown, unknown>()
  .use(
    observe({
      keys: (event) => ({
        task: 'notify',
        ...keysOf((event as { detail?: unknown } | undefined)?.detail, ['tenantId', 'executionId', 'runId', 'type']),
      }),
      done: 'task',
    }),
  )
  .handler(async (raw) => {
    const notice = noticeFromBusEvent(raw);
    notifier ??= notifierSetup(baseSetup()).catch((error: unknown) => {
      notifier = undefined;
      throw error;
    });
    return { outcome: await (await notifier).notify(notice) };
  });
