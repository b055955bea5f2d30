# Container image of the operator, for the helm/ chart. Config-management tools are built from
# Go modules like the test binaries (hack/build-binaries.sh, at the versions pinned in
# operator/tools/versions.json), so the image needs no downloads beyond the package registries.
FROM golang:1.26-bookworm AS tools
WORKDIR /src
COPY hack/build-binaries.sh hack/
COPY operator/tools/versions.json operator/tools/
RUN HAWSER_CACHE=/cache bash hack/build-binaries.sh tools
# The goTemplate renderer (js/wasm) goes to its own directory: it is not a command for PATH.
COPY hack/gotemplate/ hack/gotemplate/
RUN HAWSER_CACHE=/gt bash hack/build-binaries.sh gotemplate && mv /gt/bin/gotemplate-* /gotemplate
# The notifications expression/template evaluator (js/wasm), likewise.
COPY hack/notify-wasm/ hack/notify-wasm/
RUN HAWSER_CACHE=/nw bash hack/build-binaries.sh notify-wasm && mv /nw/bin/notify-wasm-* /notify-wasm

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# util-linux and mount: the render sandbox (prlimit, choom, unshare; plugins/sandbox.ts). gnupg:
# GPG commit verification for projects with signatureKeys (operator/git/gpg.ts). git-lfs: Git LFS
# content for repositories whose Secret sets enableLfs (operator/git/repo-cache.ts).
RUN apt-get update && apt-get install -y --no-install-recommends git git-lfs openssh-client ca-certificates util-linux mount gnupg \
    && rm -rf /var/lib/apt/lists/*
COPY --from=tools /cache/bin/ /opt/hawser-tools/
# resolveTool looks here (the cache directory is an empty volume in the pod).
ENV HAWSER_TOOLS_DIR=/opt/hawser-tools
RUN for d in /opt/hawser-tools/*/; do ln -s "$d"* /usr/local/bin/; done
COPY --from=tools /gotemplate/ /opt/hawser-gotemplate/
ENV HAWSER_GOTEMPLATE_DIR=/opt/hawser-gotemplate
COPY --from=tools /notify-wasm/ /opt/hawser-notify-wasm/
ENV HAWSER_NOTIFY_WASM_DIR=/opt/hawser-notify-wasm
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/crds ./crds
COPY --from=build /app/package.json ./
USER 65532
ENTRYPOINT ["node", "/app/dist/operator/cli.js"]
CMD ["operator"]
