import { Stack, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createDeadLetterQueue } from './dead-letter-queue.js';
import type { SluiceFunction } from './sluice-function.js';

export interface PipelineSchedulerProps {
  /** The only function the pipelines' schedules may invoke. */
  readonly target: IFunction;
}

/** What a function may do with the pipelines' schedules. */
export type ScheduleAccess = 'create' | 'create-and-delete';

/**
 * EventBridge Scheduler for the upgrade pipelines: a schedule group of their own, a
 * role that Scheduler assumes to invoke exactly one function (and dead-letter to the
 * queue), and the queue that keeps invocations that failed every retry.
 *
 * @example
 * const scheduler = new PipelineScheduler(this, 'Scheduler', { target: scheduled.lambda });
 * scheduler.grantSchedules(pipelineApi, 'create-and-delete');
 */
export class PipelineScheduler extends Construct {
  readonly group: CfnScheduleGroup;
  /** The role every schedule's target runs with. */
  readonly role: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: PipelineSchedulerProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.group = new CfnScheduleGroup(this, 'Group', {});

    this.deadLetterQueue = createDeadLetterQueue(this, 'DeadLetterQueue', "every pipeline schedule's Target.DeadLetterConfig");

    // Confused-deputy guard: only Scheduler, for schedules of this account's group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.scheduleArns() },
        },
      }),
      description: `Role EventBridge Scheduler assumes for ${this.node.path}: invoke the pipeline's scheduled function, dead-letter failures`,
    });
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.target.functionArn] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /** The group's schedules: `arn:…:schedule/<group>/*`. */
  scheduleArns(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.ref}/*` });
  }

  /** What a function needs in its environment to create schedules (see functions/common/env.ts). */
  environment(): Record<string, string> {
    return {
      SCHEDULE_GROUP: this.group.ref,
      SCHEDULER_ROLE_ARN: this.role.roleArn,
      SCHEDULER_DLQ_ARN: this.deadLetterQueue.queueArn,
    };
  }

  /**
   * Lets `fn` create (and update) schedules in this group only, passing this group's
   * role to Scheduler only, and with `create-and-delete` delete them too. Sets the
   * environment the schedules adapter reads.
   */
  grantSchedules(fn: SluiceFunction, access: ScheduleAccess, targetArn?: string): void {
    const actions = [
      'scheduler:CreateSchedule',
      'scheduler:UpdateSchedule',
      ...(access === 'create-and-delete' ? ['scheduler:DeleteSchedule'] : []),
    ];
    const policy = new Policy(fn, 'SchedulesPolicy', {
      roles: [fn.role],
      statements: [
        new PolicyStatement({ actions, resources: [this.scheduleArns()] }),
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${Stack.of(this).resolve(this.group.logicalId) as string}>/*]`,
      reason:
        'Pipeline schedules are named per step and version (val-<stepId>-<version>, upg-<hash>) when they are created, so "<this schedule group>/*" is the narrowest pattern; the group holds nothing but these schedules.',
    });
    for (const [name, value] of Object.entries(this.environment())) fn.lambda.addEnvironment(name, value);
    if (targetArn) fn.lambda.addEnvironment('SCHEDULED_FUNCTION_ARN', targetArn);
  }
}
