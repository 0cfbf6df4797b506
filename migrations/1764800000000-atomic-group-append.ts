import { MigrationInterface, QueryRunner } from 'typeorm';

/** What a commit appended (see AppendNotice1763900000000): categories and types, for subscribers' filters. */
const NOTICE = `PERFORM pg_notify('es_appended', coalesce((
            SELECT string_agg(DISTINCT x.tag, ',') FROM (
              SELECT 'c:' || split_part(u.st, '-', 1) AS tag FROM unnest(ev_stream) AS u(st) WHERE u.st IS NOT NULL
              UNION SELECT 't:' || u.ty FROM unnest(ev_stream, p_types) AS u(st, ty) WHERE u.st IS NOT NULL) x), ''));`;

/**
 * Atomic appends to several streams join the group commit (issue 14). Each append of a group now
 * belongs to a unit (`p_units`, the caller's arrival order): a single-stream append is a unit of one,
 * an atomic multi-stream append a unit of several. A unit commits whole or not at all; the other units
 * of the group are decided as if it had never been sent. A member without events checks its stream's
 * revision (outcome `checked`) and writes nothing.
 *
 * The set-based path decides the units in arrival order, each against the revisions the units before
 * it left; a unit with a member whose expected revision does not hold writes nothing (`aborted` on its
 * other members). The append-by-append path (retried ids, races on an
 * id) locks every stream of the group first, in name order, then writes unit by unit, each in its own
 * subtransaction.
 *
 * The previous seven-argument functions stay as they were (PostgreSQL overloads by argument types), so
 * `down` only has to drop these; nothing calls them any more.
 */
export class AtomicGroupAppend1764800000000 implements MigrationInterface {
  name = 'AtomicGroupAppend1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION es_append_each(
        p_streams text[], p_expected text[], p_counts int[], p_units int[],
        p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (ordinal int, outcome text, revision bigint, last_position bigint, last_transaction text, detail text)
      LANGUAGE plpgsql SET enable_seqscan = off AS $$
      #variable_conflict use_column
      DECLARE
        n int := coalesce(array_length(p_streams, 1), 0);
        firsts int[] := array_fill(1, ARRAY[greatest(n, 1)]);
        outcomes text[] := array_fill(NULL::text, ARRAY[greatest(n, 1)]);
        revisions bigint[] := array_fill(NULL::bigint, ARRAY[greatest(n, 1)]);
        positions bigint[] := array_fill(NULL::bigint, ARRAY[greatest(n, 1)]);
        transactions text[] := array_fill(NULL::text, ARRAY[greatest(n, 1)]);
        details text[] := array_fill(NULL::text, ARRAY[greatest(n, 1)]);
        created text[];
        unit int;
        i int;
        last int;
        current_revision bigint;
        r record;
      BEGIN
        IF n = 0 THEN
          RETURN;
        END IF;
        FOR i IN 2 .. n LOOP
          firsts[i] := firsts[i - 1] + p_counts[i - 1];
        END LOOP;
        -- Every stream of the group locked first, in name order: units can then go in any order.
        WITH ins AS (
          INSERT INTO es_streams (stream_name, revision)
          SELECT DISTINCT st COLLATE "C", -1 FROM unnest(p_streams) st ORDER BY 1
          ON CONFLICT DO NOTHING
          RETURNING es_streams.stream_name
        )
        SELECT array_agg(ins.stream_name) INTO created FROM ins;
        PERFORM 1 FROM es_streams es WHERE es.stream_name = ANY (p_streams)
          ORDER BY es.stream_name COLLATE "C" FOR UPDATE;

