// Vite bundles imported stylesheets; TypeScript only needs to know such imports exist.
declare module "*.css";
// `import url from "x?url"`: Vite copies the file into the build and gives its URL.
declare module "*?url" {
  const url: string;
  export default url;
}
