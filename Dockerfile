# SocialSync node image. Two stages:
#   web  - builds the browser side (SDK, widget, demo page, moderation panel and
#          the sample clips) with Node and ffmpeg, exactly as scripts/build_web.sh does locally;
#   run  - python:3.11-slim with the package installed and the built web client copied in.
# Build: docker build -t socialsync .      Run: docker run -p 8080:8080 socialsync

FROM node:20-bookworm-slim AS web
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not re-run npm ci.
COPY web_client/package.json web_client/package-lock.json web_client/
RUN cd web_client && npm ci --no-audit --no-fund --loglevel=error \
    && touch "node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
COPY scripts/build_web.sh scripts/
COPY web_client/ web_client/
RUN bash scripts/build_web.sh


FROM python:3.11-slim AS run
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY socialsync/ socialsync/
RUN pip install . && rm -rf /app/socialsync /app/build
COPY --from=web /src/web_client/build /app/web_client/build

RUN useradd --system --uid 10001 --home-dir /data --create-home socialsync
USER socialsync
# Made here so that a volume mounted on it starts out owned by the node's user.
RUN mkdir -p /data/clips
# The working directory holds the embedded default's SQLite file when no
# SOCIALSYNC_DATABASE_URL is given (mount a volume on /data to keep it).
WORKDIR /data
ENV SOCIALSYNC_HOST=0.0.0.0 \
    SOCIALSYNC_PORT=8080 \
    SOCIALSYNC_WEB_DIR=/app/web_client/build
EXPOSE 8080
# Liveness only: readiness (/readyz, the database is reachable) is what the load balancer checks.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('SOCIALSYNC_PORT', '8080')}/healthz\", timeout=2)"]
# aiohttp shuts down gracefully on SIGTERM: sockets closed (clients reconnect
# to another node), then the stores, within 5 s.
STOPSIGNAL SIGTERM
CMD ["socialsync", "serve"]
