# syntax=docker/dockerfile:1
#
# The AMSS image: one image for every process (`server`, `worker`, `migrate up`, `seed`), chosen by
# the command. Build: `docker build -t amss .` (or `make docker-build`). See docs/DEPLOYMENT.md.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: every dependency, TypeScript compiled to dist/ -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off, as on the development machines: bcrypt loads its bundled prebuilt binary.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console (React + Vite) is built beside the server and served by it at `/`.
COPY web ./web
RUN npm run build

# --- deps: production dependencies only --------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# V8 sizes its heap from the container's memory limit and lets garbage pile up to it between
# collections: a server under load reached 642 MB RSS uncapped, 250 MB with this cap (bench/README.md,
# "The cap shipped"). Each process's live heap stays well under 160 MB; override NODE_OPTIONS to change it.
ENV NODE_OPTIONS=--max-old-space-size=160 \
    NODE_ENV=production \
    APP_ENV=production \
    HTTP_ADDR=:8080 \
    GRPC_ADDR=:9090 \
    WORKER_METRICS_ADDR=:9091 \
    IMPORT_STORAGE_DIR=/data/imports
WORKDIR /app
# Everything the process reads is owned by root and read-only to it; it writes only to /data.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# The migrator and the gRPC server find these relative to dist/.
COPY migrations ./migrations
COPY proto/*.binpb ./proto/
RUN mkdir -p /data/imports && chown -R node:node /data
VOLUME ["/data/imports"]
# The `node` user of the official image, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080 9090 9091
# Liveness of the HTTP server (`/health`) with node's fetch: the slim image has no curl. The worker
# has no HTTP server: compose and the Helm chart give it a check of its own.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.HTTP_ADDR || ':8080').split(':').pop(); fetch('http://127.0.0.1:' + port + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cmd/main.js"]
CMD ["server"]
