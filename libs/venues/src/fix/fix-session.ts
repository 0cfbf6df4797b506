import { AsciiSession, IJsFixConfig, MsgTag, MsgView } from 'jspurefix';
import { FixJournal } from './fix-journal';
import { FixFields } from './fix-protocol';

/** What the session tells the adapter. */
export interface FixSessionHooks {
  /** Logged on. */
  ready(): void;
  /**
   * An application message from the counterparty (PossDup ones included). The promise settles once
   * what it meant was recorded: only then does the inbound sequence number count as handled.
   */
  message(msgType: string, fields: FixFields): Promise<unknown>;
  /** The session ended (logout, or the connection broke: `error`). */
  stopped(error?: Error): void;
  /** Every message in and out, as text (`|` for SOH), for the FIX log. */
  wire(direction: 'in' | 'out', text: string): void;
  /** Something the session could not do as it should; logged and counted. */
  problem(what: string): void;
  /**
   * Fault injection for crash tests: 'drop' loses the connection right after a message was journaled
   * and before it went out, as a crash at that point would.
   */
  afterJournal?(msgType: string): 'send' | 'drop';
}

/** Why an application message was not sent. */
export type NotSent = 'no session' | 'backlogged';

/** jspurefix's ASCII transmitter (not exported by the package): the number the next message takes. */
type Numbered = { msgSeqNum: number; encodeStream: { writableLength: number } };

/** Admin messages: never re-sent, gap-filled instead. */
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A']);

/**
 * One FIX session on jspurefix's AsciiSession (logon, heartbeats, TestRequest, logout, gap
 * detection, SequenceReset), with what it lacks:
 * - every outbound application message is journaled (and flushed) before it is sent, under the
 *   sequence number it will carry;
 * - a counterparty's ResendRequest is answered from that journal with the real messages (PossDupFlag
 *   Y, OrigSendingTime the first SendingTime), and a GapFill only over admin messages. jspurefix's
 *   own answer reads a store it never fills and gap-fills everything, orders included;
 * - an inbound message counts as handled only once the adapter recorded what it meant (the journal
 *   keeps that watermark), so one lost in a gap, swallowed by the engine or not recorded before a
 *   crash is asked for again at the next logon.
 */
export class OmsFixSession extends AsciiSession {
  private ready = false;
  /** What the application made of the message being dispatched now. */
  private dispatched: Promise<unknown> | null = null;

  constructor(
    config: IJsFixConfig,
    private readonly journal: FixJournal,
    private readonly hooks: FixSessionHooks,
  ) {
    super(config);
  }

  get loggedOn(): boolean {
    return this.ready && this.transport !== null;
  }

  private get transmitter(): Numbered | undefined {
    return this.transport?.transmitter as unknown as Numbered | undefined;
  }

  get nextSenderSeqNum(): number {
    return this.transmitter?.msgSeqNum ?? this.journal.senderSeqNum;
  }

  /**
   * Sends an application message, journaled first under the number it will carry. Refused while
   * the socket is not taking what was sent before: the encoder would number a queued message only
   * later, and the journal must know the number now.
   */
  sendApplication(msgType: string, body: Record<string, unknown>): NotSent | null {
    const transmitter = this.transmitter;
    if (!transmitter || !this.loggedOn) return 'no session';
    if (transmitter.encodeStream.writableLength > 0) return 'backlogged';
    const seq = transmitter.msgSeqNum;
    this.journal.journal({ seq, msgType, body, sentAt: new Date().toISOString() });
    if (this.hooks.afterJournal?.(msgType) === 'drop') {
      const socket = (this.transport?.duplex as unknown as { socket?: { destroy(e: Error): void } }).socket;
      socket?.destroy(new Error('connection lost (fault injected after the journal write)'));
      return null;
    }
    this.send(msgType, body);
    return null;
  }

  logout(): void {
    this.done();
  }

  /** Asks the session to end now (a logon that never came, a stop while connecting). */
  abandon(reason: string): void {
    this.requestStop(reason);
  }

