// The loopback git server for tests (smart HTTP via `git http-backend`); see
// operator/devcluster/git-server.ts.
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
} from "../../operator/devcluster/git-server.js";
