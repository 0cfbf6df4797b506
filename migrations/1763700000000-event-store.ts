import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event log. Readers take events in (transaction_id, position) order and only below the oldest
 * transaction still running, so an event becomes visible after every event that precedes it in that
 * order has committed or rolled back: subscribers never skip one that commits late.
 */
export class EventStore1763700000000 implements MigrationInterface {
  name = 'EventStore1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE es_streams (
        stream_name text PRIMARY KEY,
        revision    bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE es_events (
        position       bigserial PRIMARY KEY,
        transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
        stream_name    text        NOT NULL,
        revision       bigint      NOT NULL,
        event_id       uuid        NOT NULL UNIQUE,
        type           text        NOT NULL,
        data           jsonb       NOT NULL,
        metadata       jsonb       NOT NULL,
        recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        UNIQUE (stream_name, revision)
      )`);
    await q.query(`CREATE INDEX es_events_log_order ON es_events (transaction_id, position)`);
    // One round trip per append: lock the stream row, check idempotency and the expected revision,
    // insert, bump the revision, notify listeners (delivered on commit).
    await q.query(`
      CREATE FUNCTION es_append(
        p_stream text, p_expected text, p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (outcome text, revision bigint, last_position bigint, last_transaction text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        current_revision bigint;
        known_count int;
        known_same_stream boolean;
        n int := coalesce(array_length(p_event_ids, 1), 0);
      BEGIN
        SELECT s.revision INTO current_revision FROM es_streams s WHERE s.stream_name = p_stream FOR UPDATE;
        IF NOT FOUND THEN
          -- A placeholder row to lock; it is only committed together with the stream's first events.
          INSERT INTO es_streams (stream_name, revision) VALUES (p_stream, -1) ON CONFLICT DO NOTHING;
          SELECT s.revision INTO current_revision FROM es_streams s WHERE s.stream_name = p_stream FOR UPDATE;
        END IF;

        SELECT count(*), coalesce(bool_and(e.stream_name = p_stream), true)
          INTO known_count, known_same_stream
          FROM es_events e WHERE e.event_id = ANY (p_event_ids);
        IF known_count > 0 THEN
          IF known_count = n AND known_same_stream THEN
            RETURN QUERY SELECT 'duplicate'::text, max(e.revision), max(e.position), max(e.transaction_id)::text
              FROM es_events e WHERE e.event_id = ANY (p_event_ids);
            RETURN;
          END IF;
          RAISE EXCEPTION 'duplicate_event_id' USING ERRCODE = 'P0001', DETAIL = p_stream;
        END IF;

        IF NOT (p_expected = 'any'
            OR (p_expected = 'no_stream' AND current_revision = -1)
            OR (p_expected = 'stream_exists' AND current_revision >= 0)
            OR (p_expected ~ '^[0-9]+$' AND current_revision = p_expected::bigint)) THEN
          RAISE EXCEPTION 'wrong_expected_version' USING ERRCODE = 'P0001', DETAIL = current_revision::text;
        END IF;

        IF n = 0 THEN
          RAISE EXCEPTION 'empty_append' USING ERRCODE = 'P0001', DETAIL = current_revision::text;
        END IF;

        RETURN QUERY
          WITH inserted AS (
            INSERT INTO es_events (stream_name, revision, event_id, type, data, metadata)
            SELECT p_stream, current_revision + t.i, t.id, t.ty, t.d, t.m
              FROM unnest(p_event_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS t(id, ty, d, m, i)
            RETURNING es_events.position, es_events.transaction_id
          )
          SELECT 'appended'::text, current_revision + n, max(inserted.position), max(inserted.transaction_id)::text
            FROM inserted;
        UPDATE es_streams SET revision = current_revision + n WHERE stream_name = p_stream;
        PERFORM pg_notify('es_appended', '');
      END $$`);
    // Group commit: many appends (to different or the same streams) in one transaction and one round
    // trip. Each append runs in its own subtransaction, so a conflict fails only that append; the
    // outcome of each comes back as a row. Callers pass appends sorted by stream to lock in one order.
    await q.query(`
      CREATE FUNCTION es_append_many(
        p_streams text[], p_expected text[], p_counts int[],
        p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[]
      ) RETURNS TABLE (ordinal int, outcome text, revision bigint, last_position bigint, last_transaction text, detail text)
      LANGUAGE plpgsql AS $$
      #variable_conflict use_column
      DECLARE
        i int;
        first int := 1;
        last int;
        r record;
      BEGIN
        FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
          last := first + p_counts[i] - 1;
          BEGIN
            SELECT * INTO r FROM es_append(p_streams[i], p_expected[i], p_event_ids[first:last], p_types[first:last],
                                           p_data[first:last], p_metadata[first:last]);
            RETURN QUERY SELECT i, r.outcome, r.revision, r.last_position, r.last_transaction, NULL::text;
          EXCEPTION WHEN raise_exception OR unique_violation THEN
            DECLARE
              message text;
              detail text;
              constraint_name text;
            BEGIN
              GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, constraint_name = CONSTRAINT_NAME;
              RETURN QUERY SELECT i, CASE WHEN constraint_name = 'es_events_event_id_key' THEN 'duplicate_event_id' ELSE message END,
                                  NULL::bigint, NULL::bigint, NULL::text, detail;
            END;
          END;
          first := last + 1;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION es_append_many`);
    await q.query(`DROP FUNCTION es_append`);
    await q.query(`DROP TABLE es_events`);
    await q.query(`DROP TABLE es_streams`);
  }
}