  protected override txOnEncoded(msgType: string, data: string, hdr: Record<string, unknown>): void {
    super.txOnEncoded(msgType, data, hdr);
    const seq = hdr?.MsgSeqNum as number | undefined;
    if (seq === undefined || ADMIN.has(msgType) || hdr.PossDupFlag) return;
    const journaled = this.journal.sent(seq);
    if (!journaled || journaled.msgType !== msgType) {
      this.hooks.problem(
        `outbound ${msgType} went out as ${seq}, not under the number it was journaled with`,
      );
      return;
    }
    this.journal.markSent(seq, hdr.SendingTime as Date);
  }

  protected override rxOnMsg(msgType: string, view: MsgView): void {
    const seq = view.getTyped(MsgTag.MsgSeqNum) as number;
    if (msgType === '4') {
      const newSeqNo = view.getTyped(MsgTag.NewSeqNo) as number;
      if (view.getTyped(MsgTag.GapFillFlag) === true) this.journal.handledRange(seq, newSeqNo);
      else this.journal.restartInbound(newSeqNo);
    } else if (msgType === 'A' && view.getTyped(MsgTag.ResetSeqNumFlag) === true) {
      this.journal.restartInbound(seq);
    }
    this.dispatched = null;
    super.rxOnMsg(msgType, view);
    const dispatched = this.dispatched as Promise<unknown> | null;
    this.dispatched = null;
    if (msgType === '4') return;
    if (ADMIN.has(msgType) && msgType !== '3') return this.journal.handled(seq);
    if (!dispatched) {
      if (msgType === '3') return this.journal.handled(seq);
      // The engine dropped it (a state it did not expect): it is asked for again at the next logon.
      return this.hooks.problem(
        `inbound ${msgType} (${seq}) was not handed over; it will be asked for again`,
      );
    }
    dispatched.then(
      () => this.journal.handled(seq),
      () => this.hooks.problem(`inbound ${msgType} (${seq}) was not recorded; it will be asked for again`),
    );
  }

  protected override onResendRequest(view: MsgView): void {
    const [begin, requestedEnd] = view.getTypedTags([MsgTag.BeginSeqNo, MsgTag.EndSeqNo]) as number[];
    const lastSent = this.nextSenderSeqNum - 1;
    const end = !requestedEnd || requestedEnd > lastSent ? lastSent : requestedEnd;
    const resend = this.journal.sentBetween(begin, end).filter((m) => !ADMIN.has(m.msgType));
    let next = begin;
    const gapFill = (to: number) => {
      if (to <= next) return;
      this.send('4', {
        StandardHeader: { MsgSeqNum: next, PossDupFlag: true, SendingTime: new Date() },
        GapFillFlag: true,
        NewSeqNo: to,
      });
    };
    for (const message of resend) {
      gapFill(message.seq);
      this.send(message.msgType, {
        ...message.body,
        StandardHeader: { MsgSeqNum: message.seq, PossDupFlag: true, SendingTime: new Date(message.sentAt) },
      });
      next = message.seq + 1;
    }
    gapFill(end + 1);
  }

  /** A session-level Reject (35=3) refers to one of our requests: the adapter hears of it too. */
  protected override onSessionMsg(msgType: string, view: MsgView): void {
    super.onSessionMsg(msgType, view);
    if (msgType === '3') this.onApplicationMsg(msgType, view);
  }

  protected onApplicationMsg(msgType: string, view: MsgView): void {
    const fields: FixFields = { get: (tag) => view.getString(tag) ?? null };
    this.dispatched = this.hooks.message(msgType, fields);
  }

  protected onReady(): void {
    this.ready = true;
    this.hooks.ready();
  }

  protected onStopped(error?: Error): void {
    this.ready = false;
    this.hooks.stopped(error);
  }

  protected onLogon(): boolean {
    return true;
  }

  protected onDecoded(_msgType: string, text: string): void {
    this.hooks.wire('in', text);
  }

  protected onEncoded(_msgType: string, text: string): void {
    this.hooks.wire('out', text);
  }
}
