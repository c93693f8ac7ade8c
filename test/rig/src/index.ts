export { freePort, run, runOk, startDaemon, stopDaemon, waitFor, type RunResult } from './process.js';
export { selfSignedCert, type SelfSigned } from './certs.js';
export { startTokenServer, type TokenServer } from './token-server.js';
export { startRegistry, TEST_USER, TEST_PASSWORD, type TestRegistry, type RegistryKind, type LoggedRequest } from './registry.js';
export { skopeoRaw, skopeoConfig, skopeoInspect, skopeoCopy } from './skopeo.js';
export { tarLayer, testImage } from './images.js';
export { startFaultProxy, type FaultProxy, type FaultRule } from './fault-proxy.js';
export { startPodman, type Podman } from './podman.js';
export { startFakeKubeApi, type FakeKubeApi } from './fake-kube-api.js';
