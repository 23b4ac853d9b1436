/**
 * What dust knows about ssh_config(5) keywords, so a config is checked the way OpenSSH checks it:
 * a misspelt keyword or a bad number is reported with its file:line instead of being skipped silently,
 * and an option dust cannot honour is named when it would apply.
 */

/**
 * Every keyword some OpenSSH client accepts (9.x, plus newer ones, deprecated ones it still tolerates, Debian's
 * GSSAPI patch and Apple's UseKeychain), lower case. Anything else is a typo or a foreign option: warned once.
 */
export const OPENSSH_KEYWORDS: ReadonlySet<string> = new Set([
  'host', 'match', 'include',
  'addkeystoagent', 'addressfamily', 'batchmode', 'bindaddress', 'bindinterface', 'canonicaldomains',
  'canonicalizefallbacklocal', 'canonicalizehostname', 'canonicalizemaxdots', 'canonicalizepermittedcnames',
  'casignaturealgorithms', 'certificatefile', 'challengeresponseauthentication', 'channeltimeout', 'checkhostip',
  'cipher', 'ciphers', 'clearallforwardings', 'compression', 'compressionlevel', 'connectionattempts',
  'connecttimeout', 'controlmaster', 'controlpath', 'controlpersist', 'dynamicforward', 'enableescapecommandline',
  'enablesshkeysign', 'escapechar', 'exitonforwardfailure', 'fingerprinthash', 'forkafterauthentication',
  'forwardagent', 'forwardx11', 'forwardx11timeout', 'forwardx11trusted', 'gatewayports', 'globalknownhostsfile',
  'globalknownhostsfile2', 'gssapiauthentication', 'gssapiclientidentity', 'gssapidelegatecredentials',
  'gssapikeyexchange', 'gssapikexalgorithms', 'gssapirenewalforcesrekey', 'gssapiserveridentity', 'gssapitrustdns',
  'hashknownhosts', 'hostbasedacceptedalgorithms', 'hostbasedauthentication', 'hostbasedkeytypes',
  'hostkeyalgorithms', 'hostkeyalias', 'hostname', 'identitiesonly', 'identityagent', 'identityfile',
  'identityfile2', 'ignoreunknown', 'ipqos', 'kbdinteractiveauthentication', 'kbdinteractivedevices',
  'kexalgorithms', 'keepalive', 'knownhostscommand', 'localcommand', 'localforward', 'loglevel', 'logverbose',
  'macs', 'nohostauthenticationforlocalhost', 'numberofpasswordprompts', 'obscurekeystroketiming',
  'passwordauthentication', 'permitlocalcommand', 'permitremoteopen', 'pkcs11provider', 'port',
  'preferredauthentications', 'protocol', 'proxycommand', 'proxyjump', 'proxyusefdpass', 'pubkeyacceptedalgorithms',
  'pubkeyacceptedkeytypes', 'pubkeyauthentication', 'refuseconnection', 'rekeylimit', 'remotecommand',
  'remoteforward', 'requesttty', 'requiredrsasize', 'revokedhostkeys', 'rhostsrsaauthentication',
  'rsaauthentication', 'securitykeyprovider', 'sendenv', 'serveralivecountmax', 'serveraliveinterval',
  'sessiontype', 'setenv', 'smartcarddevice', 'stdinnull', 'streamlocalbindmask', 'streamlocalbindunlink',
  'stricthostkeychecking', 'syslogfacility', 'tag', 'tcpkeepalive', 'tunnel', 'tunneldevice', 'updatehostkeys',
  'usekeychain', 'useprivilegedport', 'user', 'userknownhostsfile', 'userknownhostsfile2', 'verifyhostkeydns',
  'visualhostkey', 'xauthlocation',
  // Long gone from OpenSSH but still accepted by it with a deprecation note; old configs keep them.
  'afstokenpassing', 'dsaauthentication', 'fallbacktorsh', 'kerberosauthentication', 'kerberostgtpassing',
  'skeyauthentication', 'tisauthentication', 'useroaming', 'usersh',
]);

