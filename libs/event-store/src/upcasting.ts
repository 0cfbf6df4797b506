import { RecordedEvent } from './event-store';

/**
 * Lifts a stored event of an older shape to the current one on read. Registered per event type and
 * from-version; applied in order until the event is current, so stored history never needs rewriting.
 */
export interface Upcaster {
  type: string;
  fromVersion: number;
  upcast(event: RecordedEvent): RecordedEvent;
}

export class Upcasters {
  private readonly byType = new Map<string, Upcaster[]>();

  constructor(upcasters: Upcaster[] = []) {
    for (const u of upcasters) {
      const list = this.byType.get(u.type) ?? [];
      list.push(u);
      list.sort((a, b) => a.fromVersion - b.fromVersion);
      this.byType.set(u.type, list);
    }
  }

  apply(event: RecordedEvent): RecordedEvent {
    let current = event;
    for (;;) {
      const version = current.metadata.schemaVersion ?? 1;
      const next = this.byType.get(current.type)?.find((u) => u.fromVersion === version);
      if (!next) return current;
      const lifted = next.upcast(current);
      if ((lifted.metadata.schemaVersion ?? 1) <= version) {
        throw new Error(`Upcaster for ${current.type} v${version} did not raise the schema version`);
      }
      current = lifted;
    }
  }
}
