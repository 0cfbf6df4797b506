import {
  EventStore,
  GlobalPosition,
  NO_STREAM,
  RecordedEvent,
  START,
  WrongExpectedVersion,
  comparePositions,
  parsePositionKey,
  positionKey,
} from './event-store';
import {
  ChainAnchor,
  ChainProblemKind,
  ChainVerification,
  CHAIN_PAGE,
  eventChainHash,
  keysetPages,
} from './postgres/audit-chain';

/** Where a store without a chain table keeps its chain: links, in order, as events of their own. */
export const AUDIT_CHAIN_STREAM = 'auditchain-links';
/** Events one link covers: a link holds each event's position and hash. */
const LINK_SIZE = 200;
const GENESIS: Buffer = Buffer.alloc(32);

interface LinkData {
  /** Events chained before this link. */
  from: number;
  positions: string[];
  hashes: string[];
}

/** The event as the store reads it, hashed as the PostgreSQL chain hashes its rows. */
const eventHash = (previous: Buffer, e: RecordedEvent): Buffer =>
  eventChainHash(previous, {
    stream: e.streamName,
    revision: e.revision.toString(),
    eventId: e.eventId,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  });

interface Head {
  revision: bigint | null;
  count: number;
  position: GlobalPosition;
  hash: Buffer;
}

/**
 * The audit chain of a store without tables of its own (KurrentDB, the in-memory store): the same
 * SHA-256 chain over the log in its order as the PostgreSQL store keeps, written as link events on
 * the stream `auditchain-links` (each with the positions and hashes of up to 200 events). Writers
 * append links with the expected revision, so two extending at once cannot fork it. Limits: the chain
 * covers events as the store reads them (an upcaster added later changes the reading, and so the
 * hashes: chain with the upcasters it was made with), and an event is chained only once `extend` ran
 * after it; a link stream deleted with the events is found only against an anchor kept elsewhere.
 */
export class LogAuditChain {
  private head: Head = { revision: null, count: 0, position: START, hash: GENESIS };

  constructor(private readonly store: EventStore) {}

  /** Chains up to `max` events appended after the head; answers how many it chained. */
  async extend(max = 5_000): Promise<number> {
    await this.catchUp();
    const events = (await this.store.readAll({ fromPosition: this.head.position, maxCount: max })).filter(
      (e) => e.streamName !== AUDIT_CHAIN_STREAM,
    );
    let chained = 0;
    for (let i = 0; i < events.length; i += LINK_SIZE) {
      const batch = events.slice(i, i + LINK_SIZE);
      let hash = this.head.hash;
      const hashes: string[] = [];
      for (const e of batch) {
        hash = eventHash(hash, e);
        hashes.push(hash.toString('hex'));
      }
      const data: LinkData = {
        from: this.head.count,
        positions: batch.map((e) => positionKey(e.position)),
        hashes,
      };
      try {
        const appended = await this.store.appendToStream(
          AUDIT_CHAIN_STREAM,
          [
            {
              type: 'AuditChainExtended',
              data,
              metadata: { correlationId: 'audit-chain', causationId: null, actor: 'system:audit-chain' },
            },
          ],
          this.head.revision ?? NO_STREAM,
        );
        this.head = {
          revision: appended.nextExpectedRevision,
          count: this.head.count + batch.length,
          position: batch[batch.length - 1].position,
          hash,
        };
        chained += batch.length;
      } catch (error) {
        // Another writer extended it meanwhile: it carries on from there next time.
        if (error instanceof WrongExpectedVersion) return chained;
        throw error;
      }
    }
    return chained;
  }

  async anchor(): Promise<ChainAnchor | null> {
    await this.catchUp();
    if (this.head.count === 0) return null;
    return {
      count: this.head.count,
      position: positionKey(this.head.position),
      hash: this.head.hash.toString('hex'),
    };
  }

  /** Recomputes the chain from the log, oldest first, and reports the first break. */
  async verify(
    anchor?: { count: number; hash: string } | null,
    onProgress?: (checked: number, total: number) => void,
  ): Promise<ChainVerification> {
    await this.catchUp();
    const total = this.head.count;
    const headAnchor = await this.anchor();
    const broken = (kind: ChainProblemKind, position: string, detail: string): ChainVerification => ({
      ok: false,
      checked: 0,
      problem: { kind, position, detail },
      head: headAnchor,
    });
    const events = this.logEvents();
    let previous: Buffer = GENESIS;
    let checked = 0;
    let event = await events.next();
    for await (const link of this.links()) {
      for (let i = 0; i < link.positions.length; i++) {
        const position = link.positions[i];
        const seq = link.from + i + 1;
        const linked = parsePositionKey(position);
        // An event of the log the chain does not hold, where the chain goes on past it.
        if (event && comparePositions(event.position, linked) < 0) {
          return broken(
            'inserted',
            positionKey(event.position),
            `${event.streamName}@${event.revision} was never chained`,
          );
        }
        if (!event || comparePositions(event.position, linked) > 0) {
          return broken('deleted', position, `event ${seq} of the chain is no longer in the log`);
        }
        const hash = eventHash(previous, event);
        if (hash.toString('hex') !== link.hashes[i]) {
          return broken(
            'altered',
            position,
            `event ${seq} (${event.streamName}@${event.revision}) is not what was chained`,
          );
        }
        previous = hash;
        checked++;
        if (anchor && checked === anchor.count && link.hashes[i] !== anchor.hash) {
          return broken(
            'rewritten',
            position,
            `the chain up to event ${seq} is not the one anchored (${anchor.hash})`,
          );
        }
        if (onProgress && checked % 10_000 === 0) onProgress(checked, total);
        event = await events.next();
      }
    }
    if (anchor && anchor.count > checked) {
      return broken(
        'rewritten',
        headAnchor?.position ?? '',
        `the chain is shorter (${checked}) than the anchor (${anchor.count})`,
      );
    }
    onProgress?.(checked, total);
    return { ok: true, checked, problem: null, head: headAnchor };
  }

  /** Follows links other writers appended since this instance last looked. */
  private async catchUp(): Promise<void> {
    const links = this.linkEvents(this.head.revision);
    for (let link = await links.next(); link; link = await links.next()) {
      const data = link.data as LinkData;
      this.head = {
        revision: link.revision,
        count: data.from + data.positions.length,
        position: parsePositionKey(data.positions[data.positions.length - 1]),
        hash: Buffer.from(data.hashes[data.hashes.length - 1], 'hex'),
      };
    }
  }

  private async *links(): AsyncGenerator<LinkData> {
    const links = this.linkEvents(null);
    for (let link = await links.next(); link; link = await links.next()) yield link.data as LinkData;
  }

  /** The chain's link events after a revision (null: all of them). */
  private linkEvents(after: bigint | null) {
    return keysetPages<RecordedEvent>((last) => {
      const from = last?.revision ?? after;
      return this.store.readStream(AUDIT_CHAIN_STREAM, {
        fromRevision: from === null ? 0n : from + 1n,
        maxCount: CHAIN_PAGE,
      });
    });
  }

  /** The log's events other than the chain's own, one at a time, read a page at a time. */
  private logEvents(): { next(): Promise<RecordedEvent | null> } {
    const all = keysetPages<RecordedEvent>((last) =>
      this.store.readAll({ fromPosition: last?.position ?? START, maxCount: CHAIN_PAGE }),
    );
    return {
      async next() {
        let event = await all.next();
        while (event && event.streamName === AUDIT_CHAIN_STREAM) event = await all.next();
        return event;
      },
    };
  }
}
