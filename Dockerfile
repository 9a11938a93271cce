# kong-dbless as Kong users run Kong: docker-kong's environment, entrypoint forms, ports, stop
# signal and health check. Build: docker build -t kong-dbless .

# Compiles src/ with the dev dependencies (TypeScript). re2 is a native module: its install
# builds it when no prebuilt binary is found, hence the compiler.
FROM node:20.20.0-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# The production dependencies alone, built with the same compiler, so the image needs none.
FROM node:20.20.0-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20.20.0-bookworm-slim
# tini is PID 1: it reaps orphaned processes and forwards docker's signals to the node.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=deps /src/node_modules /usr/local/kong-dbless/node_modules
COPY --from=build /src/dist /usr/local/kong-dbless/dist
COPY package.json kong.yml /usr/local/kong-dbless/
COPY docker-entrypoint.sh /docker-entrypoint.sh
# `kong` answers as `kong-dbless` does, for Kong's Helm chart (`kong quit --wait=15`, `kong health`)
# and scripts written for Kong's image. The prefix is owned by the node's user and private to it.
RUN printf '#!/bin/sh\nexec node /usr/local/kong-dbless/dist/cli.js "$@"\n' > /usr/local/bin/kong-dbless \
 && chmod 755 /usr/local/bin/kong-dbless /docker-entrypoint.sh \
 && ln -s kong-dbless /usr/local/bin/kong \
 && groupadd --system kong \
 && useradd --system --gid kong --home-dir /usr/local/kong --shell /usr/sbin/nologin kong \
 && mkdir -p /usr/local/kong \
 && chown kong:kong /usr/local/kong \
 && chmod 700 /usr/local/kong
# The settings docker-kong's image and its users set: the status API reachable from outside,
# the access log on the container's output (the node's own log is on stdout and stderr).
ENV NODE_ENV=production \
    KONG_PREFIX=/usr/local/kong \
    KONG_PROXY_LISTEN="0.0.0.0:8000, 0.0.0.0:8443 http2 ssl" \
    KONG_STATUS_LISTEN=0.0.0.0:8100 \
    KONG_PROXY_ACCESS_LOG=/dev/stdout
USER kong
EXPOSE 8000 8443 8001 8444 8100
# SIGQUIT drains (in-flight requests finish); docker-kong switched from SIGTERM for this.
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=60s --timeout=10s --retries=10 CMD ["kong-dbless", "health"]
ENTRYPOINT ["tini", "--", "/docker-entrypoint.sh"]
CMD ["kong", "docker-start"]
