# syntax=docker/dockerfile:1
# One image for the four services; compose picks the service with `command: ["service", "<name>"]`.

# Node 22 LTS: engines.node asks for >=20.19 and Node 20 is past its end of life; the same
# code runs on both.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The prepare script would build before the sources are here: install first, build after.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Containers listen on every interface; compose decides what is published.
ENV TRACELAB_HOST=0.0.0.0
# gc() for the collection a service runs once it is quiet after work (src/monitor/idle-gc.ts),
# as tracelab up gives its children.
ENV NODE_OPTIONS=--expose-gc
USER node
# Exec form: node is PID 1 and gets SIGTERM itself, so a stop finishes the message in hand.
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["service", "api"]
