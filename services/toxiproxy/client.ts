/** Toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api), reached on its published port. */
export interface Toxic {
  name: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
}

/** An answer of Toxiproxy's API other than 2xx; `status` tells a missing toxic (404) from a real failure. */
export class ToxiproxyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ToxiproxyClient {
  constructor(private readonly baseUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    if (!response.ok) throw new ToxiproxyError(response.status, `toxiproxy ${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async proxies(): Promise<Record<string, { name: string; enabled: boolean; toxics: Toxic[] }>> {
    return (await this.call('GET', '/proxies')) as Record<string, { name: string; enabled: boolean; toxics: Toxic[] }>;
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, toxic);
  }

  /** Removes a toxic; one already gone (404: removed by a reset or an earlier undo) counts as removed. */
  async removeToxic(proxy: string, name: string): Promise<void> {
    try {
      await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
    } catch (error) {
      if (!(error instanceof ToxiproxyError && error.status === 404)) throw error;
    }
  }

  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${proxy}`, { enabled });
  }

  /** Every toxic removed and every proxy enabled: the state a stack starts in. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }
}
