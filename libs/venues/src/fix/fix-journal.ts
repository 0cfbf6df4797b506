import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
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

/** What the adapter must remember of its orders, in the order it happened (across sequence resets). */
export type OrderHistoryEntry =
  | { kind: 'message'; msgType: string; body: Record<string, unknown> }
  | ({ kind: 'replaced' } & ConfirmedReplace);

/** Whose session this store holds: a store is never reused for another counterparty. */
export interface SessionIdentity {
  beginString: string;
  senderCompId: string;
  targetCompId: string;
}

/** The store under this directory belongs to another session. */
export class FixStoreMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixStoreMismatch';
  }
}

type Entry =
  | ({ k: 'sent' } & JournaledMessage)
  | ({ k: 'replaced' } & ConfirmedReplace)
  /** An order message from before a sequence reset: remembered, never re-sent. */
  | { k: 'earlier'; msgType: string; body: Record<string, unknown> };

interface SavedState extends SessionIdentity {
  sender: number;
  target: number;
  /** Written by a clean close: no message can have left after the saved sender number. */
  clean?: boolean;
}

/** NewOrderSingle, cancel and replace requests: what the adapter must remember of the orders it sent. */
const ORDER_MESSAGE_TYPES = new Set(['D', 'F', 'G']);

const describe = (s: SessionIdentity) => `${s.beginString} ${s.senderCompId}→${s.targetCompId}`;

/**
 * A FIX session's durable state, under its own directory:
 * - `seqnums.json` (replaced atomically): whose session it is, the next outbound sequence number,
 *   and the next inbound one **the OMS has handled** (below it, every message from the venue was
 *   received and recorded downstream);
 * - `journal.jsonl`: every outbound application message, written and flushed to disk before it is
 *   handed to the socket, and the replaces the venue confirmed.
 *
 * It is jspurefix's session store for sequence numbers (its own message store is never read back,
 * see `../shared/notes/fix-interop.md`). The inbound number it gives the engine at each (re)connect
 * is the handled watermark, not the last arrived: a message lost in a gap, swallowed by the engine,
 * or not recorded by the gateway before a crash is asked for again (duplicates are dropped by ExecID
 * and acknowledgement id).
 */
export class FixJournal implements IFixSessionStore {
  readonly creationTime = new Date();
  readonly sessionId: SessionId;
  private sender = 1;
  /** Every inbound message up to this one was handled. */
  private handledThrough = 0;
  private readonly handledAbove = new Set<number>();
  private readonly messages = new Map<number, JournaledMessage>();
  private readonly history: OrderHistoryEntry[] = [];
  private fd: number | null = null;

