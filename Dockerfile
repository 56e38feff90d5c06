# index-audit GitHub App. Build: docker build -t index-audit .
# Run:   docker run --stop-timeout 45 -p 3000:3000 -e APP_ID=... -e PRIVATE_KEY="$(cat key.pem)" -e WEBHOOK_SECRET=... index-audit
# Stopping: on SIGTERM the app refuses new deliveries, gives running audits DRAIN_TIMEOUT_MS (20 s) to
# finish, completes the rest neutral, then exits. Docker's default grace period (10 s) is shorter than
# that drain: give it more (--stop-timeout 45, compose `stop_grace_period: 45s`, Kubernetes
# `terminationGracePeriodSeconds: 45`), or the check runs of audits still running are left in progress
# until the next start's sweep completes them.

# ---- build: compile TypeScript with every dependency installed
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts stay off here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- production dependencies only
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# ---- runtime
FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    DRAIN_TIMEOUT_MS=20000
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json app.yml ./
COPY --chown=node:node docs ./docs
# The image's built-in unprivileged user.
USER node
EXPOSE 3000
# The server answers GET /ping with "PONG".
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ping').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
STOPSIGNAL SIGTERM
# node itself, not npm: npm does not pass SIGTERM on, and the drain would never run.
CMD ["node", "dist/app/server.js"]
