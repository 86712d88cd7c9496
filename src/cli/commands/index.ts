/**
 * The command table: one register function per command file, in the order `--help` lists them.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { registerBuild } from './build.ts';
import { registerCheck } from './check.ts';
import { registerFetch } from './fetch.ts';
import { registerImport } from './import.ts';
import { registerInbound } from './inbound.ts';
import { registerMigrateStore } from './migrate-store.ts';
import { registerNew } from './new.ts';
import { registerServe } from './serve.ts';
import { registerSubscribers } from './subscribers.ts';
import { registerPreview } from './preview.ts';
import { registerRunDue } from './run-due.ts';
import { registerSend } from './send.ts';
import { registerStatus } from './status.ts';
import { registerTranslate } from './translate.ts';
import { registerWorker } from './worker.ts';

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerBuild, registerCheck, registerFetch, registerImport, registerInbound, registerMigrateStore, registerNew, registerPreview, registerRunDue, registerSend, registerServe, registerStatus, registerSubscribers, registerTranslate, registerWorker];
