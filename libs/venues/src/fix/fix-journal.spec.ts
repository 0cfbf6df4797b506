import { mkdtempSync, rmSync } from 'fs';
import { SessionId } from 'jspurefix';
import { tmpdir } from 'os';
import { join } from 'path';
import { FixJournal } from './fix-journal';

describe('FIX session journal', () => {
  const id = new SessionId('FIX.4.4', 'OMS', 'VENUE');
  let dir: string;
  let now = 0;
  const open = () => new FixJournal(id, dir, () => now, 2_000);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'oms-fix-journal-'));
    now = 1_000_000;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a message journaled before a crash keeps its number: the restarted session goes on after it', async () => {
    const journal = open();
    await journal.setSenderSeqNum(5);
    journal.journal({ seq: 5, msgType: 'D', body: { ClOrdID: 'a.1' }, sentAt: new Date(now).toISOString() });
    // Crash: the sequence numbers file still says 5.
    const restarted = open();
    expect(restarted.senderSeqNum).toBe(6);
    expect(restarted.sent(5)).toMatchObject({ msgType: 'D', body: { ClOrdID: 'a.1' } });
    expect(restarted.sentBetween(1, 10).map((m) => m.seq)).toEqual([5]);
  });

  it("the peer's sequence number is persisted only once it is two seconds old, so a crash asks for recent reports again", async () => {
    const journal = open();
    await journal.setTargetSeqNum(2);
    now += 2_500;
    await journal.setTargetSeqNum(3); // 2 is now old enough: persisted; 3 is not yet
    expect(open().targetSeqNum).toBe(2);
    journal.settleTarget(); // a clean logout: everything arrived was handled
    expect(open().targetSeqNum).toBe(3);
  });

  it('a sequence reset starts numbering again but remembers the orders sent and their replaces', async () => {
    const journal = open();
    journal.journal({ seq: 2, msgType: 'D', body: { ClOrdID: 'a.1' }, sentAt: new Date(now).toISOString() });
    journal.journal({ seq: 3, msgType: '0', body: {}, sentAt: new Date(now).toISOString() });
    journal.recordReplace({ childId: 'a.1', clOrdId: 'a.1~r1', quantity: '2', limitPrice: '10' });
    await journal.reset();
    const restarted = open();
    expect(restarted.senderSeqNum).toBe(1);
    expect(restarted.sentBetween(1, 10)).toEqual([]);
    expect(restarted.orderMessages()).toEqual([{ msgType: 'D', body: { ClOrdID: 'a.1' } }]);
    expect(restarted.confirmedReplaces()).toEqual([
      { childId: 'a.1', clOrdId: 'a.1~r1', quantity: '2', limitPrice: '10' },
    ]);
  });
});