        FOR unit IN SELECT DISTINCT u FROM unnest(p_units) u ORDER BY u LOOP
          i := NULL;
          BEGIN
            FOR i IN SELECT k FROM generate_series(1, n) k WHERE p_units[k] = unit ORDER BY k LOOP
              IF p_counts[i] = 0 THEN
                SELECT es.revision INTO current_revision FROM es_streams es WHERE es.stream_name = p_streams[i];
                IF NOT (p_expected[i] = 'any'
                    OR (p_expected[i] = 'no_stream' AND current_revision = -1)
                    OR (p_expected[i] = 'stream_exists' AND current_revision >= 0)
                    OR (p_expected[i] ~ '^[0-9]+$' AND current_revision = p_expected[i]::bigint)) THEN
                  RAISE EXCEPTION 'wrong_expected_version' USING ERRCODE = 'P0001', DETAIL = current_revision::text;
                END IF;
                outcomes[i] := 'checked';
                revisions[i] := current_revision;
              ELSE
                last := firsts[i] + p_counts[i] - 1;
                SELECT * INTO r FROM es_append(p_streams[i], p_expected[i], p_event_ids[firsts[i]:last],
                                               p_types[firsts[i]:last], p_data[firsts[i]:last], p_metadata[firsts[i]:last]);
                outcomes[i] := r.outcome;
                revisions[i] := r.revision;
                positions[i] := r.last_position;
                transactions[i] := r.last_transaction;
              END IF;
            END LOOP;
          EXCEPTION WHEN raise_exception OR unique_violation THEN
            DECLARE
              message text;
              failure_detail text;
              constraint_name text;
              k int;
            BEGIN
              GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, failure_detail = PG_EXCEPTION_DETAIL, constraint_name = CONSTRAINT_NAME;
              -- Nothing of the unit remains; the member that failed says why.
              FOR k IN SELECT k2 FROM generate_series(1, n) k2 WHERE p_units[k2] = unit LOOP
                outcomes[k] := 'aborted';
                revisions[k] := NULL;
                positions[k] := NULL;
                transactions[k] := NULL;
              END LOOP;
              IF i IS NOT NULL THEN
                outcomes[i] := CASE WHEN constraint_name = 'es_events_event_id_key' THEN 'duplicate_event_id' ELSE message END;
                details[i] := failure_detail;
              END IF;
            END;
          END;
        END LOOP;
        -- A placeholder whose appends all failed leaves no trace.
        DELETE FROM es_streams es WHERE es.stream_name = ANY (created) AND es.revision = -1;

