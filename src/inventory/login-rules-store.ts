import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import { LoginRuleSchema, type LoginRule } from '../config/schema.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

const StoreSchema = z.strictObject({
  first: z.array(LoginRuleSchema).default([]),
  last: z.array(LoginRuleSchema).default([]),
});

export type RulePrecedence = 'first' | 'last';

const HEADER = '# Login rules written by `assign` (dust). `first` rules win over the config\'s `logins:`,\n# `last` rules apply after them. Edit freely; dust rewrites this file on the next assign.\n';

/**
 * Login rules `assign` writes, kept apart from the user's config (which dust never rewrites) in
 * `$DUST_HOME/logins.yaml`, mode 0600. See `effectiveRules` for how they combine with the config.
 */
export class LoginRulesStore {
  readonly file: string;
  private first: LoginRule[] = [];
  private last: LoginRule[] = [];

  constructor(dustHome: string) {
    this.file = path.join(dustHome, 'logins.yaml');
    this.load();
  }

  /** Reads the file again (a missing file is an empty store; a broken one is a clear error). */
  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.first = [];
        this.last = [];
        return;
      }
      throw new DustError(ErrorCodes.ConfigUnreadable, `cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = yaml.load(text) ?? {};
    } catch (err) {
      throw new DustError(ErrorCodes.ConfigUnreadable, `cannot parse ${this.file}: ${(err as Error).message.split('\n')[0] ?? ''}`, {
        hint: 'fix the YAML or delete the file (it only holds rules written by assign)', cause: err,
      });
    }
    const parsed = StoreSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DustError(ErrorCodes.ConfigInvalid, `${this.file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`, {
        hint: 'each rule needs a selector and may have user, identityFile, port, proxyJump, cluster, address',
      });
    }
    this.first = parsed.data.first;
    this.last = parsed.data.last;
  }

  get firstRules(): readonly LoginRule[] {
    return this.first;
  }

  get lastRules(): readonly LoginRule[] {
    return this.last;
  }

  /**
   * Adds a rule. `first`: ahead of every other rule (the newest first-rule wins); `last`: after all
   * others. A rule with the same selector and precedence replaces the old one instead of piling up.
   */
  add(rule: LoginRule, precedence: RulePrecedence): void {
    const checked = LoginRuleSchema.parse(rule);
    if (precedence === 'first') this.first = [checked, ...this.first.filter((r) => r.selector !== checked.selector)];
    else this.last = [...this.last.filter((r) => r.selector !== checked.selector), checked];
    this.save();
  }

  /** Removes rules with this selector; returns how many went. */
  remove(selector: string): number {
    const before = this.first.length + this.last.length;
    this.first = this.first.filter((r) => r.selector !== selector);
    this.last = this.last.filter((r) => r.selector !== selector);
    const removed = before - this.first.length - this.last.length;
    if (removed > 0) this.save();
    return removed;
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const body = yaml.dump({ first: this.first, last: this.last }, { lineWidth: 120, noRefs: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, HEADER + body, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, this.file);
  }
}

/**
 * The rule list the inventory uses: the store's `first` rules, then the config's `logins:`, then the
 * store's `last` rules. First match wins, so `assign --first` overrides the config for its nodes.
 */
export function effectiveRules(configRules: readonly LoginRule[], store: Pick<LoginRulesStore, 'firstRules' | 'lastRules'>): LoginRule[] {
  return [...store.firstRules, ...configRules, ...store.lastRules];
}

/** Where the config's `logins:` rules were written, in the words messages use: `logins[2] in /path/config.yaml`. */
export function configRuleOrigins(configRules: readonly LoginRule[], configFile: string | undefined): string[] {
  return configRules.map((_, i) => `logins[${i}] in ${configFile ?? 'the config'}`);
}

/** Origins for `effectiveRules`, in the same order. */
export function effectiveRuleOrigins(
  configRules: readonly LoginRule[], configFile: string | undefined, store: Pick<LoginRulesStore, 'firstRules' | 'lastRules' | 'file'>,
): string[] {
  return [
    ...store.firstRules.map((_, i) => `first[${i}] in ${store.file}`),
    ...configRuleOrigins(configRules, configFile),
    ...store.lastRules.map((_, i) => `last[${i}] in ${store.file}`),
  ];
}
