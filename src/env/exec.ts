import { docker } from '../core/docker/engine.ts';

/** Runs a command in a running container and returns its exit code and combined output. */
export async function execIn(container: string, command: string[], user = 'root'): Promise<{ exitCode: number; output: string }> {
  const exec = await docker().getContainer(container).exec({ Cmd: command, User: user, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { exitCode: ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
}

/** Docker multiplexes stdout/stderr in 8-byte framed chunks when the container has no TTY. */
export function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString();
    offset += 8 + size;
  }
  return out || buffer.toString();
}
