export { CLOSED_PORT, freePort, run, runOk, startDaemon, stopDaemon, waitFor, type RunResult } from './process.js';
export { selfSignedCert, type SelfSigned } from './certs.js';
export { startTokenServer, type TokenServer } from './token-server.js';
export {
  startRegistry,
  TEST_USER,
  TEST_PASSWORD,
  type TestRegistry,
  type RegistryKind,
  type LoggedRequest,
} from './registry.js';
export { skopeoRaw, skopeoConfig, skopeoInspect, skopeoCopy } from './skopeo.js';
export { pushStaticBase, tarLayer, testImage } from './images.js';
export {
  startFaultProxy,
  FAULT_KINDS,
  type FaultProxy,
  type FaultRule,
  type FaultAction,
  type RandomFaults,
} from './fault-proxy.js';
export { startBlackHole, type BlackHole } from './black-hole.js';
export { startConnectionCounter, type ConnectionCounter } from './connection-counter.js';
export { startPodman, type Podman } from './podman.js';
export { startFakeKubeApi, type FakeKubeApi } from './fake-kube-api.js';
export { goTestEnvironment } from './go-env.js';
export { readTarLayer, type TarEntryRead } from './tar-reader.js';
export {
  startRecordingHost,
  type RecordingHost,
  type RecordingHostOptions,
  type RecordedRequest,
  type Reply,
} from './recording-host.js';
export { rigDir, rigGoDir } from './go-env.js';
export { ensureKo, ensureReferrersRegistry, KO_VERSION } from './go-tools.js';
export { writeModuleProxy, type ProxyModule } from './go-proxy.js';
export { fileFromLayer } from './image-files.js';
export { startReferrersRegistry, type ReferrersRegistry } from './referrers-registry.js';
export { ensurePulumiCli } from './pulumi-cli.js';
export { runTsChild, layoutRefNames } from './ts-child.js';
export {
  writeManyPrograms,
  manyProgramNames,
  sharedValueSource,
  MANY_MODULE,
  SHARED_VALUE_FILE,
} from './many-programs.js';
