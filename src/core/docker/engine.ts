import Docker from 'dockerode';

let client: Docker | undefined;

/** One dockerode client, honouring DOCKER_HOST like the docker CLI does. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export interface EngineInfo {
  reachable: boolean;
  version?: string;
  storageDriver?: string;
  error?: string;
}

export async function engineInfo(timeoutMs = 5_000): Promise<EngineInfo> {
  try {
    const info = await withTimeout(docker().version(), timeoutMs, 'docker engine did not answer');
    const details = await withTimeout(docker().info(), timeoutMs, 'docker info did not answer');
    return { reachable: true, version: info.Version, storageDriver: details.Driver };
  } catch (error) {
    return { reachable: false, error: (error as Error).message };
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function imageLabels(ref: string): Promise<Record<string, string> | undefined> {
  try {
    const image = await docker().getImage(ref).inspect();
    return image.Config?.Labels ?? {};
  } catch {
    return undefined;
  }
}
