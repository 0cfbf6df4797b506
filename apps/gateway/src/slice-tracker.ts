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

  constructor(venueIds: Iterable<string>) {
    for (const venueId of venueIds) this.working.set(venueId, new Map());
  }

  /** May be working at its venue. */
  track(venueId: string, childId: string, orderId: string): void {
    this.working.get(venueId)?.set(childId, orderId);
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
