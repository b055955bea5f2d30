// Generated from crds/applicationset.yaml by hack/gen-types.ts; do not edit. Run `npm run gen:types`.
import type { ObjectMeta } from "../object.js";
import type { ApplicationSpec, HealthStatus, ResourceStatus } from "./application.js";

/**
 * Generates Applications from a template and parameter sets produced by generators (lists, clusters, git directories and files, SCM and pull-request providers, plugins).
 */
export interface ApplicationSet {
  /**
   * Versioned schema of this object; always argoproj.io/v1alpha1.
   */
  apiVersion: string;
  /**
   * Always ApplicationSet.
   */
  kind: string;
  metadata: ObjectMeta;
  spec: ApplicationSetSpec;
  status?: ApplicationSetStatus;
  [k: string]: unknown;
}
/**
 * Generators, the Application template, and how generated Applications are managed.
 */
export interface ApplicationSetSpec {
  /**
   * Each entry is one generator; the parameter sets of all entries are rendered through the template.
   */
  generators: ApplicationSetGenerator[];
  /**
   * Render the template with Go text/template and Sprig instead of plain {{param}} substitution.
   */
  goTemplate?: boolean;
  /**
   * Go template options, e.g. missingkey=error.
   */
  goTemplateOptions?: string[];
  template: ApplicationSetTemplate;
  /**
   * Go template (goTemplate only) rendered per parameter set into a YAML/JSON patch that is merged into each generated Application; it cannot change spec.project.
   */
  templatePatch?: string;
  syncPolicy?: ApplicationSetSyncPolicy;
  strategy?: ApplicationSetStrategy;
  /**
   * Fields of generated Applications the controller leaves as they are when updating them.
   */
  ignoreApplicationDifferences?: ApplicationSetResourceIgnoreDifferences[];
  preservedFields?: ApplicationPreservedFields;
  /**
   * Deprecated and ignored; selectors of nested generators always apply.
   */
  applyNestedSelectors?: boolean;
}
/**
 * Exactly one generator, optionally post-filtered by selector.
 */
export interface ApplicationSetGenerator {
  list?: ListGenerator;
  clusters?: ClusterGenerator;
  git?: GitGenerator;
  scmProvider?: SCMProviderGenerator;
  clusterDecisionResource?: DuckTypeGenerator;
  pullRequest?: PullRequestGenerator;
  plugin?: PluginGenerator;
  matrix?: MatrixGenerator;
  merge?: MergeGenerator;
  selector?: LabelSelector;
}
/**
 * One parameter set per element.
 */
