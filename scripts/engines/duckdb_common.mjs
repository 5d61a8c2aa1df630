// Shared by the DuckDB helper scripts: loads @duckdb/node-api from .engines/ and opens an
// in-memory database, exactly as Chroma 0.3 did (it never used a DuckDB file).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.CM_NODE_MODULES || path.join(here, '..', '..', '.engines', 'node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

export async function openMemory() {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  return instance.connect();
}

export function sqlString(s) {
  return "'" + String(s).replaceAll("'", "''") + "'";
}
