// A slow-client attacker, run as a process of its own (slow-clients.ts starts it under its own
// open-file limit): it holds `connections` TCP connections to the server, each having sent the
// first bytes of a request (half a header) and nothing more, and re-opens every connection the
// server closes, at once, so the pressure never lets up. At most `concurrency` connects are in
// flight at a time (all of them, if it is as large as `connections`).
//
// It reports on stdout, one JSON line every `reportEveryMs`: connections open and connecting,
// how the server closed the others (a 408 answer: the header timeout; nothing: evicted at the
// connection cap), connects that failed, and the longest a timed-out connection lived. A
// line "hold" on stdin stops the re-opening and abandons the connects still in flight (a SYN
// the server's full accept queue dropped may be retried seconds later); "exit" (or stdin
// closing) ends the process.
//
// Only node: built-ins are imported: the file is transpiled and run by plain Node.
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

export interface SlowClientOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly concurrency: number;
  /** Sent once on each connection, then nothing more. */
  readonly firstBytes: string;
  readonly reportEveryMs: number;
}

export interface SlowClientReport {
  readonly open: number;
  readonly connecting: number;
  readonly opened: number;
  /** Closed by the server with a 408 (the header timeout). */
  readonly timedOut: number;
  /** Closed by the server without an answer (evicted at the cap). */
  readonly evicted: number;
  readonly connectFailures: number;
  /** The longest a connection closed by the header timeout lived, from its connect. */
  readonly maxTimedOutLifetimeMs: number;
  readonly reopening: boolean;
}

const options = JSON.parse(process.argv[2] ?? '{}') as SlowClientOptions;
const state = { open: 0, connecting: 0, opened: 0, timedOut: 0, evicted: 0, connectFailures: 0, maxTimedOutLifetimeMs: 0, reopening: true };
const sockets = new Set<ReturnType<typeof connect>>();

function openOne(): void {
  state.connecting += 1;
  const socket = connect({ host: options.host, port: options.port });
  sockets.add(socket);
  let connectedAt: number | undefined;
  let answer = '';
  socket.on('connect', () => {
    state.connecting -= 1;
    state.open += 1;
    state.opened += 1;
    connectedAt = performance.now();
    socket.write(options.firstBytes);
    fill();
  });
  socket.on('data', (chunk: Buffer) => {
    if (answer.length < 16) answer += chunk.toString('latin1', 0, 16);
  });
  // How the connection ended is told by 'close' below; a reset is one of the expected endings.
  socket.on('error', () => undefined);
  socket.on('close', () => {
    sockets.delete(socket);
    if (connectedAt === undefined) {
      state.connecting -= 1;
      // Abandoned on "hold" is not a failure.
      if (state.reopening) state.connectFailures += 1;
    } else {
      state.open -= 1;
      if (answer.startsWith('HTTP/1.1 408')) {
        state.timedOut += 1;
        state.maxTimedOutLifetimeMs = Math.max(state.maxTimedOutLifetimeMs, Math.round(performance.now() - connectedAt));
      } else {
        state.evicted += 1;
      }
    }
    fill();
  });
}

/** Opens connections up to the number wanted (at once: a connect never ends synchronously). */
function fill(): void {
  while (state.reopening && state.connecting < options.concurrency && state.open + state.connecting < options.connections) openOne();
}

const report = () => process.stdout.write(`${JSON.stringify({ ...state } satisfies SlowClientReport)}\n`);
const reporting = setInterval(report, options.reportEveryMs);

function exit(): void {
  clearInterval(reporting);
  for (const socket of sockets) socket.destroy();
  report();
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line === 'hold') {
      state.reopening = false;
      for (const socket of sockets) if (socket.connecting) socket.destroy();
      report();
    }
    if (line === 'exit') exit();
  })
  .on('close', exit);

fill();
