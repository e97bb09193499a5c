import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable, IPrincipal } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FlowDefinition } from '../../functions/domain/flows.js';
import { placeholdersOf } from '../../functions/domain/flows.js';

/**
 * The managed EventBridge rule through which Step Functions learns that a child
 * execution started with `states:startExecution.sync` has finished. The parent's role
 * must be allowed to create and read it (Step Functions developer guide, "IAM policies
 * for nested Step Functions executions", Synchronous).
 */
export const SYNC_EXECUTION_RULE_NAME = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

export interface SluiceStateMachineProps {
  /** The flow's entry in `functions/domain/flows.ts`: its ASL file and the placeholders it may use. */
  readonly flow: FlowDefinition;
  /** Repository root; `flow.file` is relative to it. */
  readonly projectRoot: string;
  /** A value for every key of `flow.substitutionKeys`, and nothing else. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** A flow whose ASL file uses a placeholder the stack does not provide, or the reverse. */
export class FlowSubstitutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlowSubstitutionError';
  }
}

/**
 * A STANDARD state machine loaded as-is from its ASL file (`DefinitionBody.fromFile`
 * plus `definitionSubstitutions`), so the deployed flow is byte for byte the file the
 * local runtime and the state machine tests run. Never rebuild a flow in CDK code.
 *
 * Fixed defaults, the way {@link SluiceFunction} fixes a function's:
 * - logs to a log group of its own at level ALL without execution data: every state
 *   transition is recorded for operators (and cdk-nag SF1 holds without a suppression),
 *   while inputs and outputs, which carry tenant data, are never written. Without
 *   payloads an event is a few hundred bytes, and a flow's history grows per batch, not
 *   per instance (docs/decisions/0002-child-execution-per-batch.md), so ALL stays cheap.
 * - X-Ray tracing on (cdk-nag SF2).
 * - a role of its own that holds nothing until the stack grants it what the flow calls:
 *   {@link allowInvoking} for task functions, {@link allowRunningChild} for nested flows.
 *
 * Synthesis stops with {@link FlowSubstitutionError} when the file's placeholders and
 * the substitutions differ, instead of CloudFormation failing at deploy time.
 *
 * @example
 * ```ts
 * const batch = new SluiceStateMachine(this, 'BatchFlow', {
 *   flow: batchFlow,
 *   projectRoot: root,
 *   substitutions: { UpgradeTasksFunctionArn: tasks.lambda.functionArn },
 * });
 * batch.allowInvoking(tasks.lambda);
 * ```
 */
export class SluiceStateMachine extends Construct implements IGrantable {
  readonly flow: FlowDefinition;
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SluiceStateMachineProps) {
    super(scope, id);
    this.flow = props.flow;
    const path = join(props.projectRoot, props.flow.file);
    checkSubstitutions(props.flow, readFileSync(path, 'utf8'), props.substitutions);

    // Step Functions delivers logs through CloudWatch Logs vended delivery, which adds
    // each log group to a resource policy of at most 5,120 characters per region unless
    // the name starts with /aws/vendedlogs/. A fixed name would block re-creating the
    // stack if the group outlived it, so it goes with the stack; the upgrade's audit
    // trail lives in the table, and these events carry no payloads anyway.
    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${props.flow.name}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: `Execution role of ${this.node.path} (${props.flow.file})`,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromFile(path),
      definitionSubstitutions: { ...props.substitutions },
      stateMachineType: StateMachineType.STANDARD,
      role: this.role,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    // CDK adds these two statements to the role for `logs` and `tracingEnabled`.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the statements CDK adds for logging and tracing use "*": CloudWatch Logs vended delivery (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, ...) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) support no resource-level permissions.',
    });
  }

  /**
   * Lets the flow invoke `fn` by its unqualified ARN, which is what its Task states
   * name; no version or alias (`:*`) is reachable.
   */
  allowInvoking(fn: IFunction): void {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  }

  /**
   * Lets the flow run `child` with `states:startExecution.sync:2`: start it, follow and
   * stop its executions (stopping the parent stops the child), and maintain the managed
   * EventBridge rule that reports the child's completion.
   */
  allowRunningChild(child: SluiceStateMachine): void {
    child.stateMachine.grantStartExecution(this.role);
    child.stateMachine.grantExecution(this.role, 'states:DescribeExecution', 'states:StopExecution');
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          Stack.of(this).formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: SYNC_EXECUTION_RULE_NAME,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }

  get grantPrincipal(): IPrincipal {
    return this.role;
  }
}

function checkSubstitutions(flow: FlowDefinition, definition: string, substitutions: Readonly<Record<string, string>>): void {
  const given = Object.keys(substitutions);
  const missing = placeholdersOf(definition).filter((key) => !given.includes(key));
  if (missing.length > 0) {
    throw new FlowSubstitutionError(`${flow.file} uses \${${missing.join('}, ${')}}, which the stack does not provide`);
  }
  const undeclared = given.filter((key) => !flow.substitutionKeys.includes(key));
  if (undeclared.length > 0) {
    throw new FlowSubstitutionError(`Substitutions ${undeclared.join(', ')} are not among the substitutionKeys of flow "${flow.name}"`);
  }
}
