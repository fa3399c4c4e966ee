// Prisma's schema engine, compiled to WebAssembly, driven through @prisma/adapter-pg. The Prisma
// CLI cannot use it (it insists on downloading a native engine), so we call it directly; see
// docs/development.md, "Pitfalls of the WebAssembly schema engine", for the pitfalls handled here.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, type SqlDriverAdapter, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type {
  CreateMigrationOutput,
  DevAction,
  DiffResult,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
  SchemasContainer,
} from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { clientConfig, createDatabase, dropDatabase, withDatabase, type DatabaseTarget } from '../src/db/migrations/database.js';
import { LOCKFILE_NAME, MIGRATION_FILE, MIGRATIONS_DIR, SCHEMA_PATH, readLocalMigrations, readLockfile } from '../src/db/migrations/migrations-folder.js';

/**
 * The build whose behaviour (and pitfalls) was verified with adapter-pg 7.10.1: package
 * 8.1.0-2.59be4fda12412a79eeb9c2ae727b6aa723593323. package.json's range could let npm pick
 * another build, so check what was installed.
 */
const VERIFIED_ENGINE_COMMIT = '59be4fda12412a79eeb9c2ae727b6aa723593323';

/** No tables or enums are managed outside Prisma in this project. */
const NO_EXTERNAL_ENTITIES: SchemaFilter = { externalTables: [], externalEnums: [] };

/** The exports of the instantiated module that wasm-bindgen's glue expects us to call. */
interface SchemaEngineWasmExports {
  __wbindgen_start(): void;
}

/**
 * The part of the WebAssembly global we use. Declared here because the project's lib (ES2023,
 * no DOM) and @types/node 20 do not declare `WebAssembly`.
 */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: SchemaEngineWasmExports } }>;
}
const { WebAssembly: webAssembly } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

// PostgreSQL catalog types the schema describer reads but adapter-pg cannot map.
const CHAR_OID = 18; // "char", e.g. pg_constraint.contype
const NAME_OID = 19; // name, e.g. pg_class.relname
const TEXT_OID = 25;

let engineModuleReady: Promise<void> | undefined;

/** Instantiates the wasm module once, the way Prisma 6's CLI loaded it. */
function loadEngineModule(): Promise<void> {
  engineModuleReady ??= instantiateEngineModule();
  return engineModuleReady;
}

async function instantiateEngineModule(): Promise<void> {
  installPanicRegistry();
  // The .wasm file is not in the package's exports map: find it next to the glue module.
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
  // The wasm imports its JS glue under the module name the bundler-targeted build expects.
  const { instance } = await webAssembly.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  assertVerifiedEngine(bg.version());
}

function assertVerifiedEngine(commit: string): void {
  if (commit !== VERIFIED_ENGINE_COMMIT) {
    throw new Error(
      `@prisma/schema-engine-wasm build ${commit} is not the verified one; install ` + `@prisma/schema-engine-wasm@8.1.0-2.${VERIFIED_ENGINE_COMMIT}`,
    );
  }
}

/**
 * The engine reports Rust panics through this global (Prisma's CLI installs it); without it a
 * panic surfaces as "cannot read properties of undefined" instead of the panic message.
 */
function installPanicRegistry(): void {
  const registry = {
    message: '',
    get(): string {
      return this.message;
    },
    set_message(message: string): void {
      this.message = `RuntimeError: ${message}`;
    },
  };
  (globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }).PRISMA_WASM_PANIC_REGISTRY ??= registry;
}

/**
 * Pitfall 1: adapter-pg rejects catalog types the schema describer reads ("Column type 'char'
 * could not be deserialized"): "char" (oid 18), and name (oid 19) in versions before 7.10.
 * Both are plain strings on the wire, so report them as text (oid 25).
 * pg-pool calls Client#query in callback style and adapter-pg in promise style: handle both.
 */
function reportCatalogTypesAsText(client: pg.PoolClient): void {
  type AnyQuery = (...args: unknown[]) => unknown;
  const query = client.query.bind(client) as AnyQuery;
  const patched: AnyQuery = (...args) => {
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: unknown, result: unknown) => (callback as (error: unknown, result: unknown) => void)(error, relabelFields(result));
    }
    const returned = query(...args);
    return returned instanceof Promise ? returned.then(relabelFields) : returned;
  };
  client.query = patched as typeof client.query;
}

function relabelFields(result: unknown): unknown {
  const fields = (result as { fields?: unknown } | null | undefined)?.fields;
  if (Array.isArray(fields)) {
    for (const field of fields as pg.FieldDef[]) {
      if (field.dataTypeID === CHAR_OID || field.dataTypeID === NAME_OID) {
        field.dataTypeID = TEXT_OID;
      }
    }
  }
  return result;
}

/** An adapter-pg adapter over a pool we own, with the pitfall-1 patch on every connection. */
async function connectAdapter(target: DatabaseTarget): Promise<SqlDriverAdapter> {
  // Pitfall 2: discrete host/port/user/... fields, never { connectionString }.
  const pool = new pg.Pool(clientConfig(target));
  pool.on('connect', reportCatalogTypesAsText);
  const adapter = await new PrismaPg(pool, { disposeExternalPool: true }).connect();
  // Pitfall 5: adapter-pg's executeScript splits on every ";", so replaying a
  // migration with `DEFAULT 'a; b'`, a DO block or a function body on the shadow database
  // fails. Send the whole script as one simple query, as Prisma's native engine does.
  adapter.executeScript = async (script: string) => {
    await pool.query(script);
  };
  return adapter;
}

