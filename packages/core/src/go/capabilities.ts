import { TskoError } from '@tsko/registry';

/**
 * Linux file capabilities for `builds[].linux_capabilities`, as ko writes them: the binary's
 * tar header carries a `SCHILY.xattr.security.capability` PAX record (a `vfs_cap_data`
 * revision 2 value), so a container runtime grants those capabilities when it runs the binary
 * without making the whole container privileged.
 *
 * Each term is a capability name (`net_bind_service`, `CAP_NET_RAW`, a number 0-63, `all`),
 * which goes into the permitted set, or cap_from_text(3) syntax: `cap1,cap2=pie`, `cap+p`,
 * `cap-e`, `=p` (all). Any effective bit sets the effective flag for the whole file.
 */
const NAMES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];
const ALL_KNOWN = NAMES.reduce((mask, _n, i) => mask | (1n << BigInt(i)), 0n);
const FULL = (1n << 64n) - 1n;

function invalid(where: string, message: string): TskoError {
  return new TskoError('TSKO_CONFIG_INVALID', `${where}: ${message}`, { details: { field: where } });
}

/** One capability name or number as a bit mask. */
export function capabilityMask(name: string, where: string): bigint {
  if (/^\d+$/.test(name) && Number(name) < 64) return 1n << BigInt(name);
  const upper = name.toUpperCase();
  if (upper === 'ALL') return ALL_KNOWN;
  const index = NAMES.indexOf(upper.replace(/^CAP_/, ''));
  if (index === -1)
    throw invalid(
      where,
      `unknown capability ${JSON.stringify(name)} (names as in capabilities(7), e.g. net_bind_service).`,
    );
  return 1n << BigInt(index);
}

/** The permitted, inheritable and effective sets the terms describe. */
export function parseCapabilities(
  terms: readonly string[],
  where: string,
): { permitted: bigint; inheritable: bigint; effective: bigint } {
  let permitted = 0n;
  let inheritable = 0n;
  let effective = 0n;
  terms.forEach((term, i) => {
    const at = `${where}[${i}]`;
    const op = term.search(/[+\-=]/);
    if (op === -1) {
      permitted |= capabilityMask(term, at);
      return;
    }
    const names = op === 0 && term[0] === '=' ? 'all' : term.slice(0, op);
    let mask = 0n;
    for (const name of names.split(',')) mask |= capabilityMask(name, at);
    let keep = FULL;
    for (const c of term.slice(op)) {
      if (c === '+') keep = FULL;
      else if (c === '-') keep = FULL & ~mask;
      else if (c === '=') {
        keep = FULL;
        permitted &= ~mask;
        inheritable &= ~mask;
        effective &= ~mask;
      } else if (c === 'p') permitted = (permitted | mask) & keep;
      else if (c === 'i') inheritable = (inheritable | mask) & keep;
      else if (c === 'e') effective = (effective | mask) & keep;
      else throw invalid(at, `unknown flag '${c}' in ${JSON.stringify(term)} (use p, i, e with +, - or =).`);
    }
  });
  return { permitted, inheritable, effective };
}

/**
 * The `security.capability` xattr value (little-endian `vfs_cap_data`, revision 2: magic and
 * flags, then permitted/inheritable low words, then high words), or undefined when the terms
 * grant nothing (ko then writes no record).
 */
export function capabilityXattr(terms: readonly string[], where: string): Uint8Array | undefined {
  const { permitted, inheritable, effective } = parseCapabilities(terms, where);
  if (permitted === 0n && inheritable === 0n) return undefined;
  const out = Buffer.alloc(20);
  out.writeUInt32LE(0x02000000 | (effective !== 0n ? 1 : 0), 0);
  out.writeUInt32LE(Number(permitted & 0xffffffffn), 4);
  out.writeUInt32LE(Number(inheritable & 0xffffffffn), 8);
  out.writeUInt32LE(Number(permitted >> 32n), 12);
  out.writeUInt32LE(Number(inheritable >> 32n), 16);
  return out;
}
