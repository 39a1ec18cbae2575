/**
 * Preloaded (`node --import`) into the benchmark's server processes: the gateway, the bare
 * broadcast and the @neo4j/graphql server. Their stdin is a pipe from the harness (spawnServer
 * in bench/lib/child.ts); when it closes, because the harness exited however it exited (a
 * SIGKILL included), the process sends itself SIGTERM and stops as it would when the harness
 * stops it, instead of outliving the run. The embedded Neo4j does the same (--exit-on-stdin-eof).
 */
const stop = () => process.kill(process.pid, 'SIGTERM');
process.stdin.once('end', stop);
process.stdin.once('error', stop);
process.stdin.resume();
// Waiting for EOF must not keep the process alive by itself.
process.stdin.unref();
