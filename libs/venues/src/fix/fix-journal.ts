import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'fs';
import { join } from 'path';
import { FixMsgStoreRecord, IFixMsgStoreRecord, IFixSessionStore, SessionId } from 'jspurefix';

/** One outbound application message, as written before it went on the wire. */
export interface JournaledMessage {
  seq: number;
  msgType: string;
  /** The message body as the session encoded it (jspurefix's object form). */
  body: Record<string, unknown>;
  /** When it was first sent (its SendingTime); a re-send carries it as OrigSendingTime. */
  sentAt: string;
}

/** A replace the venue confirmed: the order now goes by this ClOrdID, at these terms. */
export interface ConfirmedReplace {
  childId: string;
  clOrdId: string;
  quantity: string;
  limitPrice: string | null;
}

/** An order message from before a sequence reset: still tells which orders were sent, never re-sent. */
interface EarlierOrderMessage {
  msgType: string;
  body: Record<string, unknown>;
}

type Entry =
  | ({ k: 'sent' } & JournaledMessage)
  | ({ k: 'replaced' } & ConfirmedReplace)
  | ({ k: 'earlier' } & EarlierOrderMessage);

/** NewOrderSingle, cancel and replace requests: what the adapter must remember of the orders it sent. */
const ORDER_MESSAGE_TYPES = new Set(['D', 'F', 'G']);

/**
 * A FIX session's durable state, under its own directory: the sequence numbers (`seqnums.json`,
 * replaced atomically) and a journal of every outbound application message, written and flushed to
 * disk before the message is handed to the socket (`journal.jsonl`). The journal is what answers a
 * counterparty's ResendRequest with the real messages, and what tells a restarted adapter which
 * orders it sent and under which ClOrdIDs.
 *
 * It is also jspurefix's session store (sequence numbers only: the engine's own message store is
 * never read back, see `../shared/notes/fix-interop.md`). The peer's sequence number is persisted
 * `targetLagMs` behind what arrived, so that a crash before the gateway recorded a report makes
 * the restarted session ask for it again rather than lose it (duplicates are dropped by ExecID).
 */
export class FixJournal implements IFixSessionStore {
  readonly creationTime = new Date();
  private sender = 1;
  private target = 1;
  /** Targets seen, oldest first, with when: persisted once they are `targetLagMs` old. */
  private readonly pendingTargets: { value: number; at: number }[] = [];
  private persistedTarget = 1;
  private readonly messages = new Map<number, JournaledMessage>();
  private readonly replaces = new Map<string, ConfirmedReplace>();
  private readonly earlier: EarlierOrderMessage[] = [];
  private fd: number | null = null;

  constructor(
    readonly sessionId: SessionId,
    private readonly directory: string,
    private readonly now: () => number = Date.now,
    private readonly targetLagMs = 2_000,
  ) {
    mkdirSync(directory, { recursive: true });
    this.load();
  }

  private get seqnumsPath(): string {
    return join(this.directory, 'seqnums.json');
  }

  private get journalPath(): string {
    return join(this.directory, 'journal.jsonl');
  }

