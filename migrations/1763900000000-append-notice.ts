import { MigrationInterface, QueryRunner } from 'typeorm';

const SIGNATURE = `es_append_many(text[], text[], int[], uuid[], text[], jsonb[], jsonb[])`;
const SILENT = `PERFORM pg_notify('es_appended', '');`;
/**
 * What a commit appended, so a subscriber whose filter cannot match sleeps on: the stream categories
 * and event types, as `c:order,c:account,t:OrderAccepted,…` (a few hundred bytes at most).
 */
const NOTICE = `PERFORM pg_notify('es_appended', coalesce((
            SELECT string_agg(DISTINCT x.tag, ',') FROM (
              SELECT 'c:' || split_part(u.st, '-', 1) AS tag FROM unnest(ev_stream) AS u(st) WHERE u.st IS NOT NULL
              UNION SELECT 't:' || u.ty FROM unnest(ev_stream, p_types) AS u(st, ty) WHERE u.st IS NOT NULL) x), ''));`;

/** Rewrites the one notify statement of es_append_many in place (the rest of the function is kept). */
async function swapNotify(q: QueryRunner, from: string, to: string): Promise<void> {
  await q.query(
    `DO $do$
     DECLARE
       def text := pg_get_functiondef('${SIGNATURE}'::regprocedure);
       changed text := replace(def, $from$${from}$from$, $to$${to}$to$);
     BEGIN
       IF changed = def THEN
         RAISE EXCEPTION 'es_append_many does not contain the notify statement to replace';
       END IF;
       EXECUTE changed;
     END $do$`,
  );
}

/**
 * Appends say what they appended. Every commit woke every subscriber, and each read the log to find
 * out whether anything was for it: the reference-data subscription (instrument and controls streams)
 * read once per order commit. The grouped append now names the categories and types it wrote in its
 * notification; subscribers skip notifications their filter cannot match. The other append functions
 * keep the empty notice, which wakes everyone (as before).
 */
export class AppendNotice1763900000000 implements MigrationInterface {
  name = 'AppendNotice1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await swapNotify(q, SILENT, NOTICE);
  }

  async down(q: QueryRunner): Promise<void> {
    await swapNotify(q, NOTICE, SILENT);
  }
}
