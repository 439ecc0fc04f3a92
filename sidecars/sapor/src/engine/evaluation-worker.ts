// Entry point of an evaluation worker thread: runs each job it is sent and answers with its id.
import { parentPort } from 'node:worker_threads';
import { JobRunner, toJobError, type WorkerJob } from './jobs';

if (!parentPort) throw new Error('evaluation-worker runs as a worker thread');
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
