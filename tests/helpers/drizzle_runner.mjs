// The project's own small runner for the real drizzle-orm migrator (npm), used by interop tests.
// usage: node drizzle_runner.mjs migrate <folder> [table] [schema] | rows [table] [schema]
import path from 'node:path';
const [cmd, ...args] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
const postgres = (await import('postgres')).default;
const client = postgres(url, { max: 1, onnotice: () => {} });
const ident = (s) => '"' + s.replace(/"/g, '""') + '"';
try {
  if (cmd === 'migrate') {
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const [folder, table, schema] = args;
    const cfg = { migrationsFolder: path.resolve(folder) };
    if (table) cfg.migrationsTable = table;
    if (schema) cfg.migrationsSchema = schema;
    await migrate(drizzle({ client }), cfg);
    console.log('migrate: ok');
  } else if (cmd === 'rows') {
    const [table = '__drizzle_migrations', schema = 'drizzle'] = args;
    const rows = await client.unsafe(`select id, hash, created_at::text as created_at from ${ident(schema)}.${ident(table)} order by id`);
    console.log(JSON.stringify(rows));
  } else {
    console.error('unknown command ' + cmd); process.exitCode = 2;
  }
} catch (e) {
  console.error('drizzle: FAILED: ' + (e?.cause?.message ?? e.message));
  process.exitCode = 1;
} finally {
  await client.end();
}