/**
 * The factory the engine gets: the main database, plus throwaway shadow databases on which it
 * replays the migrations folder. Tracks what it opened so `close` can release everything.
 */
class MigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';
  private readonly open = new Set<SqlDriverAdapter>();
  private readonly shadowDatabases = new Set<string>();

  constructor(private readonly target: DatabaseTarget) {}

  async connect(): Promise<SqlDriverAdapter> {
    return this.track(await connectAdapter(this.target));
  }

  /**
   * Pitfall 3: adapter-pg's own connectToShadowDb drops the shadow database while its pool is
   * still connected, and the drop fails. Ours closes the pool first, then drops.
   */
  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadow = withDatabase(this.target, `prisma_migrate_shadow_db_${randomUUID()}`);
    await createDatabase(shadow);
    this.shadowDatabases.add(shadow.database);
    const adapter = await connectAdapter(shadow);
    const closePool = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await closePool();
      await this.dropShadow(shadow);
    };
    return this.track(adapter);
  }

  /** Disposes whatever the engine left open and drops leftover shadow databases. */
  async close(): Promise<void> {
    const adapters = [...this.open];
    await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
    const leftovers = [...this.shadowDatabases].map((name) => withDatabase(this.target, name));
    await Promise.allSettled(leftovers.map((shadow) => this.dropShadow(shadow)));
  }

  private track(adapter: SqlDriverAdapter): SqlDriverAdapter {
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      this.open.delete(adapter);
      await dispose();
    };
    this.open.add(adapter);
    return adapter;
  }

  private async dropShadow(shadow: DatabaseTarget): Promise<void> {
    this.shadowDatabases.delete(shadow.database);
    await dropDatabase(shadow);
  }
}

/** The schema files and migrations folder, loaded as the engine expects them. */
export interface ProjectSources {
  schema: SchemasContainer;
  migrationsList: MigrationList;
}

export async function loadProjectSources(): Promise<ProjectSources> {
  const schemaContent = await readFile(SCHEMA_PATH, 'utf8');
  const migrations = await readLocalMigrations(MIGRATIONS_DIR);
  return {
    schema: { files: [{ path: SCHEMA_PATH, content: schemaContent }] },
    migrationsList: {
      baseDir: MIGRATIONS_DIR,
      lockfile: { path: LOCKFILE_NAME, content: await readLockfile(MIGRATIONS_DIR) },
      shadowDbInitScript: '',
      migrationDirectories: migrations.map((migration) => ({
        path: migration.name,
        migrationFile: { path: MIGRATION_FILE, content: { tag: 'ok', value: migration.sql } },
      })),
    },
  };
}

/** A schema engine session on one database; `close` it, then exit the process (pitfall 4). */
export class SchemaEngineSession {
  private constructor(
    private readonly engine: SchemaEngine,
    private readonly factory: MigrationAdapterFactory,
    readonly sources: ProjectSources,
  ) {}

  static async open(target: DatabaseTarget): Promise<SchemaEngineSession> {
    await loadEngineModule();
    const sources = await loadProjectSources();
    const factory = new MigrationAdapterFactory(target);
    const datamodels = sources.schema.files.map((file): [string, string] => [file.path, file.content]);
    const engine = await bg.SchemaEngine.new({ datamodels }, engineLogger, bindMigrationAwareSqlAdapterFactory(factory));
    return new SchemaEngineSession(engine, factory, sources);
  }

  /** What `migrate dev` should do with the main database: go on, or reset it (and why). */
  async devDiagnostic(): Promise<DevAction> {
    const { action } = await this.engine.devDiagnostic({
      migrationsList: this.sources.migrationsList,
      filters: NO_EXTERNAL_ENTITIES,
    });
    return action;
  }

  /** The next migration (script null if nothing changed); call devDiagnostic first. */
  createMigration(migrationName: string): Promise<CreateMigrationOutput> {
    return this.engine.createMigration({
      migrationName,
      draft: false,
      migrationsList: this.sources.migrationsList,
      schema: this.sources.schema,
      filters: NO_EXTERNAL_ENTITIES,
    });
  }

  /** SQL taking the migrations folder's end state to the schema; exitCode 2 if non-empty. */
  diffMigrationsToSchema(): Promise<DiffResult> {
    return this.engine.diff({
      from: { tag: 'migrations', ...this.sources.migrationsList },
      to: { tag: 'schemaDatamodel', ...this.sources.schema },
      script: true,
      exitCode: true,
      filters: NO_EXTERNAL_ENTITIES,
    });
  }

  async close(): Promise<void> {
    this.engine.free();
    await this.factory.close();
  }
}

/** The engine logs JSON lines; only show them when asked to. */
function engineLogger(line: string): void {
  if (process.env.MIGRATE_DEBUG) process.stderr.write(`[schema-engine] ${line}\n`);
}
