import { TskoError, isTskoError, type RegistryErrorDetail, type TskoErrorDetails } from '../errors.js';
import type { RegistryEvent, RegistryEventHandler } from '../events.js';
import type { Credential } from './credentials.js';

const REDACTED = '[redacted]';
/** Shorter strings are not hidden: replacing every "ab" in a message would make it unreadable. */
const MIN_SECRET = 4;

/**
 * Every credential and token a session has used, and the means to scrub them out of anything a
 * registry or token service sends back (errors[] messages, bodies, Location paths) before it
 * reaches an error message, `details`, `cause` or an event. Registries are not trusted to keep
 * what we sent them out of what they answer.
 */
export class SecretSet {
  private readonly secrets = new Set<string>();
  private pattern?: RegExp;

  /** Adds a secret and the forms it travels in (base64, URL-encoded, JSON-escaped). */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET) return;
    const forms = [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ x: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
    ];
    let added = false;
    for (const form of forms) {
      if (form.length >= MIN_SECRET && !this.secrets.has(form)) {
        this.secrets.add(form);
        added = true;
      }
    }
    if (added) this.pattern = undefined;
  }

  /** Adds everything secret in a credential: password, `user:password` in base64, tokens. */
  addCredential(credential: Credential | undefined): void {
    if (!credential) return;
    if ('password' in credential) {
      this.add(credential.password);
      const pair = `${credential.username}:${credential.password}`;
      this.add(Buffer.from(pair).toString('base64'));
      this.add(Buffer.from(pair).toString('base64url'));
    }
    if ('identityToken' in credential) this.add(credential.identityToken);
    if ('registryToken' in credential) this.add(credential.registryToken);
  }

  /** The text with every known secret replaced. */
  scrub(text: string): string {
    if (this.secrets.size === 0 || !text) return text;
    // Longest first, so a secret that contains another is removed whole.
    this.pattern ??= new RegExp(
      [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, REDACTED);
  }

  private contains(text: string | undefined): boolean {
    return text !== undefined && this.scrub(text) !== text;
  }

  /**
   * The same error with every secret removed from its message, details, registry errors and
   * cause chain. Errors without a secret are returned unchanged.
   */
  scrubError(err: unknown): unknown {
    if (!this.leaks(err, 0)) return err;
    return this.rebuild(err, 0);
  }

  private leaks(err: unknown, depth: number): boolean {
    if (depth > 8 || err === undefined || err === null) return false;
    if (typeof err !== 'object') return this.contains(String(err));
    const e = err as Error & { details?: unknown; registryErrors?: unknown };
    if (this.contains(e.message) || this.contains(e.stack)) return true;
    if (e.details !== undefined && this.contains(safeJson(e.details))) return true;
    if (e.registryErrors !== undefined && this.contains(safeJson(e.registryErrors))) return true;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((x) => this.leaks(x, depth + 1))) return true;
    return this.leaks(e.cause, depth + 1);
  }

  private rebuild(err: unknown, depth: number): unknown {
    if (depth > 8 || err === undefined || err === null) return undefined;
    if (typeof err !== 'object') return this.scrub(String(err));
    const e = err as Error;
    const cause = this.leaks(e.cause, depth + 1) ? this.rebuild(e.cause, depth + 1) : e.cause;
    if (isTskoError(e)) {
      const options: ConstructorParameters<typeof TskoError>[2] = {};
      if (cause !== undefined) options.cause = cause;
      if (e.status !== undefined) options.status = e.status;
      if (e.registryErrors) options.registryErrors = this.scrubValue(e.registryErrors) as RegistryErrorDetail[];
      if (e.details) options.details = this.scrubValue(e.details) as TskoErrorDetails;
      if (e.errors) options.errors = e.errors.map((inner) => this.rebuild(inner, depth + 1) as TskoError);
      return new TskoError(e.code, this.scrub(e.message), options);
    }
    // A foreign error (undici, Node) keeps its name and code, loses the secret.
    const copy = new Error(this.scrub(String(e.message ?? e)), cause === undefined ? undefined : { cause });
    copy.name = e.name;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') Object.assign(copy, { code });
    return copy;
  }

  private scrubValue(value: unknown): unknown {
    try {
      return JSON.parse(this.scrub(JSON.stringify(value)));
    } catch {
      return undefined;
    }
  }

  /** An event handler that never sees a secret, whatever text an event carries. */
  guardEvents(handler: RegistryEventHandler | undefined): RegistryEventHandler | undefined {
    if (!handler) return undefined;
    return (event: RegistryEvent) => {
      const text = safeJson(event);
      handler(this.contains(text) ? (this.scrubValue(event) as RegistryEvent) : event);
    };
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
