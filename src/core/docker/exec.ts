import { PassThrough, Writable, type Readable } from 'node:stream';
import type { ExecResult } from '../spec.ts';
import { docker, withTimeout } from './engine.ts';

export type { ExecResult };

/**
 * Runs a command in a running container (as the image's user unless `user` says otherwise) and collects its stdout and stderr, demultiplexed by
 * dockerode's `modem.demuxStream` (the engine frames both streams on one connection without a TTY).
 * Errors: rejects when the container is not running, or after `timeoutMs` (the command keeps running).
 */
export async function execIn(container: string, command: string[], options: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const run = async (): Promise<ExecResult> => {
    const exec = await docker().getContainer(container).exec({ Cmd: command, ...(options.user ? { User: options.user } : {}), AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const collected = await collect(stream);
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? -1, ...collected };
  };
  return options.timeoutMs ? withTimeout(run(), options.timeoutMs, `\`${command.join(' ')}\` in ${container} did not finish`) : run();
}

/** A container's log (stdout and stderr interleaved), the last `tail` lines, optionally since a unix time in seconds. */
export async function containerLogs(container: string, options: { tail?: number; sinceUnixSeconds?: number } = {}): Promise<string> {
  const buffer = (await docker()
    .getContainer(container)
    .logs({ stdout: true, stderr: true, follow: false, tail: options.tail ?? 200, ...(options.sinceUnixSeconds ? { since: options.sinceUnixSeconds } : {}) })) as unknown as Buffer;
  const info = await docker().getContainer(container).inspect();
  if (info.Config.Tty) return buffer.toString('utf8');
  const source = new PassThrough();
  source.end(buffer);
  return (await collect(source)).output;
}

function collect(stream: Readable | NodeJS.ReadableStream): Promise<Omit<ExecResult, 'exitCode'>> {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const both: Buffer[] = [];
  // Synchronous sinks: every frame is stored by the time the source ends.
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        into.push(chunk);
        both.push(chunk);
        done();
      },
    });
  docker().modem.demuxStream(stream, sink(stdout), sink(stderr));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), output: Buffer.concat(both).toString('utf8') }));
    stream.on('error', reject);
  });
}
