import type { Prompter } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** Lends the keyboard for the duration of a question; the returned function gives it back. */
export type BorrowKeyboard = () => () => void;

/**
 * Questions asked in the middle of a command (confirm, ask, secret). The line editor lends us the
 * keyboard; we read raw bytes ourselves so an answer never lands in the history file and a secret is
 * never echoed. Ctrl-C or Ctrl-D cancels the question (and so the command).
 */
export class TerminalPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly borrowKeyboard: BorrowKeyboard,
  ) {}

  async confirm(question: string, defaultYes = false): Promise<boolean> {
    for (;;) {
      const answer = (await this.read(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `, true)).trim().toLowerCase();
      if (answer === '') return defaultYes;
      if (answer === 'y' || answer === 'yes') return true;
      if (answer === 'n' || answer === 'no') return false;
      this.output.write('please answer y or n\n');
    }
  }

  async ask(question: string, opts: { default?: string; validate?: (answer: string) => string | undefined } = {}): Promise<string> {
    for (;;) {
      const shown = opts.default !== undefined ? `${question} [${opts.default}]: ` : `${question}: `;
      const answer = (await this.read(shown, true)).trim() || (opts.default ?? '');
      const problem = opts.validate?.(answer);
      if (problem === undefined) return answer;
      this.output.write(`${problem}\n`);
    }
  }

  secret(question: string): Promise<string> {
    // Callers may word the question with its own colon ("Enter passphrase for key 'x': ").
    return this.read(`${question.replace(/:\s*$/, '')}: `, false);
  }

  private read(prompt: string, echo: boolean): Promise<string> {
    if (!this.input.isTTY) {
      return Promise.reject(new DustError(ErrorCodes.Usage, `cannot ask '${prompt.trim()}' without a terminal`, { hint: 'run dust interactively, or pass the answer as a flag (e.g. -y)' }));
    }
    const giveBack = this.borrowKeyboard();
    const wasRaw = this.input.isRaw;
    this.input.setRawMode(true);
    this.input.resume();
    this.output.write(prompt);
    return new Promise<string>((resolve, reject) => {
      let answer = '';
      /** `rest`: what followed the answer in the same chunk (a paste): handed back as type-ahead. */
      const finish = (err?: Error, rest = '') => {
        this.input.off('data', onData);
        this.input.setRawMode(wasRaw);
        this.output.write('\r\n');
        giveBack();
        if (rest !== '' && !err) this.input.emit('data', Buffer.from(rest, 'utf8'));
        if (err) reject(err);
        else resolve(answer);
      };
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        let at = 0;
        for (const ch of text) {
          at += ch.length;
          // `\r\n` from a terminal in CRLF mode is one Enter, not an answer and an empty line.
          if (ch === '\r' || ch === '\n') return finish(undefined, text.slice(ch === '\r' && text[at] === '\n' ? at + 1 : at));
          if (ch === '\x03' || ch === '\x04') return finish(new DustError(ErrorCodes.CommandFailed, 'cancelled'));
          if (ch === '\x7f' || ch === '\b') {
            if (answer.length > 0) {
              answer = answer.slice(0, -1);
              if (echo) this.output.write('\b \b');
            }
          } else if (ch === '\x15') {
            if (echo) this.output.write('\b \b'.repeat(answer.length));
            answer = '';
          } else if (ch >= ' ') {
            answer += ch;
            if (echo) this.output.write(ch);
          }
        }
      };
      this.input.on('data', onData);
    });
  }
}

/** Scripts (`dust -c`, piped stdin) cannot answer questions: fail with a hint instead of hanging. */
export class NoTerminalPrompter implements Prompter {
  confirm(question: string): Promise<boolean> {
    return Promise.reject(new DustError(ErrorCodes.Usage, `'${question}' needs an answer but dust is not on a terminal`, { hint: 'pass -y to confirm in scripts' }));
  }
  ask(question: string): Promise<string> {
    return Promise.reject(new DustError(ErrorCodes.Usage, `'${question}' needs an answer but dust is not on a terminal`, { hint: 'pass the value as an argument or flag' }));
  }
  secret(question: string): Promise<string> {
    return Promise.reject(new DustError(ErrorCodes.Usage, `'${question}' needs a secret but dust is not on a terminal`, { hint: 'run dust on a terminal; for scripts, load key passphrases into ssh-agent (ssh-add) and use sudo -n or NOPASSWD rules' }));
  }
}
