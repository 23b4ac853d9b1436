/**
 * cli-table3, loaded the first time a table is drawn: a prompt draws none, and the package with its dependencies
 * is ~12 ms of start-up. It is CommonJS, so `require` loads it synchronously where a table is needed.
 */
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';

const require = createRequire(import.meta.url);
let table: typeof TableType | undefined;

/** The cli-table3 constructor. */
export function Table(): typeof TableType {
  return (table ??= require('cli-table3') as typeof TableType);
}
