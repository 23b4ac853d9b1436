/**
 * Recognising a shell dust did not start taking over a node's terminal (`sudo -i`, `sudo su -`, `su -`, a nested
 * `bash` whose rc sets its own PS1): the command that started it switches shells, and what it prints while it
 * waits is a shell prompt. Both must hold: dust then types its bootstrap into that prompt, and typing into a
 * program that only looks like a shell (psql's `postgres=# `, python's `>>> `) would be wrong.
 */

/** Ends like a shell prompt: `$ `, `# ` or `% ` (not psql's `=#`/`-#`, not `>`: REPLs end in `>`). */
const SHELL_PROMPT = /(?:^|[^=\-])[$#%]\s?$/;

/** Commands that put another shell in front of the user. */
const SHELL_SWITCH = /(?:^|[;&|(!{}\s])(?:sudo|su|doas|runuser|pkexec|machinectl|login|newgrp|sg|chroot|nsenter|ssh|exec|bash|sh|dash|ash|zsh|ksh|mksh|fish|tcsh|csh|busybox|script|tmux|screen)(?=$|[\s;&|)])/;

export function looksLikeShellPrompt(text: string): boolean {
  const t = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trimStart();
  return t.length <= 200 && SHELL_PROMPT.test(t);
}

export function switchesShell(command: string | undefined): boolean {
  return command !== undefined && SHELL_SWITCH.test(command);
}
