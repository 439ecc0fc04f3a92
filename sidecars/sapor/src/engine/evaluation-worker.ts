// Entry point of an evaluation worker thread: runs each job it is sent and answers with its id.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { JobRunner, toJobError, type WorkerJob } from './jobs';

if (!parentPort) throw new Error('evaluation-worker runs as a worker thread');

/** Nice value of evaluation threads: the main thread (health checks, status polls) wins the CPU from them. */
const EVALUATION_NICE = 10;

// Linux: lower this thread's priority only (setpriority on a thread id). Elsewhere it stays as it is.
try {
  const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, EVALUATION_NICE);
} catch {
  // No /proc or not permitted: evaluations run at the process's priority.
}
const port = parentPort;
const runner = new JobRunner();

port.on('message', (message: { id: number; job: WorkerJob }) => {
  try {
    port.postMessage({ id: message.id, ok: true, value: runner.run(message.job) });
  } catch (error) {
    port.postMessage({ id: message.id, ok: false, error: toJobError(error) });
  }
});
port.postMessage({ ready: true });
