import type Docker from 'dockerode';

/** A read-only bind mount of a repository file (a configuration file shared with compose.yaml). */
export function bind(source: string, target: string): Docker.MountSettings {
  return { Type: 'bind', Source: source, Target: target, ReadOnly: true };
}

/** A named volume: kept by `refstack down --keep-data`. */
export function volume(name: string, target: string): Docker.MountSettings {
  return { Type: 'volume', Source: name, Target: target };
}

export function published(hostPort: number, containerPort: number): Docker.PortMap {
  return { [`${containerPort}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] };
}

