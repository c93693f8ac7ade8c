import { TskoError, type RegistryErrorDetail, type TskoErrorCode } from '../errors.js';

/** Reads the distribution `errors[]` body, tolerating anything else. */
export function parseRegistryErrors(body: string): RegistryErrorDetail[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors
      .filter(
        (e): e is { code: string; message?: unknown } =>
          typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string',
      )
      .map((e) => {
        const detail: RegistryErrorDetail = { code: e.code };
        if (typeof e.message === 'string') detail.message = e.message.slice(0, 500);
        return detail;
      });
  } catch {
    return [];
  }
}

/**
 * Turns a failed registry response into a typed error. `what` names the operation and the
 * repository (never a URL with query parameters, which may carry upload state).
 */
export function responseError(status: number, body: string, what: string, hint?: string): TskoError {
  const registryErrors = parseRegistryErrors(body);
  const codes = registryErrors.map((e) => e.code);
  const summary = registryErrors.length
    ? registryErrors.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ')
    : `HTTP ${status}`;
  let code: TskoErrorCode = 'TSKO_REGISTRY_ERROR';
  let advice = hint ?? '';
  if (status === 401) {
    code = 'TSKO_UNAUTHORIZED';
    advice ||= 'Check the credentials for this registry (options.credentials, docker login, or a credential helper).';
  } else if (status === 403 || codes.includes('DENIED')) {
    code = 'TSKO_DENIED';
    advice ||= 'The credentials were accepted but lack permission for this repository.';
  } else if (status === 404 || codes.some((c) => c.endsWith('_UNKNOWN') && c !== 'MANIFEST_BLOB_UNKNOWN')) {
    code = 'TSKO_NOT_FOUND';
  } else if (status >= 500 || status === 429 || status === 408) {
    code = 'TSKO_REGISTRY_UNAVAILABLE';
    advice ||= 'The registry kept failing after retries; try again later.';
  }
  const message = `${what} failed: ${summary} (HTTP ${status}).${advice ? ` ${advice}` : ''}`;
  return new TskoError(code, message, { status, registryErrors });
}
