# Production image: the API (default command) and, with another command, the worker/CLI.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# libgomp: LightFM's OpenMP runtime; build-essential only where a wheel is missing.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY causeway ./causeway
RUN pip install . && apt-get purge -y build-essential && apt-get autoremove -y
RUN useradd --create-home --uid 10001 causeway && mkdir -p /data && chown causeway /data
USER causeway
ENV CAUSEWAY_DATA_DIR=/data CAUSEWAY_ENVIRONMENT=production
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["causeway", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
