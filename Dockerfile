# Parley: the signalling server and the built web app it serves, in one image.
#
#   build     installs with npm ci and runs npm run build (needs the npm registry)
#   prebuilt  takes an already-assembled /app tree as the build context instead; used by
#             scripts/test-compose.sh, whose isolated Docker engine cannot reach npm
#   runtime   the image: Node slim, non-root, only the bundle, the web app and the server's
#             runtime dependencies. APP_FILES picks which of the stages above fills it.
#
# Build args: NODE_IMAGE (the Node base image for both build and runtime), APP_FILES.

ARG NODE_IMAGE=node:24-trixie-slim
ARG APP_FILES=build

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so the dependency layer is reused while only source changes.
COPY package.json package-lock.json .npmrc ./
COPY packages/protocol/package.json packages/protocol/
COPY apps/signaling/package.json apps/signaling/
COPY apps/web/package.json apps/web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages/protocol packages/protocol
COPY apps/signaling apps/signaling
COPY apps/web apps/web
RUN npm run build
# The bundle keeps npm packages external (apps/signaling/build.mjs), so the runtime needs the
# server's production dependencies, and nothing else: no dev tools, no web-app packages. A
# dependency whose version differs from one the dev tools hoisted stays nested under
# apps/signaling/node_modules, so that folder goes along too.
RUN npm ci --omit=dev --omit=optional --workspace @parley/signaling --no-audit --no-fund \
  && mkdir -p /app/apps/signaling /app/apps/web \
  && cp -r node_modules /app/ \
  && rm -rf /app/node_modules/@parley /app/node_modules/.package-lock.json \
  && cp -r apps/signaling/package.json apps/signaling/dist /app/apps/signaling/ \
  && if [ -d apps/signaling/node_modules ]; then cp -r apps/signaling/node_modules /app/apps/signaling/; fi \
  && cp -r apps/web/dist /app/apps/web/

# The context is the /app tree itself: node_modules/, apps/signaling/{package.json,dist}/ and
# apps/web/dist/ (see scripts/test-compose.sh).
FROM scratch AS prebuilt
COPY . /app/

FROM ${APP_FILES} AS app-files

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=8080
WORKDIR /app
# Owned by root and read-only to the server: the process cannot rewrite its own code.
# apps/signaling/package.json is needed at run time: it marks dist/main.js as an ES module.
COPY --from=app-files /app /app
# DATA_DIR in docker-compose.yml: a volume mounted here starts out with this owner, so the
# unprivileged server can write its webhook outbox on an otherwise read-only filesystem.
RUN mkdir -p /data && chown node:node /data
# The official Node images' unprivileged user (uid 1000).
USER node
EXPOSE 8080
# /healthz answers while the process is alive (server.ts); node is the only tool in a slim image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/signaling/dist/main.js"]
