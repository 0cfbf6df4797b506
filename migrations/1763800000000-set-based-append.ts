import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Group commit without a subtransaction per append. `es_append_many` now checks and writes a whole
 * group with a handful of set-based statements: create missing stream rows, lock every stream of the
 * group in name order, decide each append's outcome in memory (appends to one stream are adjacent, so
 * a later append sees the revision an earlier one left), insert every accepted event in one INSERT,
 * move every stream's revision in one UPDATE, notify once.
 *
 * Event ids already stored (idempotent retries), the same id twice in one group, and a concurrent
 * writer storing one of our ids first (a unique violation) are rare; they take the previous
 * append-by-append path, renamed `es_append_each`, which keeps the exact per-append semantics.
 */
export class SetBasedAppend1763800000000 implements MigrationInterface {
  name = 'SetBasedAppend1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION es_append_many RENAME TO es_append_each`);
    // A session caches its plans for these functions; planned while the log was small, a lookup by
    // event id stayed a sequential scan of the whole log. Every statement in them is an index lookup.
    await q.query(`ALTER FUNCTION es_append SET enable_seqscan = off`);
    await q.query(`ALTER FUNCTION es_append_each SET enable_seqscan = off`);
    await q.query(`
      CREATE FUNCTION es_append_many(
        p_streams text[], p_expected text[], p_counts int[],
        p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (ordinal int, outcome text, revision bigint, last_position bigint, last_transaction text, detail text)
      LANGUAGE plpgsql SET enable_seqscan = off AS $$
      #variable_conflict use_column
      DECLARE
        n int := coalesce(array_length(p_streams, 1), 0);
        total int := coalesce(array_length(p_event_ids, 1), 0);
        created text[];
        names text[];
        revisions bigint[];
        ev_stream text[];
        ev_revision bigint[];
        ev_ordinal int[];
        outcomes text[];
        details text[];
        new_revisions bigint[];
        written_ordinals int[];
        written_positions bigint[];
        written_transactions text[];
        i int;
        k int;
        s int := 0;
        first int := 1;
        current_revision bigint;
        expected text;
      BEGIN
        IF n = 0 THEN
          RETURN;
        END IF;
        IF EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = ANY (p_event_ids))
           OR (SELECT count(DISTINCT id) FROM unnest(p_event_ids) id) < total THEN
          RETURN QUERY SELECT * FROM es_append_each(p_streams, p_expected, p_counts, p_event_ids, p_types, p_data, p_metadata);
          RETURN;
        END IF;

        BEGIN
          -- Missing streams get a placeholder row to lock (revision -1); both statements go in name
          -- order (byte order, as the client sorts), as every group does, so groups never deadlock.
          WITH ins AS (
            INSERT INTO es_streams (stream_name, revision)
            SELECT DISTINCT st COLLATE "C", -1 FROM unnest(p_streams) st ORDER BY 1
            ON CONFLICT DO NOTHING
            RETURNING es_streams.stream_name
          )
          SELECT array_agg(ins.stream_name) INTO created FROM ins;
          SELECT array_agg(l.stream_name ORDER BY l.stream_name COLLATE "C"), array_agg(l.revision ORDER BY l.stream_name COLLATE "C")
            INTO names, revisions
            FROM (SELECT es.stream_name, es.revision FROM es_streams es
                   WHERE es.stream_name = ANY (p_streams) ORDER BY es.stream_name COLLATE "C" FOR UPDATE) l;

          ev_stream := array_fill(NULL::text, ARRAY[total]);
          ev_revision := array_fill(NULL::bigint, ARRAY[total]);
          ev_ordinal := array_fill(NULL::int, ARRAY[total]);
          outcomes := array_fill(NULL::text, ARRAY[n]);
          details := array_fill(NULL::text, ARRAY[n]);
          new_revisions := array_fill(NULL::bigint, ARRAY[n]);
          FOR i IN 1 .. n LOOP
            IF s = 0 OR names[s] <> p_streams[i] THEN
              -- Both lists are in name order, so this is the next name unless the caller sorted otherwise.
              IF names[s + 1] = p_streams[i] THEN s := s + 1; ELSE s := array_position(names, p_streams[i]); END IF;
              IF s IS NULL THEN
                RAISE EXCEPTION 'stream row of % not found', p_streams[i];
              END IF;
            END IF;
            current_revision := revisions[s];
            expected := p_expected[i];
            IF p_counts[i] = 0 THEN
              outcomes[i] := 'empty_append';
              details[i] := current_revision::text;
            ELSIF NOT (expected = 'any'
                OR (expected = 'no_stream' AND current_revision = -1)
                OR (expected = 'stream_exists' AND current_revision >= 0)
                OR (expected ~ '^[0-9]+$' AND current_revision = expected::bigint)) THEN
              outcomes[i] := 'wrong_expected_version';
              details[i] := current_revision::text;
            ELSE
              FOR k IN first .. first + p_counts[i] - 1 LOOP
                ev_stream[k] := p_streams[i];
                ev_revision[k] := current_revision + (k - first + 1);
                ev_ordinal[k] := i;
              END LOOP;
              revisions[s] := current_revision + p_counts[i];
              new_revisions[i] := revisions[s];
              outcomes[i] := 'appended';
            END IF;
            first := first + p_counts[i];
          END LOOP;

          WITH inserted AS (
            INSERT INTO es_events (stream_name, revision, event_id, type, data, metadata)
            SELECT u.st, u.rev, u.id, u.ty, u.d, u.m
              FROM unnest(ev_stream, ev_revision, p_event_ids, p_types, p_data, p_metadata) AS u(st, rev, id, ty, d, m)
             WHERE u.rev IS NOT NULL
            RETURNING es_events.event_id, es_events.position, es_events.transaction_id
          )
          SELECT array_agg(p.ord), array_agg(p.last_position), array_agg(p.last_transaction)
            INTO written_ordinals, written_positions, written_transactions
            FROM (SELECT o.ord, max(inserted.position) AS last_position, max(inserted.transaction_id)::text AS last_transaction
                    FROM inserted JOIN unnest(p_event_ids, ev_ordinal) AS o(id, ord) ON o.id = inserted.event_id
                   GROUP BY o.ord) p;

          UPDATE es_streams es SET revision = u.rev
            FROM unnest(names, revisions) AS u(st, rev)
           WHERE es.stream_name = u.st AND es.revision <> u.rev;
          -- A placeholder whose appends all failed leaves no trace.
          DELETE FROM es_streams es WHERE es.stream_name = ANY (created) AND es.revision = -1;
          PERFORM pg_notify('es_appended', '');
        EXCEPTION WHEN unique_violation THEN
          -- Another transaction stored one of these event ids after the check above; nothing of this
          -- block remains.
          RETURN QUERY SELECT * FROM es_append_each(p_streams, p_expected, p_counts, p_event_ids, p_types, p_data, p_metadata);
          RETURN;
        END;

        RETURN QUERY
          SELECT a.i::int, a.outcome, a.revision, w.position, w.tx, a.detail
            FROM unnest(outcomes, new_revisions, details) WITH ORDINALITY AS a(outcome, revision, detail, i)
            LEFT JOIN unnest(written_ordinals, written_positions, written_transactions) AS w(ord, position, tx)
                   ON w.ord = a.i
           ORDER BY a.i;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION es_append_many`);
    await q.query(`ALTER FUNCTION es_append_each RESET enable_seqscan`);
    await q.query(`ALTER FUNCTION es_append RESET enable_seqscan`);
    await q.query(`ALTER FUNCTION es_append_each RENAME TO es_append_many`);
  }
}
