import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { Socket, createServer } from 'net';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { waitFor } from '../../../../../test/wait-for';

/**
 * QuickFIX/C++'s example acceptors as real, independently written FIX counterparties: `executor`
 * (FIX 4.2–4.4; fills every limit order at once) and `ordermatch` (FIX 4.2; matches the orders of
 * its sessions against each other). Built by `scripts/build-quickfix.sh` into dist/quickfix.
 */
export type QuickFixApp = 'executor' | 'ordermatch';

const ROOT = resolve(__dirname, '../../../../..');
const binary = (app: QuickFixApp) => join(ROOT, 'dist', 'quickfix', app);

/** Null when both acceptors are built; otherwise why not, in a sentence. */
export function quickFixMissing(): string | null {
  const missing = (['executor', 'ordermatch'] as const).filter((app) => !existsSync(binary(app)));
  if (missing.length === 0) return null;
  return existsSync('/usr/include/quickfix/Application.h')
    ? `QuickFIX acceptors not built (${missing.join(', ')}): run scripts/build-quickfix.sh`
    : 'QuickFIX is not installed: apt-get install libquickfix-dev libquickfix-doc g++, then scripts/build-quickfix.sh';
}

export interface AcceptorSession {
  beginString: 'FIX.4.2' | 'FIX.4.4';
  /** The acceptor's own CompID (the OMS's TargetCompID). */
  senderCompId: string;
  /** The OMS's SenderCompID. */
  targetCompId: string;
}

export interface RunningAcceptor {
  port: number;
  /** Raw FIX messages (fields joined by `|`) the acceptor received, from its screen log. */
  received(): string[];
  /** Raw FIX messages it sent. */
  sent(): string[];
  /**
   * The messages of a type it received or sent, once at least `count` are in its log (the log is
   * read from its output, a little after the wire); fails after waitFor's deadline with what it saw.
   */
  seen(direction: 'received' | 'sent', msgType: string, count?: number): Promise<string[]>;
  /** Stops it (SIGKILL); its store stays, so `start` again resumes its sessions. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freeLocalPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolveUp) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolveUp(true)));
    socket.once('error', () => (socket.destroy(), resolveUp(false)));
    socket.connect(port, '127.0.0.1');
  });
}

const DICTIONARY = {
  'FIX.4.2': require.resolve('jspurefix/data/FIX42.xml'),
  'FIX.4.4': require.resolve('jspurefix/data/FIX44.xml'),
};

/**
 * Starts an acceptor on a free port with a generated configuration (its store and logs in a temp
 * directory). It listens on every interface (QuickFIX 1.15 cannot bind one); the OMS connects to
 * 127.0.0.1 only.
 */
export async function startAcceptor(app: QuickFixApp, sessions: AcceptorSession[]): Promise<RunningAcceptor> {
  const missing = quickFixMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), `oms-${app}-`));
  const port = await freeLocalPort();
  const config = [
    '[DEFAULT]',
    'ConnectionType=acceptor',
    `SocketAcceptPort=${port}`,
    'SocketReuseAddress=Y',
    'StartTime=00:00:00',
    'EndTime=00:00:00',
    `FileStorePath=${join(dir, 'store')}`,
    `FileLogPath=${join(dir, 'log')}`,
    'UseDataDictionary=Y',
    ...sessions.flatMap((s) => [
      '[SESSION]',
      `BeginString=${s.beginString}`,
      `SenderCompID=${s.senderCompId}`,
      `TargetCompID=${s.targetCompId}`,
      `DataDictionary=${DICTIONARY[s.beginString]}`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'acceptor.cfg'), config + '\n');
  const received: string[] = [];
  const sent: string[] = [];
  let child: ChildProcessWithoutNullStreams | null = null;

  const start = async () => {
    const process = spawn(binary(app), [join(dir, 'acceptor.cfg')], { stdio: 'pipe' });
    child = process;
    let pending = '';
    let direction: 'incoming' | 'outgoing' | null = null;
    process.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const header = /, (incoming|outgoing)>$/.exec(line);
        if (header) direction = header[1] as 'incoming' | 'outgoing';
        else if (line.startsWith('  (8=') && direction) {
          (direction === 'incoming' ? received : sent).push(line.slice(3, -1).split('\x01').join('|'));
          direction = null;
        } else if (!line.startsWith('  (')) direction = null;
      }
    });
    process.stderr.resume();
    const state = await waitFor(
      async () => (process.exitCode !== null ? 'exited' : (await listening(port)) ? 'listening' : 'starting'),
      (at) => at !== 'starting',
      `${app} listening on ${port}`,
    );
    if (state === 'exited') throw new Error(`${app} exited with ${process.exitCode} at start`);
  };

  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  const seen = (direction: 'received' | 'sent', msgType: string, count = 1) =>
    waitFor(
      () => (direction === 'received' ? received : sent).filter((m) => tagOf(m, 35) === msgType),
      (found) => found.length >= count,
      `${app} ${direction} ${count} 35=${msgType}`,
    );
  return {
    port,
    received: () => [...received],
    sent: () => [...sent],
    seen,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The value of a tag in a raw `|`-joined FIX message. */
export function tagOf(message: string, tag: number): string | null {
  const found = message.split('|').find((field) => field.startsWith(`${tag}=`));
  return found === undefined ? null : found.slice(String(tag).length + 1);
}
