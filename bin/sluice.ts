#!/usr/bin/env node
/**
 * The CDK app: creates the Sluice stack and registers cdk-nag. Nothing else lives here;
 * settings come from CDK context (see lib/config.ts and cdk.json).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SluiceStack } from '../lib/sluice-stack.js';

const app = new App();

// Pin the environment only when the CLI resolved it (credentials present); otherwise the
// stack stays environment-agnostic, so `cdk synth` works offline.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new SluiceStack(app, 'Sluice', {
  ...(account && region ? { env: { account, region } } : {}),
});

// cdk-nag 3 is a policy validation plugin: unacknowledged errors fail `cdk synth`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
