/**
 * Whether a prompt a remote program is waiting at asks for a secret (`[sudo] password for ann: `,
 * `Enter passphrase for key '/home/ann/.ssh/id_ed25519': `, `Verification code: `). dust then offers to read
 * the answer without echo and keeps answers to it out of history.
 */
const SECRET_WORDS = /\b(password|passwd|passphrase|passcode|pin|otp|one-time code|token|secret|verification code)\b[^:\n]*:\s*$/i;

export function isSecretPrompt(prompt: string): boolean {
  return SECRET_WORDS.test(prompt);
}
