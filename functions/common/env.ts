import * as z from 'zod';

/**
 * The environment every function reads once per cold start. In Lambda, CDK sets these;
 * locally, the runtime does. `DYNAMODB_ENDPOINT` is set only locally (DynamoDB Local).
 */
const EnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Where Idempotency-Key records live (API functions only). Absent: the header is checked but not honoured. */
  IDEMPOTENCY_TABLE_NAME: z.string().min(1).optional(),
  DYNAMODB_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  TENANT_CLAIM: z.string().min(1).default('tenant'),
  ROLES_CLAIM: z.string().min(1).default('roles'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Set only locally: the embedded Step Functions engine's endpoint. */
  SFN_ENDPOINT: z.url().optional(),
  ROLLING_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  CANARY_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  BLUE_GREEN_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  UPDATE_RUN_STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  /** Where the API is reached; gate events carry approve/reject URLs under it. */
  API_BASE_URL: z.url().optional(),
  /** Set only locally: the embedded EventBridge Scheduler's endpoint. */
  SCHEDULER_ENDPOINT: z.url().optional(),
  /** The schedule group holding the pipelines' one-time schedules. */
  SCHEDULE_GROUP: z.string().min(1).default('default'),
  /** The role EventBridge Scheduler assumes to invoke the scheduled function. */
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:').optional(),
  /** The function the pipelines' schedules invoke (auto-validation, start-upgrade). */
  SCHEDULED_FUNCTION_ARN: z.string().startsWith('arn:').optional(),
  /** Where a schedule's failed invocations go. */
  SCHEDULER_DLQ_ARN: z.string().startsWith('arn:').optional(),
  /** Local only: the embedded CloudWatch alarms' endpoint (DescribeAlarms, SetAlarmState, …). */
  CLOUDWATCH_ENDPOINT: z.url().optional(),
  /** The function ARN pattern (`*` wildcards) a lambda target must match; unset: any (locally). */
  SLUICE_LAMBDA_TARGET_PATTERN: z.string().min(1).optional(),
  /** Local only: every wait passes this many times faster (demos and tests). */
  SLUICE_TIME_SCALE: z.coerce.number().positive().default(1),
  /** Local only (tests): a stage child of an update run hands over to a fresh one after this many looks. */
  SLUICE_STAGE_CHILD_LOOKS: z.coerce.number().int().min(2).optional(),
  /** Local only: targets and health URLs on loopback/private addresses are allowed. */
  SLUICE_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  /** How often a long poll of the events feed reads (ms): its wake-up latency against its DynamoDB reads. */
  SLUICE_FEED_POLL_MS: z.coerce.number().int().min(5).max(5000).default(200),
  /** Local only: a PEM file of certificate authorities webhook receivers may be signed by (a local HTTPS receiver). */
  SLUICE_WEBHOOK_CA_FILE: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`Invalid function environment: ${fields}`, { cause: parsed.error });
  }
  return parsed.data;
}
