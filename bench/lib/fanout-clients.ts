/**
 * The subscriber side of the fan-out benchmark, run as its own child process (forked by
 * bench/lib/fanout.ts) so that 1,000 client sockets do not compete with the server under test
 * inside one event loop. Both contenders get the same client: a raw `ws` socket that parses
 * every message as JSON and reads the event number from `payload.data.versionEvents.subject.uri`
 * (`s3://bench/<n>`; `<n>` = -1 is the marker that ends the warm-up, below -1 are unmeasured
 * warm-up events, ignored). Against Pedigree it speaks the
 * graphql-transport-ws protocol by hand (connection_init, subscribe, next); against the bare
 * broadcast it only listens.
 *
 * Receipt times are `performance.timeOrigin + performance.now()` (ms since the epoch, sub-ms),
 * comparable with the parent's send times and the servers' commit times on the same machine.
 * Protocol over IPC:
 *   parent -> {type:'connect', ...ConnectOptions}   child -> {type:'connected'}
 *   child -> {type:'warm'} once every client received the marker event
 *   parent -> {type:'count'}                        child -> {type:'count', delivered}
 *   parent -> {type:'report', sentAt, committedAt}  child -> {type:'report', ...ClientReport}
 */
import WebSocket from 'ws';

export interface ConnectOptions {
  readonly url: string;
  readonly protocol: 'graphql-transport-ws' | 'none';
  readonly subscribers: number;
  /** Events numbered 0..events-1 after the warm-up. */
  readonly events: number;
  readonly connectionParams?: Record<string, unknown>;
  readonly query?: string;
  readonly variables?: Record<string, unknown>;
}

export interface ClientReport {
  readonly delivered: number;
  readonly duplicates: number;
  readonly unexpected: number;
  readonly errors: readonly string[];
  /** Latency from the event's commit (ms), over all deliveries. */
  readonly fromCommit: Percentiles;
  /** Latency from the event's send time (ms): the commit's own wait included. */
  readonly fromSend: Percentiles;
  /** Bytes of the first `next` frame received for event 0. */
  readonly frameBytes: number;
  /** CPU this process used while the events flowed, as a share of one core. */
  readonly cpuShare: number;
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

type ParentMessage =
  | ({ type: 'connect' } & ConnectOptions)
  | { type: 'count' }
  | { type: 'report'; sentAt: number[]; committedAt: number[] }
  | { type: 'stop' };

const now = () => performance.timeOrigin + performance.now();
const send = (message: unknown) => process.send!(message);

let options: ConnectOptions;
let receivedAt: Float64Array; // [event * subscribers + client], 0 = not received
let delivered = 0;
let duplicates = 0;
let unexpected = 0;
let frameBytes = 0;
let warmCount = 0;
const errors: string[] = [];
const sockets: WebSocket[] = [];
let cpuStart: { usage: NodeJS.CpuUsage; at: number } | undefined;

function onMessage(client: number, data: WebSocket.RawData): void {
  const at = now();
  const text = data.toString();
  const message = JSON.parse(text) as { type?: string; payload?: { data?: { versionEvents?: { subject?: { uri?: string } } }; errors?: unknown } };
  if (options.protocol === 'graphql-transport-ws' && message.type !== 'next') {
    if (message.type === 'error' || message.type === 'complete') errors.push(text.slice(0, 300));
    return;
  }
  if (message.payload?.errors) errors.push(JSON.stringify(message.payload.errors).slice(0, 300));
  const uri = message.payload?.data?.versionEvents?.subject?.uri ?? '';
  const event = Number(uri.slice(uri.lastIndexOf('/') + 1));
  if (event === -1) {
    warmCount += 1;
    if (warmCount === options.subscribers) send({ type: 'warm' });
    return;
  }
  if (event < -1) return; // warm-up traffic
  if (!Number.isInteger(event) || event < 0 || event >= options.events) {
    unexpected += 1;
    return;
  }
  cpuStart ??= { usage: process.cpuUsage(), at };
  if (event === 0 && frameBytes === 0) frameBytes = Buffer.byteLength(text);
  const slot = event * options.subscribers + client;
  if (receivedAt[slot] !== 0) {
    duplicates += 1;
    return;
  }
  receivedAt[slot] = at;
  delivered += 1;
}

async function connect(): Promise<void> {
  receivedAt = new Float64Array(options.events * options.subscribers);
  let open = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < options.subscribers; i += 1) {
      const protocols = options.protocol === 'none' ? [] : [options.protocol];
      const socket = new WebSocket(options.url, protocols, { perMessageDeflate: false });
      sockets.push(socket);
      socket.on('error', (error) => {
        errors.push(`client ${i}: ${error.message}`);
        reject(error);
      });
      socket.on('open', () => {
        if (options.protocol === 'graphql-transport-ws') {
          socket.send(JSON.stringify({ type: 'connection_init', payload: options.connectionParams ?? {} }));
        } else if (++open === options.subscribers) {
          resolve();
        }
      });
      socket.on('message', (data) => {
        if (options.protocol === 'graphql-transport-ws' && open < options.subscribers) {
          const message = JSON.parse(data.toString()) as { type: string };
          if (message.type === 'connection_ack') {
            socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: options.query, variables: options.variables ?? {} } }));
            if (++open === options.subscribers) resolve();
            return;
          }
        }
        onMessage(i, data);
      });
      socket.on('close', (code, reason) => {
        if (code !== 1000 && code !== 1005) errors.push(`client ${i} closed ${code} ${reason.toString()}`);
      });
    }
  });
}

/** Percentiles of every delivery's receipt time minus its event's time in `from`. */
function latencies(from: readonly number[]): Percentiles {
  const values = new Float64Array(delivered);
  let n = 0;
  for (let event = 0; event < options.events; event += 1) {
    const start = from[event]!;
    for (let client = 0; client < options.subscribers; client += 1) {
      const at = receivedAt[event * options.subscribers + client]!;
      if (at !== 0) values[n++] = at - start;
    }
  }
  values.sort();
  const pct = (p: number) => (n === 0 ? NaN : values[Math.min(n - 1, Math.floor((p / 100) * n))]!);
  return { p50: pct(50), p99: pct(99), max: n === 0 ? NaN : values[n - 1]! };
}

function report(sentAt: readonly number[], committedAt: readonly number[]): ClientReport {
  const cpu = cpuStart ? process.cpuUsage(cpuStart.usage) : { user: 0, system: 0 };
  const cpuShare = cpuStart ? (cpu.user + cpu.system) / 1_000 / (now() - cpuStart.at) : 0;
  return { delivered, duplicates, unexpected, errors: errors.slice(0, 5), fromCommit: latencies(committedAt), fromSend: latencies(sentAt), frameBytes, cpuShare };
}

// The IPC channel closes when the harness says stop or exits, however it exits (a SIGKILL
// included): either way the subscribers are done, and this process must not outlive the run.
process.once('disconnect', () => process.exit(0));

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'connect':
      options = message;
      connect().then(
        () => send({ type: 'connected' }),
        (error: unknown) => send({ type: 'failed', error: String(error) }),
      );
      break;
    case 'count':
      send({ type: 'count', delivered });
      break;
    case 'report':
      send({ type: 'report', ...report(message.sentAt, message.committedAt) });
      break;
    case 'stop':
      for (const socket of sockets) socket.terminate();
      process.disconnect();
      break;
  }
});