  constructor(
    private readonly identity: SessionIdentity,
    private readonly directory: string,
  ) {
    this.sessionId = new SessionId(identity.beginString, identity.senderCompId, identity.targetCompId);
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
      const saved = JSON.parse(readFileSync(this.seqnumsPath, 'utf8')) as SavedState;
      if (describe(saved) !== describe(this.identity)) {
        throw new FixStoreMismatch(
          `${this.directory} holds the FIX session ${describe(saved)}, not ${describe(this.identity)}: ` +
            'move that directory aside to start a new session with this counterparty.',
        );
      }
      // After a crash, the engine may have sent one more admin message than it saved: skip its number
      // (the venue asks for it, and gets a GapFill) rather than send it twice ("MsgSeqNum too low").
      this.sender = saved.clean ? saved.sender : saved.sender + 1;
      this.handledThrough = saved.target - 1;
    }
    if (!existsSync(this.journalPath)) return;
    let text = readFileSync(this.journalPath, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) {
      // A line torn by a crash mid-write was never flushed, so never sent: cut it off, or the next
      // append would be glued to it.
      text = text.slice(0, text.lastIndexOf('\n') + 1);
      truncateSync(this.journalPath, Buffer.byteLength(text));
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const entry = JSON.parse(line) as Entry;
      this.remember(entry);
      if (entry.k === 'sent') this.sender = Math.max(this.sender, entry.seq + 1);
    }
  }

  private remember(entry: Entry): void {
    if (entry.k === 'sent') {
      const { k: _k, ...message } = entry;
      this.messages.set(message.seq, message);
      if (ORDER_MESSAGE_TYPES.has(message.msgType))
        this.history.push({ kind: 'message', msgType: message.msgType, body: message.body });
    } else if (entry.k === 'replaced') {
      const { k: _k, ...replace } = entry;
      this.history.push({ kind: 'replaced', ...replace });
    } else {
      this.history.push({ kind: 'message', msgType: entry.msgType, body: entry.body });
    }
  }

  private append(entry: Entry): void {
    this.fd ??= openSync(this.journalPath, 'a');
    writeFully(this.fd, JSON.stringify(entry) + '\n');
    fdatasyncSync(this.fd);
  }

  private persist(clean = false): void {
    const state: SavedState = { ...this.identity, sender: this.sender, target: this.handledThrough + 1 };
    if (clean) state.clean = true;
    const tmp = `${this.seqnumsPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeFully(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.seqnumsPath);
  }

  // --- outbound ------------------------------------------------------------------------------

  /** Writes an outbound application message, flushed, ahead of sending it under `seq`. */
  journal(message: JournaledMessage): void {
    if (this.messages.has(message.seq)) {
      throw new Error(`outbound sequence number ${message.seq} is already journaled`);
    }
    const entry: Entry = { k: 'sent', ...message };
    this.append(entry);
    this.remember(entry);
    this.sender = Math.max(this.sender, message.seq + 1);
  }

  /** The SendingTime it actually went out with (a message journaled just before a crash keeps its own). */
  markSent(seq: number, sentAt: Date): void {
    const message = this.messages.get(seq);
    if (message) message.sentAt = sentAt.toISOString();
  }

  recordReplace(replace: ConfirmedReplace): void {
    const entry: Entry = { k: 'replaced', ...replace };
    this.append(entry);
    this.remember(entry);
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

  /** Every order message sent and every replace confirmed, in the order they happened. */
  orderHistory(): readonly OrderHistoryEntry[] {
    return this.history;
  }

  // --- inbound -------------------------------------------------------------------------------

  /** The inbound message `seq` was handled (recorded downstream, or had nothing to record). */
  handled(seq: number): void {
    if (seq <= this.handledThrough) return;
    this.handledAbove.add(seq);
    const before = this.handledThrough;
    while (this.handledAbove.delete(this.handledThrough + 1)) this.handledThrough++;
    if (this.handledThrough !== before) this.persist();
  }

  /** A SequenceReset-GapFill from the venue: `from` up to `newSeqNo` (exclusive) carried nothing to handle. */
  handledRange(from: number, newSeqNo: number): void {
    for (let seq = Math.max(from, this.handledThrough + 1); seq < newSeqNo; seq++) this.handledAbove.add(seq);
    this.handled(newSeqNo - 1);
  }

  /** The venue reset its numbering (ResetSeqNumFlag, or a SequenceReset without GapFill). */
  restartInbound(nextSeqNo: number): void {
    this.handledAbove.clear();
    this.handledThrough = nextSeqNo - 1;
    this.persist();
  }

  get handledInboundThrough(): number {
    return this.handledThrough;
  }

  // --- jspurefix's session store: sequence numbers ---------------------------------------------

  get senderSeqNum(): number {
    return this.sender;
  }

  set senderSeqNum(value: number) {
    this.sender = Math.max(this.sender, value);
  }

  /** Where the engine starts reading at each (re)connect: the first message not handled yet. */
  get targetSeqNum(): number {
    return this.handledThrough + 1;
  }

  set targetSeqNum(_value: number) {
    // The engine's own count of what arrived; what was handled is what counts (handled()).
  }

  async setSenderSeqNum(value: number): Promise<void> {
    // Never backwards: the journal may already hold a message under a higher number.
    this.sender = Math.max(this.sender, value);
    this.persist();
  }

  async setTargetSeqNum(_value: number): Promise<void> {
    // See the targetSeqNum setter.
  }

  async nextSenderSeqNum(): Promise<number> {
    return this.sender;
  }

  async nextTargetSeqNum(): Promise<number> {
    return this.targetSeqNum;
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
   * what it must remember of the orders (never to be re-sent), written to a new file first and then
   * put in place, so a crash leaves the old journal or the new one, whole.
   */
  async reset(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    const kept: Entry[] = this.history.map((h) =>
      h.kind === 'message'
        ? { k: 'earlier', msgType: h.msgType, body: h.body }
        : {
            k: 'replaced',
            childId: h.childId,
            clOrdId: h.clOrdId,
            quantity: h.quantity,
            limitPrice: h.limitPrice,
          },
    );
    const tmp = `${this.journalPath}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeFully(fd, kept.map((e) => JSON.stringify(e) + '\n').join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.journalPath);
    this.messages.clear();
    this.sender = 1;
    this.handledThrough = 0;
    this.handledAbove.clear();
    this.persist();
  }

  async initialize(): Promise<void> {
    // Loaded in the constructor (synchronously, before any session can use it).
  }

  async flush(): Promise<void> {
    this.persist();
  }

  /** Closes the journal; `clean` after a logout the venue confirmed (nothing can have left unsaved). */
  close(clean: boolean): void {
    this.persist(clean);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  async dispose(): Promise<void> {
    this.close(false);
  }
}

/** writeSync may write less than it was given (a full disk); the rest must not be dropped silently. */
function writeFully(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
