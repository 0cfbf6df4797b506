import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FixJournal, FixStoreMismatch } from './fix-journal';

describe('FIX session journal', () => {
  const identity = { beginString: 'FIX.4.4', senderCompId: 'OMS', targetCompId: 'VENUE' };
  let dir: string;
  const open = () => new FixJournal(identity, dir);
  const at = new Date(0).toISOString();

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'oms-fix-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a message journaled before a crash keeps its number: the restarted session goes on after it', async () => {
    const journal = open();
    await journal.setSenderSeqNum(5);
    journal.journal({ seq: 5, msgType: 'D', body: { ClOrdID: 'a.1' }, sentAt: at });
    // Crash: the sequence numbers file still says 5.
    const restarted = open();
    expect(restarted.senderSeqNum).toBe(6);
    expect(restarted.sent(5)).toMatchObject({ msgType: 'D', body: { ClOrdID: 'a.1' } });
    expect(() => restarted.journal({ seq: 5, msgType: 'D', body: {}, sentAt: at })).toThrow(
      /already journaled/,
    );
  });

  it('after a crash the next number skips one (an admin message may have left unsaved); after a clean close it does not', async () => {
    const journal = open();
    await journal.setSenderSeqNum(7);
    expect(open().senderSeqNum).toBe(8);
    journal.close(true);
    expect(open().senderSeqNum).toBe(7);
  });

  it('the venue’s number counts what was handled, in order: a message not handled holds it back', () => {
    const journal = open();
    journal.handled(1);
    journal.handled(3); // 2 not handled yet (in a gap, or the gateway has not recorded it)
    expect(journal.targetSeqNum).toBe(2);
    expect(open().targetSeqNum).toBe(2);
    journal.handled(2);
    expect(journal.targetSeqNum).toBe(4);
    journal.handledRange(4, 7); // a GapFill over 4–6
    expect(open().targetSeqNum).toBe(7);
    journal.restartInbound(1); // the venue reset its numbering
    expect(open().targetSeqNum).toBe(1);
  });

  it('a line torn by a crash is cut off, so the next message is not glued to it', () => {
    const journal = open();
    journal.journal({ seq: 2, msgType: 'D', body: { ClOrdID: 'a.1' }, sentAt: at });
    journal.close(false);
    appendFileSync(join(dir, 'journal.jsonl'), '{"k":"sent","seq":3,"msgTy');
    const restarted = open();
    restarted.journal({ seq: 3, msgType: 'D', body: { ClOrdID: 'b.1' }, sentAt: at });
    const lines = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([2, 3]);
  });

  it('refuses a directory that holds another counterparty’s session', async () => {
    await open().setSenderSeqNum(3);
    expect(() => new FixJournal({ ...identity, targetCompId: 'PROD' }, dir)).toThrow(FixStoreMismatch);
  });

  it('a sequence reset starts numbering again but remembers, in order, the orders sent and their replaces', async () => {
    const journal = open();
    journal.journal({ seq: 2, msgType: 'D', body: { ClOrdID: 'a.1' }, sentAt: at });
    journal.journal({ seq: 3, msgType: 'H', body: { ClOrdID: 'a.1' }, sentAt: at });
    journal.recordReplace({ childId: 'a.1', clOrdId: 'a.1~r1', quantity: '2', limitPrice: '10' });
    await journal.reset();
    journal.close(true);
    const restarted = open();
    expect(restarted.senderSeqNum).toBe(1);
    expect(restarted.sentBetween(1, 10)).toEqual([]);
    expect(restarted.orderHistory()).toEqual([
      { kind: 'message', msgType: 'D', body: { ClOrdID: 'a.1' } },
      { kind: 'replaced', childId: 'a.1', clOrdId: 'a.1~r1', quantity: '2', limitPrice: '10' },
    ]);
  });
});
