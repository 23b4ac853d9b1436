/** The SSH transport: everything OpenSSH (connect, pool, keepalive, login, ssh config, keys, agent, ProxyJump, known_hosts). */
export { SshTransport, type SshTransportOptions, type LoginInfo, type HostKeyVerdict } from './ssh-transport.js';
export { createSshTransport, type SshTransportDeps } from './ssh-transport-factory.js';
export { explainSshError } from './ssh-errors.js';
export { HandshakePool, isRetryableHandshakeError } from './pool.js';
