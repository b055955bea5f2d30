// Public surface of the dev cluster library (see docs/control-plane.md).
export {
  COMPONENTS,
  ClusterExistsError,
  DevCluster,
  clustersDir,
  getCluster,
  listClusters,
  startCluster,
  stopCluster,
  type ClusterPorts,
  type ClusterState,
  type ComponentName,
  type ComponentState,
  type StartClusterOptions,
} from "./cluster.js";
export { expectedControlPlanePaths, resolveControlPlaneBinaries, type ControlPlaneBinaries } from "./binaries.js";
export {
  DEFAULT_VERSIONS,
  MissingBinaryError,
  cacheDir,
  expectedToolPath,
  resolveTool,
  versions,
  type ToolName,
  type Versions,
} from "../tools/index.js";
export {
  DirContent,
  fromDir,
  startGitServer,
  type CommitOptions,
  type CreateRepoOptions,
  type GitAuth,
  type GitRequestRecord,
  type GitServer,
  type GitServerOptions,
  type RepoFiles,
} from "./git-server.js";
export type { Pki } from "./pki.js";
