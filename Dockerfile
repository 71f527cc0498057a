# GrainLab command line (grainlab batch / merge / segment / export ...) for clusters: Node 20, the
# CPU build of onnxruntime (its CUDA download is denied, as in package.json's allowScripts), and
# the built CLI. Build: docker build -t grainlab .   Run: docker run --rm -v $PWD:/work grainlab --help
# See README "Large projects and clusters" for Slurm and Kubernetes recipes.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# A compiler for better-sqlite3, should its prebuilt binary not fit this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The npm version GrainLab is developed with (it reads package.json's allowScripts).
RUN npm install -g npm@11.19.1
COPY package.json package-lock.json ./
# Same install-script rules as a developer's `npm ci`: no dependency script runs during the
# install; then exactly the packages package.json's allowScripts sets to true are rebuilt
# (better-sqlite3). Electron's and onnxruntime-node's downloads stay denied: the CPU binaries
# that ship in onnxruntime-node are used.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild $(node -p "Object.entries(require('./package.json').allowScripts).filter(([, v]) => v === true).map(([k]) => k).join(' ')")
COPY . .
# The Node side only (CLI, web server, workers); the browser UI is not needed on a cluster.
# Then only what runs: production packages, and onnxruntime's Linux binaries (not macOS/Windows, ~220 MB).
RUN npm run build:node \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GRAINLAB_USER_DATA=/data/grainlab
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/node ./dist/node
COPY --from=build /app/bin ./bin
COPY --from=build /app/models/manifest.json ./models/manifest.json
RUN mkdir -p /data/grainlab /work && chown node:node /data/grainlab /work
USER node
WORKDIR /work
# GRAINLAB_WORKERS sets how many images run at once (default: one per core the container sees).
ENTRYPOINT ["node", "/app/bin/grainlab.mjs"]
CMD ["--help"]
