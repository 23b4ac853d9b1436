/** The SSH transport: everything OpenSSH (connect, pool, keepalive, login, ssh config, keys, agent, ProxyJump, ProxyCommand, known_hosts). */
export { SshTransport, type SshTransportOptions, type LoginInfo, type HostKeyVerdict } from './ssh-transport.js';
export { createSshTransport, createSshLogins, type SshTransportDeps } from './ssh-transport-factory.js';
export { SshLogins, type SshLoginsOptions } from './ssh-logins.js';
export { explainSshError } from './ssh-errors.js';
export { HandshakePool, isRetryableHandshakeError } from './pool.js';
