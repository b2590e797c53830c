# Production image: the API (default command) and, with another command, the worker/CLI.
# Two stages: wheels are built where the compilers are, and the runtime image gets only the
# wheels and LightFM's OpenMP runtime (no build tools installed and purged in other layers).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY causeway ./causeway
RUN pip wheel --wheel-dir /wheels .

# The visitor app's browser libraries (Leaflet, OpenSeadragon), from npm with the lockfile.
FROM python:3.11-slim AS webapp
RUN apt-get update && apt-get install -y --no-install-recommends npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels pip install --no-index /wheels/*.whl
COPY --from=webapp /src/node_modules /opt/causeway/node_modules
RUN useradd --create-home --uid 10001 causeway && mkdir -p /data && chown causeway /data
USER causeway
WORKDIR /home/causeway
ENV CAUSEWAY_DATA_DIR=/data CAUSEWAY_ENVIRONMENT=production CAUSEWAY_LOG_FORMAT=json \
    CAUSEWAY_WEBAPP_VENDOR_DIR=/opt/causeway/node_modules
EXPOSE 8000
# Liveness only; orchestrators route traffic on /readyz (database, Redis, model loaded).
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["causeway", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
