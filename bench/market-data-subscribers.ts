import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * The subscribers of the market-data bench, in a process of their own (as clients would be): `count`
 * graphql-ws clients subscribed to `quoteUpdated`, counting what each receives, and `slow` more that
 * subscribe and then stop reading their socket. On 'stop' it reports each subscriber's count.
 */
const url = process.env.BENCH_URL as string;
const key = process.env.BENCH_KEY as string;
const count = Number(process.env.BENCH_SUBSCRIBERS);
const slow = Number(process.env.BENCH_SLOW);

const received = new Array<number>(count).fill(0);
const clients = Array.from({ length: count }, (_, i) => {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  client.subscribe(
    {
      query:
        'subscription { quoteUpdated(instrumentId: "BTCUSDT") { mid marketTime venues { venueId bid { price } ask { price } } } }',
    },
    {
      next: () => void received[i]++,
      error: (e) => console.error('subscriber', i, e),
      complete: () => undefined,
    },
  );
  return client;
});

// Slow ones: the graphql-ws protocol by hand, then the socket is no longer read.
const slowSockets = Array.from({ length: slow }, () => {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  socket.on('open', () =>
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })),
  );
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string };
    if (message.type === 'connection_ack') {
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: {
            query: 'subscription { quoteUpdated(instrumentId: "BTCUSDT") { mid venues { venueId } } }',
          },
        }),
      );
    } else if (message.type === 'next') {
      (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    }
  });
  return socket;
});

process.on('message', (message) => {
  if (message === 'counts') {
    process.send?.(received.slice());
    return;
  }
  if (message === 'stop') {
    for (const socket of slowSockets) socket.terminate();
    void Promise.all(clients.map((c) => c.dispose())).then(() =>
      process.send?.('stopped', () => process.exit(0)),
    );
  }
});
process.send?.('started');
