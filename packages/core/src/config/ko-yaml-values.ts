import { TskoError } from '@tsko/registry';

/**
 * How ko turns `.ko.yaml` values into strings and string lists. ko reads its config through
 * viper (top-level keys, `cast.ToStringSlice`) and mapstructure with weak typing (`builds[]`
 * fields), so a scalar where a list is expected is accepted, and which way it is split depends
 * on the field. These functions reproduce those rules; `where` names the field for errors.
 */
export interface ValueSite {
  file: string;
  /** Field path, e.g. `builds[0].flags`. */
  field: string;
}

function invalid(site: ValueSite, what: string, value: unknown): TskoError {
  const shown = JSON.stringify(value)?.slice(0, 80) ?? String(value);
  return new TskoError('TSKO_CONFIG_INVALID', `${site.file}: ${site.field}: expected ${what}, got ${shown}.`, {
    details: { file: site.file, field: site.field },
  });
}

/** Go's `strings.Fields`: split on runs of white space, no quoting. */
export function fields(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** A Go float formatted as `strconv.FormatFloat(f, 'f', -1, 64)` would (no exponent). */
function goFloat(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 });
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/**
 * viper's `cast.ToString` of a scalar (top-level keys): booleans read `true`/`false`. Null
 * becomes the empty string. Maps and lists are refused (ko would silently turn them into "").
 */
export function castString(value: unknown, site: ValueSite): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  throw invalid(site, 'a string', value);
}

/**
 * mapstructure's weakly typed string (`builds[]` fields): booleans become `1`/`0`, numbers
 * their decimal form, null the empty string.
 */
export function weakString(value: unknown, site: ValueSite): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  return castString(value, site);
}

/**
 * viper's `GetStringSlice` (`defaultEnv`, `defaultFlags`, `defaultLdflags`, `defaultPlatforms`):
 * a string is split with `strings.Fields` (`defaultLdflags: -s -w` is two entries), a list
 * keeps its elements, another scalar is one entry. Empty means "not set".
 */
export function viperStringSlice(value: unknown, site: ValueSite): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  let list: string[];
  if (typeof value === 'string') list = fields(value);
  else if (Array.isArray(value)) list = value.map((v, i) => castString(v, { ...site, field: `${site.field}[${i}]` }));
  else list = [castString(value, site)];
  return list.length ? list : undefined;
}

/**
 * A `builds[]` list field. `split` says what a lone string becomes: `fields` for ko's
 * FlagArray (`flags`, `linux_capabilities`: `-v -v` is two flags), `whole` for StringArray
 * (`ldflags`) and plain `[]string` (`env`), where the string is one entry.
 */
export function buildStringList(value: unknown, site: ValueSite, split: 'fields' | 'whole'): string[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return split === 'fields' ? fields(value) : [value];
  if (Array.isArray(value)) return value.map((v, i) => weakString(v, { ...site, field: `${site.field}[${i}]` }));
  if (typeof value === 'object') throw invalid(site, 'a string or a list of strings', value);
  return [weakString(value, site)];
}

/** viper's `GetStringMapString`: a map whose values are cast to strings. */
export function stringMap(value: unknown, site: ValueSite): Record<string, string> | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(site, 'a map of import path to image', value);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] = castString(v, { ...site, field: `${site.field}.${k}` });
  return out;
}

/** `KEY=value` entries: ko fails on anything else when it builds the template data. */
export function checkEnvEntries(list: readonly string[] | undefined, site: ValueSite): void {
  list?.forEach((entry, i) => {
    if (entry.indexOf('=') <= 0) {
      throw new TskoError(
        'TSKO_CONFIG_INVALID',
        `${site.file}: ${site.field}[${i}]: "${entry.slice(0, 80)}" must look like KEY=value.`,
        { details: { file: site.file, field: `${site.field}[${i}]` } },
      );
    }
  });
}