  private load(): void {
    if (existsSync(this.seqnumsPath)) {
      const saved = JSON.parse(readFileSync(this.seqnumsPath, 'utf8')) as { sender: number; target: number };
      this.sender = saved.sender;
      this.target = this.persistedTarget = saved.target;
    }
    if (existsSync(this.journalPath)) {
      for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
        if (!line) continue;
        let entry: Entry;
        try {
          entry = JSON.parse(line) as Entry;
        } catch {
          continue; // a line torn by a crash mid-write was never flushed, so never sent
        }
        if (entry.k === 'sent') {
          const { k: _k, ...message } = entry;
          this.messages.set(message.seq, message);
          // Written before it was sent: the next message must not reuse its number.
          this.sender = Math.max(this.sender, message.seq + 1);
        } else if (entry.k === 'replaced') {
          const { k: _k, ...replace } = entry;
          this.replaces.set(replace.childId, replace);
        } else {
          const { k: _k, ...message } = entry;
          this.earlier.push(message);
        }
      }
    }
  }

  private append(entry: Entry): void {
    this.fd ??= openSync(this.journalPath, 'a');
    writeSync(this.fd, JSON.stringify(entry) + '\n');
    fdatasyncSync(this.fd);
  }

  private persistSeqnums(): void {
    const tmp = `${this.seqnumsPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ sender: this.sender, target: this.persistedTarget }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.seqnumsPath);
  }

  /** Writes an outbound application message ahead of sending it under `seq`. */
  journal(message: JournaledMessage): void {
    this.append({ k: 'sent', ...message });
    this.messages.set(message.seq, message);
    this.sender = Math.max(this.sender, message.seq + 1);
  }

  /** The SendingTime it actually went out with (a message journaled just before a crash keeps its own). */
  markSent(seq: number, sentAt: Date): void {
    const message = this.messages.get(seq);
    if (message) message.sentAt = sentAt.toISOString();
  }

  recordReplace(replace: ConfirmedReplace): void {
    this.append({ k: 'replaced', ...replace });
    this.replaces.set(replace.childId, replace);
  }

  /** Journaled application messages from `from` to `to` inclusive, in sequence. */
  sentBetween(from: number, to: number): JournaledMessage[] {
    const found: JournaledMessage[] = [];
    for (const [seq, message] of this.messages) if (seq >= from && seq <= to) found.push(message);
    return found.sort((a, b) => a.seq - b.seq);
  }

  sent(seq: number): JournaledMessage | null {
    return this.messages.get(seq) ?? null;
  }

  /** Every NewOrderSingle, cancel and replace request ever sent, oldest first (across sequence resets). */
  orderMessages(): EarlierOrderMessage[] {
    const current = [...this.messages.values()]
      .sort((a, b) => a.seq - b.seq)
      .filter((m) => ORDER_MESSAGE_TYPES.has(m.msgType));
    return [...this.earlier, ...current.map(({ msgType, body }) => ({ msgType, body }))];
  }

  confirmedReplaces(): ConfirmedReplace[] {
    return [...this.replaces.values()];
  }

  // --- jspurefix's session store: sequence numbers ---------------------------------------------

  get senderSeqNum(): number {
    return this.sender;
  }

  set senderSeqNum(value: number) {
    this.sender = value;
  }

  get targetSeqNum(): number {
    return this.target;
  }

  set targetSeqNum(value: number) {
    this.target = value;
  }

  async setSenderSeqNum(value: number): Promise<void> {
    // Never backwards: the journal may already hold a message under a higher number.
    this.sender = Math.max(this.sender, value);
    this.persistTargetsDue();
    this.persistSeqnums();
  }

  async setTargetSeqNum(value: number): Promise<void> {
    this.target = value;
    this.pendingTargets.push({ value, at: this.now() });
    if (this.persistTargetsDue()) this.persistSeqnums();
  }

  /** Moves the persisted target to the newest value old enough; true if it moved. */
  private persistTargetsDue(): boolean {
    const due = this.now() - this.targetLagMs;
    let moved = false;
    while (this.pendingTargets.length > 0 && this.pendingTargets[0].at <= due) {
      this.persistedTarget = this.pendingTargets.shift()!.value;
      moved = true;
    }
    return moved;
  }

  /** Everything that arrived is now recorded downstream (a clean logout): persist the target as is. */
  settleTarget(): void {
    this.pendingTargets.length = 0;
    this.persistedTarget = this.target;
    this.persistSeqnums();
  }

  async nextSenderSeqNum(): Promise<number> {
    return this.sender;
  }

  async nextTargetSeqNum(): Promise<number> {
    return this.target;
  }

  async put(_record: IFixMsgStoreRecord): Promise<void> {
    // The journal is written before sending (see journal); admin messages are never re-sent.
  }

  async get(seqNum: number): Promise<IFixMsgStoreRecord | null> {
    const message = this.messages.get(seqNum);
    return message
      ? new FixMsgStoreRecord(message.msgType, new Date(message.sentAt), message.seq, message.body)
      : null;
  }

  async getRange(fromSeqNum: number, toSeqNum: number): Promise<IFixMsgStoreRecord[]> {
    return this.sentBetween(fromSeqNum, toSeqNum).map(
      (m) => new FixMsgStoreRecord(m.msgType, new Date(m.sentAt), m.seq, m.body),
    );
  }

  /**
   * A sequence reset (ResetSeqNumFlag): both sides start again at 1. The journal starts afresh with
   * what it must remember (the orders sent and their confirmed replaces, never to be re-sent); the
   * old one is kept beside it.
   */
  async reset(): Promise<void> {
    const keep = this.orderMessages();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (existsSync(this.journalPath)) renameSync(this.journalPath, `${this.journalPath}.${this.now()}`);
    this.messages.clear();
    this.earlier.splice(0, this.earlier.length, ...keep);
    for (const message of keep) this.append({ k: 'earlier', ...message });
    for (const replace of this.replaces.values()) this.append({ k: 'replaced', ...replace });
    this.sender = 1;
    this.target = this.persistedTarget = 1;
    this.pendingTargets.length = 0;
    this.persistSeqnums();
  }

  async initialize(): Promise<void> {
    // Loaded in the constructor (synchronously, before any session can use it).
  }

  async flush(): Promise<void> {
    this.persistSeqnums();
  }

  async dispose(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
