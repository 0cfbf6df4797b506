import { AsciiSession, IJsFixConfig, MsgTag, MsgView } from 'jspurefix';
import { FixJournal } from './fix-journal';
import { FixFields } from './fix-protocol';

/** What the session tells the adapter. */
export interface FixSessionHooks {
  /** Logged on, and any recovery the logon asked for is under way. */
  ready(): void;
  /** An application message from the counterparty (PossDup ones included). */
  message(msgType: string, fields: FixFields, possDup: boolean, seq: number): void;
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

/** jspurefix's ASCII transmitter (not exported by the package): the number the next message takes. */
type Numbered = { msgSeqNum: number };

/** Admin messages: never re-sent, gap-filled instead. */
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A']);

/**
 * One FIX session on jspurefix's AsciiSession (logon, heartbeats, TestRequest, logout, gap
 * detection, SequenceReset), with two things of its own:
 * - every outbound application message is journaled (and flushed) before it is sent, under the
 *   sequence number it will carry;
 * - a counterparty's ResendRequest is answered from that journal with the real messages (PossDupFlag
 *   Y, OrigSendingTime the first SendingTime), and a GapFill only over admin messages. jspurefix's
 *   own answer reads a store it never fills and gap-fills everything, orders included.
 */
export class OmsFixSession extends AsciiSession {
  constructor(
    config: IJsFixConfig,
    private readonly journal: FixJournal,
    private readonly hooks: FixSessionHooks,
  ) {
    super(config);
  }

  private ready = false;

  get loggedOn(): boolean {
    return this.ready && this.transport !== null;
  }

  get nextSenderSeqNum(): number {
    return (
      (this.transport?.transmitter as unknown as Numbered | undefined)?.msgSeqNum ?? this.journal.senderSeqNum
    );
  }

  /** Sends an application message, journaled first. False if there is no session to send it on. */
  sendApplication(msgType: string, body: Record<string, unknown>): boolean {
    const transmitter = this.transport?.transmitter as unknown as Numbered | undefined;
    if (!transmitter || !this.loggedOn) return false;
    const seq = transmitter.msgSeqNum;
    this.journal.journal({ seq, msgType, body, sentAt: new Date().toISOString() });
    if (this.hooks.afterJournal?.(msgType) === 'drop') {
      const socket = (this.transport?.duplex as unknown as { socket?: { destroy(e: Error): void } }).socket;
      socket?.destroy(new Error('connection lost (fault injected after the journal write)'));
      return true;
    }
    this.send(msgType, body);
    return true;
  }

  logout(): void {
    this.done();
  }

  protected override txOnEncoded(msgType: string, data: string, hdr: Record<string, unknown>): void {
    super.txOnEncoded(msgType, data, hdr);
    const seq = hdr?.MsgSeqNum as number | undefined;
    if (seq === undefined || ADMIN.has(msgType) || hdr.PossDupFlag) return;
    const journaled = this.journal.sent(seq);
    if (!journaled || journaled.msgType !== msgType) {
      // Another message took the number the journal expected: record this one under its real number.
      this.hooks.problem(
        `outbound ${msgType} went out as ${seq}, not under the number it was journaled with`,
      );
      return;
    }
    this.journal.markSent(seq, hdr.SendingTime as Date);
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
    const possDup = view.getTyped(MsgTag.PossDupFlag) === true;
    this.hooks.message(msgType, fields, possDup, (view.getTyped(MsgTag.MsgSeqNum) as number) ?? 0);
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
