import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue as Sluice keeps them: SSE-SQS (encrypted at rest, cdk-nag SQS2,
 * without the sender needing a KMS grant), TLS only, 14 days (the maximum) to look into
 * a failure.
 *
 * @param usedBy what sends to it, for the cdk-nag acknowledgement: SQS3 only recognises
 *   SQS redrive policies as DLQ use, not a Pipe's or a schedule's DeadLetterConfig.
 */
export function createDeadLetterQueue(scope: Construct, id: string, usedBy: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself a dead-letter queue: ${usedBy}. cdk-nag only recognises SQS redrive policies as DLQ use, and a DLQ of a DLQ would hold nothing.`,
  });
  return queue;
}
