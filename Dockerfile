# syntax=docker/dockerfile:1
# One image for every role: `serve` (API, which also serves the built dashboard), `worker`,
# `start` (all in one). Production dependencies only, non-root user, health check on /live.
# The TypeScript sources run through tsx (a production dependency of the CLI), so there is no
# separate compile step to drift.

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

FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM manifests AS web
# The dashboard needs the build tools (dev dependencies); only its static output is kept.
RUN npm ci --no-audit --no-fund
COPY packages/contracts ./packages/contracts
COPY apps/web ./apps/web
RUN npm run build -w @nilm/web

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    NILM_DATA_DIR=/data \
    NILM_MODELS_DIR=/app/models
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY apps/cli ./apps/cli
COPY apps/server ./apps/server
COPY --from=web /app/apps/web/dist ./apps/web/dist
COPY packages ./packages
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
