import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { LoginRule } from '../config/schema.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { describeParseError } from '../config/parse-error.js';
import { withFileLock } from '../state/file-lock.js';
import { writePrivateFile } from '../state/private-file.js';

export type RulePrecedence = 'first' | 'last';

const HEADER = '# Login rules written by `assign` (dust). `first` rules win over the config\'s `logins:`,\n# `last` rules apply after them. Edit freely; dust rewrites this file on the next assign.\n';

/**
 * Login rules `assign` writes, kept apart from the user's config (which dust never rewrites) in
 * `$DUST_HOME/logins.yaml`, mode 0600. See `effectiveRules` for how they combine with the config.
 *
 * Another dust process may assign at the same time, and people edit the file by hand: a change is made
 * under the file's lock against the file as it is then (never from the copy read at start-up), and a file
 * that does not parse is never overwritten.
 */
export class LoginRulesStore {
  readonly file: string;
  private first: LoginRule[] = [];
  private last: LoginRule[] = [];
  /** Why the file could not be used at start-up (reported once by the caller; its rules are not applied). */
  problem: DustError | undefined;

  /** Empty until `load` (or use `open`). */
  constructor(dustHome: string) {
    this.file = path.join(dustHome, 'logins.yaml');
  }

  /** A store with its file read; why the file could not be used is kept in `problem`, not thrown. */
  static async open(dustHome: string): Promise<LoginRulesStore> {
    const store = new LoginRulesStore(dustHome);
    await store.loadKeepingProblem();
    return store;
  }

  /** `load`, with a failure kept in `problem` (its rules are then not applied) instead of thrown. */
  async loadKeepingProblem(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      this.problem = err instanceof DustError ? err : new DustError(ErrorCodes.ConfigUnreadable, `cannot read ${this.file}: ${String(err)}`, { cause: err });
    }
  }

  /** Reads the file again (a missing file is an empty store; a broken one is a clear error). */
  async load(): Promise<void> {
    const { first, last } = await readRules(this.file);
    this.first = first;
    this.last = last;
    this.problem = undefined;
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
  async add(rule: LoginRule, precedence: RulePrecedence): Promise<void> {
    const { LoginRuleSchema } = await import('../config/schema.js');
    const checked = LoginRuleSchema.parse(rule);
    return this.change(() => {
      if (precedence === 'first') this.first = [checked, ...this.first.filter((r) => r.selector !== checked.selector)];
      else this.last = [...this.last.filter((r) => r.selector !== checked.selector), checked];
      return true;
    });
  }

  /** Removes rules with this selector; resolves to how many went. */
  async remove(selector: string): Promise<number> {
    let removed = 0;
    await this.change(() => {
      const before = this.first.length + this.last.length;
      this.first = this.first.filter((r) => r.selector !== selector);
      this.last = this.last.filter((r) => r.selector !== selector);
      removed = before - this.first.length - this.last.length;
      return removed > 0;
    });
    return removed;
  }

  /** Re-reads the file under its lock, applies `edit` to what is there now, and writes it back atomically. */
  private change(edit: () => boolean): Promise<void> {
    return withFileLock(this.file, async () => {
      try {
        await this.load();
      } catch (err) {
        // Replacing a file we cannot read would lose whatever the person wrote in it.
        throw new DustError(ErrorCodes.StateWrite, `${err instanceof Error ? err.message : String(err)}; not overwriting it`, {
          hint: 'fix the file, or move it away to start a new one (it only holds rules written by assign)', cause: err,
        });
      }
      if (!edit()) return;
      const body = yaml.dump({ first: this.first, last: this.last }, { lineWidth: 120, noRefs: true });
      await writePrivateFile(this.file, HEADER + body);
    });
  }
}

/** The file's rules; none when it does not exist (and then no schema, so no zod, is loaded). */
async function readRules(file: string): Promise<{ first: LoginRule[]; last: LoginRule[] }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { first: [], last: [] };
    throw new DustError(ErrorCodes.ConfigUnreadable, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = yaml.load(text) ?? {};
  } catch (err) {
    throw new DustError(ErrorCodes.ConfigUnreadable, `${file}: ${describeParseError(err)}`, {
      hint: 'fix the YAML or move the file away (it only holds rules written by assign); its rules are not used meanwhile', cause: err,
    });
  }
  const { LoginRulesFileSchema } = await import('./login-rules-schema.js');
  const parsed = LoginRulesFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DustError(ErrorCodes.ConfigInvalid, `${file}: ${issue ? `${issue.path.join('.') || '(top level)'}: ${issue.message}` : 'invalid'}`, {
      hint: 'each rule needs a selector and may have user, identityFile, port, proxyJump, cluster, address; its rules are not used meanwhile',
    });
  }
  return { first: parsed.data.first, last: parsed.data.last };
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