        RETURN QUERY
          SELECT a.i::int, a.outcome, a.revision, a.position, a.tx, a.detail
            FROM unnest(outcomes, revisions, positions, transactions, details) WITH ORDINALITY
                 AS a(outcome, revision, position, tx, detail, i)
           WHERE a.i <= n
           ORDER BY a.i;
      END $$`);

    await q.query(`
      CREATE FUNCTION es_append_many(
        p_streams text[], p_expected text[], p_counts int[], p_units int[],
        p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (ordinal int, outcome text, revision bigint, last_position bigint, last_transaction text, detail text)
      LANGUAGE plpgsql SET enable_seqscan = off AS $$
      #variable_conflict use_column
      DECLARE
        n int := coalesce(array_length(p_streams, 1), 0);
        total int := coalesce(array_length(p_event_ids, 1), 0);
        created text[];
        names text[];
        locked bigint[];
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
        row_of int[] := array_fill(NULL::int, ARRAY[greatest(n, 1)]);
        by_unit int[];
        unit int;
        unit_ok boolean;
        i int;
        j int;
        k int;
        m int;
        s int;
        first int;
        current_revision bigint;
        expected text;
      BEGIN
        IF n = 0 THEN
          RETURN;
        END IF;
        IF total > 0 AND (EXISTS (SELECT 1 FROM es_events e WHERE e.event_id = ANY (p_event_ids))
           OR (SELECT count(DISTINCT id) FROM unnest(p_event_ids) id) < total) THEN
          RETURN QUERY SELECT * FROM es_append_each(p_streams, p_expected, p_counts, p_units, p_event_ids, p_types, p_data, p_metadata);
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
            INTO names, locked
            FROM (SELECT es.stream_name, es.revision FROM es_streams es
                   WHERE es.stream_name = ANY (p_streams) ORDER BY es.stream_name COLLATE "C" FOR UPDATE) l;

          -- Each member's stream row, in one pass (members come in name order, as the rows do).
          s := 0;
          FOR i IN 1 .. n LOOP
            IF s = 0 OR names[s] <> p_streams[i] THEN
              -- Both lists are in name order, so this is the next name unless the caller sorted otherwise.
              IF names[s + 1] = p_streams[i] THEN s := s + 1; ELSE s := array_position(names, p_streams[i]); END IF;
              IF s IS NULL THEN
                RAISE EXCEPTION 'stream row of % not found', p_streams[i];
              END IF;
            END IF;
            row_of[i] := s;
          END LOOP;

          -- Units in arrival order, each against what the units before it left: all of its members
          -- meet their expected revisions, or none is written. (One unit names each stream once.)
          revisions := locked;
          outcomes := array_fill(NULL::text, ARRAY[n]);
          details := array_fill(NULL::text, ARRAY[n]);
          new_revisions := array_fill(NULL::bigint, ARRAY[n]);
          SELECT array_agg(o ORDER BY p_units[o], o) INTO by_unit FROM generate_series(1, n) o;
          j := 1;
          WHILE j <= n LOOP
            unit := p_units[by_unit[j]];
            k := j;
            unit_ok := true;
            WHILE k <= n AND p_units[by_unit[k]] = unit LOOP
              i := by_unit[k];
              current_revision := revisions[row_of[i]];
              expected := p_expected[i];
              IF NOT (expected = 'any'
                  OR (expected = 'no_stream' AND current_revision = -1)
                  OR (expected = 'stream_exists' AND current_revision >= 0)
                  OR (expected ~ '^[0-9]+$' AND current_revision = expected::bigint)) THEN
                outcomes[i] := 'wrong_expected_version';
                details[i] := current_revision::text;
                unit_ok := false;
              END IF;
              k := k + 1;
            END LOOP;
            FOR m IN j .. k - 1 LOOP
              i := by_unit[m];
              IF NOT unit_ok THEN
                outcomes[i] := coalesce(outcomes[i], 'aborted');
              ELSIF p_counts[i] = 0 THEN
                outcomes[i] := 'checked';
                new_revisions[i] := revisions[row_of[i]];
              ELSE
                revisions[row_of[i]] := revisions[row_of[i]] + p_counts[i];
                new_revisions[i] := revisions[row_of[i]];
                outcomes[i] := 'appended';
              END IF;
            END LOOP;
            j := k;
          END LOOP;

          -- The events of every member written, in member order (a stream's units in arrival order).
          ev_stream := array_fill(NULL::text, ARRAY[greatest(total, 1)]);
          ev_revision := array_fill(NULL::bigint, ARRAY[greatest(total, 1)]);
          ev_ordinal := array_fill(NULL::int, ARRAY[greatest(total, 1)]);
          first := 1;
          FOR i IN 1 .. n LOOP
            IF outcomes[i] = 'appended' THEN
              FOR k IN first .. first + p_counts[i] - 1 LOOP
                ev_stream[k] := p_streams[i];
                ev_revision[k] := new_revisions[i] - p_counts[i] + (k - first + 1);
                ev_ordinal[k] := i;
              END LOOP;
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
          IF written_ordinals IS NOT NULL THEN
            ${NOTICE}
          END IF;
        EXCEPTION WHEN unique_violation THEN
          -- Another transaction stored one of these event ids after the check above; nothing of this
          -- block remains.
          RETURN QUERY SELECT * FROM es_append_each(p_streams, p_expected, p_counts, p_units, p_event_ids, p_types, p_data, p_metadata);
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
    await q.query(
      `DROP FUNCTION es_append_many(text[], text[], int[], int[], uuid[], text[], jsonb[], jsonb[])`,
    );
    await q.query(
      `DROP FUNCTION es_append_each(text[], text[], int[], int[], uuid[], text[], jsonb[], jsonb[])`,
    );
  }
}
