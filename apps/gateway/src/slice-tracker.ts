/**
 * Causes are kept past an order's end (a late fill still follows from its submit), the oldest let go
 * beyond this many; a report whose cause is gone is recorded under its slice's id.
 */
const MAX_CAUSES = 200_000;

function trim<K, V>(map: Map<K, V>): void {
  while (map.size > MAX_CAUSES) map.delete(map.keys().next().value as K);
}

/** An event and the request (correlation id) it belongs to. */
export interface Cause {
  correlationId: string;
  eventId: string;
}

/**
 * What this gateway knows about the slices it works with, beyond the log: which may be working at
 * each venue (from its record and what it sent), and when it sent them and their replaces (a slice
 * still on the wire is not sent or asked about again; ack and fill latency count from the first send).
 */
export class SliceTracker {
  /** Per venue: childId → orderId. */
  private readonly working = new Map<string, Map<string, string>>();
  private readonly sentAt = new Map<string, number>();
  private readonly firstSentAt = new Map<string, number>();
  private readonly replaceSentAt = new Map<string, number>();
  /** Per slice: the request it belongs to and the event that sent it. */
  private readonly submittedBy = new Map<string, { correlationId: string; eventId: string }>();
  /** Per order: the latest cancel or replace request, which the venue's answers follow from. */
  private readonly requestedBy = new Map<string, { cancel?: Cause; replace?: Cause }>();

  constructor(venueIds: Iterable<string>) {
    for (const venueId of venueIds) this.working.set(venueId, new Map());
  }

  /** May be working at its venue. */
  track(venueId: string, childId: string, orderId: string): void {
    this.working.get(venueId)?.set(childId, orderId);
  }

  /** The event that sent a slice (VenueOrderSubmitted), and the request it belongs to. */
  submitted(childId: string, cause: Cause): void {
    this.submittedBy.set(childId, cause);
    trim(this.submittedBy);
  }

  /** A client's (or a halt's, an expiry's) cancel or replace request of an order. */
  requested(orderId: string, kind: 'cancel' | 'replace', cause: Cause): void {
    this.requestedBy.set(orderId, { ...this.requestedBy.get(orderId), [kind]: cause });
    trim(this.requestedBy);
  }

  /** A request the venue has answered for good (a cancel it refused): nothing later follows from it. */
  answered(orderId: string, kind: 'cancel' | 'replace'): void {
    const requests = this.requestedBy.get(orderId);
    if (requests) this.requestedBy.set(orderId, { ...requests, [kind]: undefined });
  }

  /**
   * What a venue's report about a slice follows from: its cancel or replace request for the answers to
   * those, the submit for everything else. Unknown (a gateway restarted since) when null.
   */
  causeOf(orderId: string, childId: string, answers: 'cancel' | 'replace' | null): Cause | null {
    const request = answers ? this.requestedBy.get(orderId)?.[answers] : undefined;
    return request ?? this.submittedBy.get(childId) ?? null;
  }

  /** The metadata of what the gateway records about a slice: the request it follows from, when known. */
  metadataFor(
    orderId: string,
    childId: string,
    answers: 'cancel' | 'replace' | null,
    actor: string,
  ): { correlationId: string; causationId: string | null; actor: string } {
    const cause = this.causeOf(orderId, childId, answers);
    return { correlationId: cause?.correlationId ?? childId, causationId: cause?.eventId ?? null, actor };
  }

  /** Stopped working: nothing more to ask about. */
  forget(venueId: string, childId: string): void {
    this.working.get(venueId)?.delete(childId);
    this.firstSentAt.delete(childId);
    this.sentAt.delete(childId);
  }

  workingAt(venueId: string): [childId: string, orderId: string][] {
    return [...(this.working.get(venueId) ?? [])];
  }

  sent(childId: string, at: number): void {
    this.sentAt.set(childId, at);
    if (!this.firstSentAt.has(childId)) this.firstSentAt.set(childId, at);
  }

  /** The venue answered: the slice is no longer on the wire. */
  heardOf(childId: string): void {
    this.sentAt.delete(childId);
  }

  /** Sent less than `withinMs` ago and not heard of since. */
  onTheWire(childId: string, now: number, withinMs: number): boolean {
    const sent = this.sentAt.get(childId);
    return sent !== undefined && now - sent < withinMs;
  }

  firstSent(childId: string): number | undefined {
    return this.firstSentAt.get(childId);
  }

  replaceSent(childId: string, at: number): void {
    this.replaceSentAt.set(childId, at);
  }

  replaceAnswered(childId: string): void {
    this.replaceSentAt.delete(childId);
  }

  replaceOnTheWire(childId: string, now: number, withinMs: number): boolean {
    const sent = this.replaceSentAt.get(childId);
    return sent !== undefined && now - sent < withinMs;
  }
}
