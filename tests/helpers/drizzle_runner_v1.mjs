// The project's small runner for the real drizzle-orm 1.0 migrator (npm), used by the v1 interop tests.
// usage: node drizzle_runner_v1.mjs migrate <folder> | rows
import path from 'node:path';
const [cmd, ...args] = process.argv.slice(2);
const postgres = (await import('postgres')).default;
const client = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
try {
  if (cmd === 'migrate') {
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(drizzle({ client }), { migrationsFolder: path.resolve(args[0]) });
    console.log('migrate: ok');
  } else if (cmd === 'rows') {
    const rows = await client.unsafe(
      `select id, hash, created_at::text as created_at, name, applied_at is not null as has_applied_at
       from "drizzle"."__drizzle_migrations" order by id`);
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
