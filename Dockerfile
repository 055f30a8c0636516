# syntax=docker/dockerfile:1
# One image for every role: `serve` (API, which also serves the built dashboard), `worker`,
# `start` (all in one). Production dependencies only, non-root user, health check on /live.
# It runs compiled JavaScript: the build stage compiles every workspace package with
# `npm run build:ts` (tsc -b) into its dist/, and only dist/ is copied into the runtime, so
# there are no sources (and no tsx) that a stale build could hide behind.

# The workspace manifests alone, so that installs are cached until a dependency changes.
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/cli/package.json apps/cli/
COPY apps/server/package.json apps/server/
COPY apps/web/package.json apps/web/
COPY packages/ml/package.json packages/ml/
COPY packages/stores/package.json packages/stores/
COPY packages/queue/package.json packages/queue/
COPY packages/contracts/package.json packages/contracts/
COPY packages/sources/package.json packages/sources/

FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund

# The build tools (dev dependencies); only what they make is kept.
FROM manifests AS devdeps
RUN npm ci --no-audit --no-fund

FROM devdeps AS web
COPY packages/contracts ./packages/contracts
COPY packages/sources ./packages/sources
COPY apps/web ./apps/web
RUN npm run build -w @nilm/web

# Each package's dist/ (with the package.json and links to the other packages' dist/ that
# scripts/link-dist.mjs writes), gathered in /out, and the CLI's bin/.
FROM devdeps AS build
COPY tsconfig.json tsconfig.build.json tsconfig.build.base.json ./
COPY scripts/link-dist.mjs ./scripts/
COPY packages ./packages
COPY apps/cli ./apps/cli
COPY apps/server ./apps/server
RUN npm run build:ts \
  && for p in apps/cli apps/server packages/*; do \
       mkdir -p "/out/$p" && cp -r "$p/dist" "/out/$p/"; \
     done \
  && cp -r apps/cli/bin /out/apps/cli/

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    NILM_DATA_DIR=/data \
    NILM_MODELS_DIR=/app/models
WORKDIR /app
# The manifests with their production node_modules, nested ones included (the CLI keeps its
# own commander in apps/cli/node_modules), then the builds beside them.
COPY --from=deps /app ./
COPY --from=build /out ./
COPY --from=web /app/apps/web/dist ./apps/web/dist
COPY --chown=node:node models ./models
COPY data ./data
COPY configs ./configs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "apps/cli/bin/nilm.js"]
CMD ["serve"]