export interface ListGenerator {
  /**
   * Parameter sets as free-form objects.
   */
  elements?: {
    [k: string]: unknown;
  }[];
  /**
   * A YAML/JSON list of parameter sets as a string, usually rendered from an earlier matrix child.
   */
  elementsYaml?: string;
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * One parameter set per registered cluster (cluster Secret), plus the local cluster when no selector is given.
 */
export interface ClusterGenerator {
  selector?: LabelSelector;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Produce a single parameter set with every cluster in a `clusters` list.
   */
  flatList?: boolean;
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * Label selector; matchLabels and matchExpressions must all match.
 */
export interface LabelSelector {
  /**
   * Labels that must all be present with exactly these values.
   */
  matchLabels?: {
    [k: string]: string;
  };
  /**
   * Requirements that must all hold.
   */
  matchExpressions?: LabelSelectorRequirement[];
}
export interface LabelSelectorRequirement {
  /**
   * Label key.
   */
  key: string;
  /**
   * In, NotIn, Exists or DoesNotExist.
   */
  operator: string;
  /**
   * Values for In and NotIn; empty for Exists and DoesNotExist.
   */
  values?: string[];
}
/**
 * One parameter set per matching directory, or per entry of matching JSON/YAML files, in a git repository.
 */
export interface GitGenerator {
  /**
   * Repository to read.
   */
  repoURL: string;
  /**
   * Branch, tag or commit to read.
   */
  revision: string;
  /**
   * Directory globs; an entry with exclude removes matches.
   */
  directories?: GitDirectoryGeneratorItem[];
  /**
   * File globs whose content provides the parameter sets.
   */
  files?: GitFileGeneratorItem[];
  /**
   * Prefix for the path parameters, needed when two git generators are combined in a matrix.
   */
  pathParamPrefix?: string;
  /**
   * How often to regenerate, in seconds.
   */
  requeueAfterSeconds?: number;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
export interface GitDirectoryGeneratorItem {
  /**
   * Directory glob (path.Match syntax) relative to the repository root.
   */
  path: string;
  /**
   * Exclude matching directories instead of including them.
   */
  exclude?: boolean;
}
export interface GitFileGeneratorItem {
  /**
   * File glob relative to the repository root.
   */
  path: string;
  /**
   * Exclude matching files instead of including them.
   */
  exclude?: boolean;
}
/**
 * One parameter set per repository (and branch) found at an SCM provider.
 */
export interface SCMProviderGenerator {
  github?: SCMProviderGeneratorGithub;
  gitlab?: SCMProviderGeneratorGitlab;
  gitea?: SCMProviderGeneratorGitea;
  bitbucketServer?: SCMProviderGeneratorBitbucketServer;
  bitbucket?: SCMProviderGeneratorBitbucket;
  azureDevOps?: SCMProviderGeneratorAzureDevOps;
  awsCodeCommit?: SCMProviderGeneratorAWSCodeCommit;
  /**
   * A repository is kept when it passes any filter; within a filter every given criterion must hold.
   */
  filters?: SCMProviderGeneratorFilter[];
  /**
   * Which clone URL to use, e.g. https or ssh.
   */
  cloneProtocol?: string;
  /**
   * How often to regenerate, in seconds.
   */
  requeueAfterSeconds?: number;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * List the repositories of a GitHub organization or user.
 */
export interface SCMProviderGeneratorGithub {
  /**
   * Organization (or user) whose repositories are listed.
   */
  organization: string;
  /**
   * API URL; defaults to the public GitHub API.
   */
  api?: string;
  tokenRef?: SecretRef;
  /**
   * Secret holding GitHub App credentials.
   */
  appSecretName?: string;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
  /**
   * Skip archived repositories.
   */
  excludeArchivedRepos?: boolean;
}
/**
 * A key of a Secret in the ApplicationSet's namespace.
 */
export interface SecretRef {
  /**
   * Name of the Secret.
   */
  secretName: string;
  /**
   * Key within the Secret.
   */
  key: string;
}
/**
 * List the projects of a GitLab group.
 */
export interface SCMProviderGeneratorGitlab {
  /**
   * Group (ID or full path) whose projects are listed.
   */
  group: string;
  /**
   * Also list the projects of subgroups.
   */
  includeSubgroups?: boolean;
  /**
   * Also list projects shared with the group.
   */
  includeSharedProjects?: boolean;
  /**
   * Also list archived projects.
   */
  includeArchivedRepos?: boolean;
  /**
   * Only projects with this topic.
   */
  topic?: string;
  /**
   * API URL; defaults to gitlab.com.
   */
  api?: string;
  tokenRef?: SecretRef;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
  caRef?: ConfigMapKeyRef;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
/**
 * A key of a ConfigMap in the ApplicationSet's namespace.
 */
export interface ConfigMapKeyRef {
  /**
   * Name of the ConfigMap.
   */
  configMapName: string;
  /**
   * Key within the ConfigMap.
   */
  key: string;
}
/**
 * List the repositories of a Gitea user or organization.
 */
export interface SCMProviderGeneratorGitea {
  /**
   * User or organization whose repositories are listed.
   */
  owner: string;
  /**
   * Gitea API URL.
   */
  api: string;
  tokenRef?: SecretRef;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
  /**
   * Skip archived repositories.
   */
  excludeArchivedRepos?: boolean;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
/**
 * List the repositories of a Bitbucket Server (Data Center) project.
 */
export interface SCMProviderGeneratorBitbucketServer {
  /**
   * Project key whose repositories are listed.
   */
  project: string;
  /**
   * Bitbucket Server API URL.
   */
  api: string;
  basicAuth?: BasicAuthBitbucketServer;
  bearerToken?: BearerTokenBitbucket;
  caRef?: ConfigMapKeyRef;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
/**
 * User name and password (or access token) authentication.
 */
export interface BasicAuthBitbucketServer {
  /**
   * User name.
   */
  username: string;
  passwordRef: SecretRef;
}
/**
 * Bearer token authentication.
 */
export interface BearerTokenBitbucket {
  tokenRef: SecretRef;
}
/**
 * Bitbucket Cloud.
 */
export interface SCMProviderGeneratorBitbucket {
  /**
   * Workspace whose repositories are listed.
   */
  owner: string;
  /**
   * User the app password belongs to.
   */
  user: string;
  appPasswordRef: SecretRef;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
/**
 * List the repositories of an Azure DevOps team project.
 */
export interface SCMProviderGeneratorAzureDevOps {
  /**
   * Azure DevOps organization.
   */
  organization: string;
  /**
   * Team project whose repositories are listed.
   */
  teamProject: string;
  /**
   * API URL; defaults to https://dev.azure.com.
   */
  api?: string;
  accessTokenRef?: SecretRef;
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
/**
 * List AWS CodeCommit repositories.
 */
export interface SCMProviderGeneratorAWSCodeCommit {
  /**
   * AWS region; defaults to the controller's.
   */
  region?: string;
  /**
   * IAM role to assume.
   */
  role?: string;
  /**
   * Only repositories whose tags match every filter.
   */
  tagFilters?: TagFilter[];
  /**
   * One parameter set per branch instead of per repository (default branch only).
   */
  allBranches?: boolean;
}
export interface TagFilter {
  /**
   * Tag key.
   */
  key: string;
  /**
   * Tag value; empty matches any value.
   */
  value?: string;
}
export interface SCMProviderGeneratorFilter {
  /**
   * Regular expression over the repository name.
   */
  repositoryMatch?: string;
  /**
   * Paths that must exist in the repository.
   */
  pathsExist?: string[];
  /**
   * Paths that must not exist in the repository.
   */
  pathsDoNotExist?: string[];
  /**
   * Regular expression that some repository label/topic must match.
   */
  labelMatch?: string;
  /**
   * Regular expression over the branch name.
   */
  branchMatch?: string;
}
/**
 * Clusters chosen by another controller: a resource whose status lists decisions (e.g. an Open Cluster Management Placement), described by a ConfigMap.
 */
export interface DuckTypeGenerator {
  /**
   * ConfigMap giving apiVersion, kind, statusListKey and matchKey of the decision resource.
   */
  configMapRef: string;
  /**
   * Name of the decision resource; alternative to labelSelector.
   */
  name?: string;
  labelSelector?: LabelSelector;
  /**
   * How often to regenerate, in seconds.
   */
  requeueAfterSeconds?: number;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * One parameter set per open pull request at a provider.
 */
export interface PullRequestGenerator {
  github?: PullRequestGeneratorGithub;
  gitlab?: PullRequestGeneratorGitLab;
  gitea?: PullRequestGeneratorGitea;
  bitbucketServer?: PullRequestGeneratorBitbucketServer;
  bitbucket?: PullRequestGeneratorBitbucket;
  azuredevops?: PullRequestGeneratorAzureDevOps;
  /**
   * A pull request is kept when it passes any filter.
   */
  filters?: PullRequestGeneratorFilter[];
  /**
   * Produce no parameter sets instead of an error when the repository does not exist.
   */
  continueOnRepoNotFoundError?: boolean;
  /**
   * How often to regenerate, in seconds.
   */
  requeueAfterSeconds?: number;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * Open pull requests of a GitHub repository.
 */
export interface PullRequestGeneratorGithub {
  /**
   * Owner of the repository.
   */
  owner: string;
  /**
   * Repository name.
   */
  repo: string;
  /**
   * API URL; defaults to the public GitHub API.
   */
  api?: string;
  tokenRef?: SecretRef;
  /**
   * Secret holding GitHub App credentials.
   */
  appSecretName?: string;
  /**
   * Only pull requests carrying all of these labels.
   */
  labels?: string[];
}
/**
 * Open merge requests of a GitLab project.
 */
export interface PullRequestGeneratorGitLab {
  /**
   * Project ID or full path.
   */
  project: string;
  /**
   * API URL; defaults to gitlab.com.
   */
  api?: string;
  tokenRef?: SecretRef;
  /**
   * Only merge requests carrying all of these labels.
   */
  labels?: string[];
  /**
   * Merge request state to list, e.g. opened.
   */
  pullRequestState?: string;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
  caRef?: ConfigMapKeyRef;
}
/**
 * Open pull requests of a Gitea repository.
 */
export interface PullRequestGeneratorGitea {
  /**
   * Owner of the repository.
   */
  owner: string;
  /**
   * Repository name.
   */
  repo: string;
  /**
   * Gitea API URL.
   */
  api: string;
  tokenRef?: SecretRef;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
  /**
   * Only pull requests carrying all of these labels.
   */
  labels?: string[];
}
/**
 * Open pull requests of a Bitbucket Server repository.
 */
export interface PullRequestGeneratorBitbucketServer {
  /**
   * Project key.
   */
  project: string;
  /**
   * Repository slug.
   */
  repo: string;
  /**
   * Bitbucket Server API URL.
   */
  api: string;
  basicAuth?: BasicAuthBitbucketServer;
  bearerToken?: BearerTokenBitbucket;
  caRef?: ConfigMapKeyRef;
  /**
   * Skip TLS verification.
   */
  insecure?: boolean;
}
/**
 * Bitbucket Cloud.
 */
export interface PullRequestGeneratorBitbucket {
  /**
   * Workspace.
   */
  owner: string;
  /**
   * Repository slug.
   */
  repo: string;
  /**
   * API URL; defaults to Bitbucket Cloud's.
   */
  api?: string;
  basicAuth?: BasicAuthBitbucket;
  bearerToken?: BearerTokenBitbucket;
}
/**
 * User name and password (or access token) authentication.
 */
export interface BasicAuthBitbucket {
  /**
   * User name.
   */
  username: string;
  passwordRef: SecretRef;
}
/**
 * Open pull requests of an Azure DevOps repository.
 */
export interface PullRequestGeneratorAzureDevOps {
  /**
   * Azure DevOps organization.
   */
  organization: string;
  /**
   * Team project.
   */
  project: string;
  /**
   * Repository name.
   */
  repo: string;
  /**
   * API URL; defaults to https://dev.azure.com.
   */
  api?: string;
  tokenRef?: SecretRef;
  /**
   * Only pull requests carrying all of these labels.
   */
  labels?: string[];
}
export interface PullRequestGeneratorFilter {
  /**
   * Regular expression over the source branch.
   */
  branchMatch?: string;
  /**
   * Regular expression over the target branch.
   */
  targetBranchMatch?: string;
  /**
   * Regular expression over the title.
   */
  titleMatch?: string;
}
/**
 * Parameter sets returned by an external HTTP service.
 */
export interface PluginGenerator {
  configMapRef: PluginConfigMapRef;
  input?: PluginInput;
  /**
   * How often to regenerate, in seconds.
   */
  requeueAfterSeconds?: number;
  /**
   * Extra parameters, available as values.<key>; they may use the generator's own parameters.
   */
  values?: {
    [k: string]: string;
  };
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * ConfigMap with the service's baseUrl, token and requestTimeout.
 */
export interface PluginConfigMapRef {
  /**
   * Name of the ConfigMap.
   */
  name: string;
}
/**
 * Input sent to the service.
 */
export interface PluginInput {
  /**
   * Free-form parameters sent to the service.
   */
  parameters?: {
    [k: string]: unknown;
  };
}
/**
 * Cartesian product of the parameter sets of two child generators.
 */
export interface MatrixGenerator {
  /**
   * Child generators: exactly two for a matrix, two or more for a merge.
   */
  generators: ApplicationSetNestedGenerator[];
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * A child generator. A matrix or merge child may itself hold leaf generators only (one level of nesting).
 */
export interface ApplicationSetNestedGenerator {
  list?: ListGenerator;
  clusters?: ClusterGenerator;
  git?: GitGenerator;
  scmProvider?: SCMProviderGenerator;
  clusterDecisionResource?: DuckTypeGenerator;
  pullRequest?: PullRequestGenerator;
  plugin?: PluginGenerator;
  /**
   * A nested matrix generator (leaf children only).
   */
  matrix?: {
    [k: string]: unknown;
  };
  /**
   * A nested merge generator (leaf children only).
   */
  merge?: {
    [k: string]: unknown;
  };
  selector?: LabelSelector;
}
/**
 * Parameter sets of the first child, overridden by those of later children that agree on the merge keys.
 */
export interface MergeGenerator {
  /**
   * Child generators: exactly two for a matrix, two or more for a merge.
   */
  generators: ApplicationSetNestedGenerator[];
  /**
   * Parameter names whose values identify the same parameter set across children.
   */
  mergeKeys: string[];
  /**
   * Partial template merged over spec.template for this generator's Applications; ignored inside matrix and merge children.
   */
  template?: {metadata?: Partial<ApplicationSetTemplateMeta>; spec?: Partial<ApplicationSpec>; [k: string]: unknown};
}
/**
 * The Application every parameter set is rendered into.
 */
export interface ApplicationSetTemplate {
  metadata: ApplicationSetTemplateMeta;
  spec: ApplicationSpec;
}
/**
 * Metadata of each generated Application; values may hold placeholders.
 */
export interface ApplicationSetTemplateMeta {
  /**
   * Name of the generated Application; must differ between parameter sets.
   */
  name?: string;
  /**
   * Ignored; generated Applications always live in the ApplicationSet's namespace.
   */
  namespace?: string;
  /**
   * Labels of the generated Application.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Annotations of the generated Application.
   */
  annotations?: {
    [k: string]: string;
  };
  /**
   * Finalizers of the generated Application.
   */
  finalizers?: string[];
}
/**
 * What the controller may do to generated Applications.
 */
export interface ApplicationSetSyncPolicy {
  /**
   * What the controller may do to generated Applications: create-only, create-update, create-delete, or sync (all three; the default).
   */
  applicationsSync?: "create-only" | "create-update" | "create-delete" | "sync";
  /**
   * Do not add the resources finalizer to generated Applications, so deleting one leaves its resources.
   */
  preserveResourcesOnDeletion?: boolean;
}
/**
 * How changes roll out to generated Applications.
 */
export interface ApplicationSetStrategy {
  /**
   * AllAtOnce (the default) or RollingSync.
   */
  type?: "AllAtOnce" | "RollingSync";
  rollingSync?: ApplicationSetRolloutStrategy;
  /**
   * AllAtOnce, or Reverse to delete Applications step by step in reverse order.
   */
  deletionOrder?: "AllAtOnce" | "Reverse";
}
/**
 * Settings of the RollingSync strategy.
 */
export interface ApplicationSetRolloutStrategy {
  /**
   * Steps run in order; an Application is synced in the first step whose expressions match its labels, once the previous steps are healthy.
   */
  steps?: ApplicationSetRolloutStep[];
}
export interface ApplicationSetRolloutStep {
  /**
   * Label requirements selecting the Applications of this step.
   */
  matchExpressions?: ApplicationMatchExpression[];
  /**
   * How many (or what percentage, e.g. "25%") of the step's Applications may sync at once; 100% when unset.
   */
  maxUpdate?: number | string;
}
export interface ApplicationMatchExpression {
  /**
   * Label key.
   */
  key?: string;
  /**
   * In or NotIn.
   */
  operator?: string;
  /**
   * Label values.
   */
  values?: string[];
}
export interface ApplicationSetResourceIgnoreDifferences {
  /**
   * Application name; empty means every Application.
   */
  name?: string;
  /**
   * RFC 6901 pointers to fields left alone.
   */
  jsonPointers?: string[];
  /**
   * jq path expressions selecting fields left alone.
   */
  jqPathExpressions?: string[];
}
/**
 * Annotation and label keys on generated Applications the controller keeps when updating them.
 */
export interface ApplicationPreservedFields {
  /**
   * Annotation keys kept.
   */
  annotations?: string[];
  /**
   * Label keys kept.
   */
  labels?: string[];
}
/**
 * State written by the controller.
 */
export interface ApplicationSetStatus {
  /**
   * Current state, errors and rollout progress.
   */
  conditions?: ApplicationSetCondition[];
  /**
   * Progressive-sync state per generated Application.
   */
  applicationStatus?: ApplicationSetApplicationStatus[];
  /**
   * The generated Applications, with their sync and health state.
   */
  resources?: ResourceStatus[];
  /**
   * Number of generated Applications (resources may be truncated).
   */
  resourcesCount?: number;
  health?: HealthStatus;
}
export interface ApplicationSetCondition {
  /**
   * e.g. ErrorOccurred, ParametersGenerated, ResourcesUpToDate, RolloutProgressing.
   */
  type: string;
  /**
   * True, False or Unknown.
   */
  status: "True" | "False" | "Unknown";
  /**
   * Machine-readable cause, e.g. ApplicationSetUpToDate.
   */
  reason: string;
  /**
   * Human-readable detail.
   */
  message: string;
  /**
   * When the condition was last raised or changed.
   */
  lastTransitionTime?: string;
}
export interface ApplicationSetApplicationStatus {
  /**
   * Name of the Application.
   */
  application: string;
  /**
   * Waiting, Pending, Progressing or Healthy.
   */
  status: "Waiting" | "Pending" | "Progressing" | "Healthy";
  /**
   * The rollout step the Application belongs to.
   */
  step?: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * Revisions the Application is being synced to.
   */
  targetRevisions?: string[];
  /**
   * When the status last changed.
   */
  lastTransitionTime?: string;
}
