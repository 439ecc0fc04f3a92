/**
 * Node flags the controller and agent processes run with (the image's launcher, the agent's start
 * script and the tunnel benchmark all use these). Both are about V8's garbage collector under bulk
 * transfers, whose body buffers are short-lived but hold external memory (bench/README.md, "2026-12-07").
 *
 * `--min-semi-space-size=8` (MiB): after a quiet spell V8 shrinks the young generation to its 1 MiB
 * minimum; a bulk transfer then promotes its in-flight buffers before they die, and their external memory
 * sets off a full mark-compact every ~40 ms (agent CPU per GB 2.3 s → 6.5–8.7 s). With 8 MiB they die
 * young. The space is committed only as it is used (idle RSS +~0.1 MB).
 *
 * `--no-incremental-marking`: once a transfer starts after ~10 s of idleness, the external memory of those
 * buffers kept restarting incremental marking, 20–50 mark-compacts per 100 MB that free almost nothing;
 * without it V8 collects the old generation only when its limit is reached. Measured, three alternating
 * pairs after 10 s idle: 6.8–8.0 against 7.7–14.8 s of CPU per GB down, 5.0–6.2 against 7.9–10.4 up; 1 KB
 * request latency and CPU unchanged. The cost is that a full collection is one pause instead of many
 * small steps; these heaps stay small (the controller's at ~20–30 MB with 1,000 agents).
 */
export const TUNNEL_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=8', '--no-incremental-marking'];