/** `Match` criteria OpenSSH knows. */
export const MATCH_CRITERIA: ReadonlySet<string> = new Set([
  'all', 'canonical', 'final', 'exec', 'localnetwork', 'host', 'originalhost', 'tagged', 'user', 'localuser',
  'version', 'sessiontype', 'command',
]);

/** Criteria dust evaluates; the rest make their block never apply (and are warned about once). */
export const SUPPORTED_MATCH_CRITERIA: ReadonlySet<string> = new Set([
  'all', 'canonical', 'final', 'exec', 'host', 'originalhost', 'user', 'localuser',
]);

/**
 * Checks the value of a keyword dust uses; returns why it is unusable, or undefined. OpenSSH refuses to start
 * on these; dust skips the line (so a later, less specific value may apply) and says so.
 */
export function checkValue(keyword: string, args: readonly string[]): string | undefined {
  const v = args[0];
  if (v === undefined) return keyword === 'include' ? undefined : 'has no value';
  switch (keyword) {
    case 'port': return isInt(v, 1, 65535) ? undefined : `"${v}" is not a port number (1-65535)`;
    case 'connecttimeout':
    case 'serveraliveinterval': return parseTimeSpec(v) !== undefined ? undefined : `"${v}" is not a time (seconds, or like 1m30s)`;
    case 'identitiesonly':
    case 'hashknownhosts': return isYesNo(v) ? undefined : `"${v}" is not yes or no`;
    case 'stricthostkeychecking':
      return ['yes', 'no', 'ask', 'accept-new', 'off', 'true', 'false'].includes(v.toLowerCase()) ? undefined
        : `"${v}" is not one of yes, no, ask, accept-new, off`;
    default: return undefined;
  }
}

/**
 * Options OpenSSH would act on that dust does not: named (once per line) when one applies to a host dust
 * connects to, because silently behaving differently from `ssh` is worse than a warning. Each returns the
 * reason, or undefined when the value is one dust already behaves like (`ForwardAgent no`).
 */
export function unsupportedReason(keyword: string, args: readonly string[]): string | undefined {
  const v = (args[0] ?? '').toLowerCase();
  switch (keyword) {
    case 'forwardagent': return v === 'no' || v === 'false' ? undefined : 'dust does not forward the agent to nodes';
    case 'certificatefile': return 'dust does not offer SSH certificates; the plain key is used';
    case 'pkcs11provider': return v === 'none' ? undefined : 'dust cannot use PKCS#11 keys; load them into ssh-agent (ssh-add -s)';
    case 'securitykeyprovider': return v === 'internal' ? undefined : 'dust cannot use FIDO security keys directly';
    case 'knownhostscommand': return v === 'none' ? undefined : 'dust does not run KnownHostsCommand; only known_hosts files are checked';
    case 'canonicalizehostname': return v === 'no' || v === 'false' ? undefined : 'dust does not canonicalize host names';
    default: return undefined;
  }
}

/** OpenSSH's convtime: `90`, `90s`, `1m30s`, `1h`, `2d`, `1w` → seconds; undefined when malformed. */
export function parseTimeSpec(v: string): number | undefined {
  if (!/^(\d+[smhdw]?)+$/i.test(v)) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  for (const m of v.matchAll(/(\d+)([smhdw]?)/gi)) total += Number(m[1]) * (unit[(m[2] ?? '').toLowerCase()] ?? 1);
  return total <= 2 ** 31 - 1 ? total : undefined;
}

function isInt(v: string, min: number, max: number): boolean {
  if (!/^\d+$/.test(v)) return false;
  const n = Number(v);
  return n >= min && n <= max;
}

function isYesNo(v: string): boolean {
  return ['yes', 'no', 'true', 'false'].includes(v.toLowerCase());
}
