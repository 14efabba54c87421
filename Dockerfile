# One image for the three tubefeed processes; docker-compose.yml wires them to MySQL and Redis.
#   docker build -t tubefeed .
#   docker run tubefeed                                          # the API on :3000 (default)
#   docker run tubefeed node apps/worker/dist/main.js            # the worker
#   docker run tubefeed node packages/youtube-sim/dist/main.js   # the YouTube simulator
#   docker compose exec api node apps/cli/dist/seed.js --count 10000
# Commands start node directly, never through npm: npm does not pass SIGTERM on, and the API
# and worker close cleanly (the worker finishes its running job) only when they receive it.
# Written for the classic builder as well as BuildKit (no RUN --mount), so docker-compose 1.x
# builds it too.

# The current Node LTS; the app itself supports Node >= 20.19. Override to pin a digest.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: every dependency, then tsc -b ------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests first, so the npm ci layer is reused until a package.json or the lock file changes.
# Every workspace's manifest is needed: npm ci checks the lock file against all of them.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/youtube-sim/package.json packages/youtube-sim/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
# Dev dependencies hold the compiler, and TypeScript 7's tsc is a native binary shipped in an
# optional per-platform package (@typescript/typescript-linux-x64 / -arm64): include both
# explicitly so an inherited NODE_ENV=production or npm "omit" setting cannot drop them.
RUN npm ci --include=dev --include=optional --no-audit --no-fund

# Only what `tsc -b` reads: the root project (references every workspace), the shared base
# config, and the workspaces (node_modules, dist and tests are kept out by .dockerignore).
COPY tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
COPY apps/ apps/
RUN npm run build

# ---- runtime: production dependencies and the compiled output ---------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app

# The same manifests, so `npm ci --omit=dev` recreates the workspace links
# (node_modules/@tubefeed/* -> packages/*, apps/*) whose package.json "exports" point at dist/.
# The root package.json carries the "overrides" (msgpackr-extract) npm ci needs, as in CI.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/youtube-sim/package.json packages/youtube-sim/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/cli/package.json apps/cli/
# Optional dependencies stay: msgpackr-extract's prebuilt binary (BullMQ) comes from one.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/youtube-sim/dist packages/youtube-sim/dist
COPY --from=build /app/apps/api/dist apps/api/dist
# The dashboard served at /: its static files and the browser modules tsc compiled.
COPY --from=build /app/apps/api/web/public apps/api/web/public
COPY --from=build /app/apps/api/web/dist apps/api/web/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
# The command-line tools (migrate, seed), for `docker compose exec api node apps/cli/dist/...`.
COPY --from=build /app/apps/cli/dist apps/cli/dist

# Files stay owned by root: the app only reads them.
USER node
# 3000: the API; 8765: the simulator (when the image runs it).
EXPOSE 3000 8765
# Node options as in packages/core/src/platform/node-flags.ts (API_NODE_OPTIONS).
CMD ["node", "--max-semi-space-size=8", "apps/api/dist/server.js"]
