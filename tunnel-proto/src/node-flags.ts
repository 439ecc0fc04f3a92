/**
 * Node flags the controller and agent processes run with (the image's launcher, the agent's start
 * script and the tunnel benchmark all use these).
 *
 * `--min-semi-space-size=8` (MiB): after a quiet spell V8's memory reducer shrinks the young generation
 * to its 1 MiB minimum. A bulk transfer then promotes its in-flight body buffers to the old generation
 * before they die, and their external memory sets off a full mark-compact every ~40 ms: measured, the
 * agent's CPU per GB moved went from 2.3 s to 6.5–8.7 s and the tunnel's throughput halved
 * (bench/README.md, "a tunnel that was quiet"). With 8 MiB they die young. The space is committed
 * only as it is used (idle RSS +~0.1 MB).
 */
export const TUNNEL_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=8'];
