/** Toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api), reached on its published port. */
export interface Toxic {
  name: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, number>;
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
    if (!response.ok) throw new Error(`toxiproxy ${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  async proxies(): Promise<Record<string, { name: string; enabled: boolean; toxics: Toxic[] }>> {
    return (await this.call('GET', '/proxies')) as Record<string, { name: string; enabled: boolean; toxics: Toxic[] }>;
  }

  async addToxic(proxy: string, toxic: Toxic): Promise<void> {
    await this.call('POST', `/proxies/${proxy}/toxics`, toxic);
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${proxy}/toxics/${name}`);
  }

  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${proxy}`, { enabled });
  }

  /** Every toxic removed and every proxy enabled: the state a stack starts in. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }
}
