import { RegistryClient, type RegistryOptions } from './registry-client.js';
import { SecretSet } from './secrets.js';
import { Transport } from './transport.js';

/**
 * Credentials and tokens shared by every registry one job talks to. Pass one session to several
 * pulls and pushes to reuse tokens; otherwise each call looks them up again. Connection pools
 * and each registry's ping are shared by the whole process either way (shared-agents.ts,
 * api-base.ts).
 */
export class RegistrySession {
  readonly options: RegistryOptions;
  private readonly transport: Transport;
  private readonly clients = new Map<string, RegistryClient>();
  /** Every credential and token used in this session, scrubbed from errors and events. */
  private readonly secrets = new SecretSet();

  constructor(options: RegistryOptions = {}) {
    this.options = options;
    const onEvent = this.secrets.guardEvents(options.onEvent);
    this.transport = new Transport(onEvent ? { ...options, onEvent } : options);
  }

  /**
   * The client for one registry host[:port]: the package's own plumbing, not public API.
   * @internal
   */
  client(registry: string): RegistryClient {
    let client = this.clients.get(registry);
    if (!client) {
      client = new RegistryClient(registry, this.transport, this.options, this.secrets);
      this.clients.set(registry, client);
    }
    return client;
  }

  /**
   * Ends requests still in flight. Images pulled through this session cannot be opened after.
   * Idle pooled connections are the process's: they close by themselves after 4 s and never
   * keep the process alive.
   */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** The caller's session, or a new one from the options. */
export function sessionFor(options: RegistryOptions & { session?: RegistrySession }): RegistrySession {
  return options.session ?? new RegistrySession(options);
}
