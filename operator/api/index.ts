// The argoproj.io/v1alpha1 API as TypeScript: the types generated from crds/*.yaml (see
// hack/gen-types.ts) and the names code needs to address the resources.
export type * from "./generated/application.js";
export type * from "./generated/appproject.js";
export type * from "./generated/applicationset.js";

export const GROUP = "argoproj.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;

export const KINDS = {
  application: "Application",
  appProject: "AppProject",
  applicationSet: "ApplicationSet",
} as const;
export type Kind = (typeof KINDS)[keyof typeof KINDS];

export const PLURALS: Record<Kind, string> = {
  Application: "applications",
  AppProject: "appprojects",
  ApplicationSet: "applicationsets",
};

/** The project every Application without spec.project belongs to (the CRD defaults it). */
export const DEFAULT_PROJECT = "default";
