/** What a cluster may be called (it names files under $DUST_HOME/clusters and cloud resources). Light: no zod. */
export const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
