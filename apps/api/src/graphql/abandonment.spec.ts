import { EventEmitter } from 'events';
import { abandonmentOf } from './identity';

/** A response as Node's http server closes it: finished (answered) or not (the client left first). */
const response = (writableFinished: boolean) => Object.assign(new EventEmitter(), { writableFinished });

describe('abandonmentOf (the client of an HTTP request gave up)', () => {
  it('aborts when the response closes before it was finished', () => {
    const res = response(false);
    const signal = abandonmentOf(res);
    expect(signal.aborted).toBe(false);
    res.emit('close');
    expect(signal.aborted).toBe(true);
  });

  it('does not abort when the response closes after it was sent', () => {
    const res = response(true);
    const signal = abandonmentOf(res);
    res.emit('close');
    expect(signal.aborted).toBe(false);
  });
});
