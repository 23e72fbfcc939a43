# Gatehouse: `gatehouse serve` as a non-root user. The master key is never in the image: it
# is read at start from the file GATEHOUSE_KEY_FILE names, mounted as a secret (see
# compose.yaml and docs/operations.md).
FROM python:3.11-slim

# Pango and HarfBuzz for WeasyPrint (the audit report's PDF); Noto CJK for its Korean text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so the key file mounted from the host can be owned by it with mode 600.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/gatehouse \
    gatehouse

WORKDIR /src
COPY pyproject.toml README.md ./
COPY gatehouse ./gatehouse
RUN pip install --no-cache-dir . && rm -rf /src

USER gatehouse
WORKDIR /var/lib/gatehouse
# Two malloc arenas, not eight a core: threads would otherwise each keep an arena of freed
# pages, and memory would grow with concurrency (BENCHMARKS.md, "Where the memory goes after the
# load"). `gatehouse serve` sets this cap itself; the environment gives it to `gatehouse worker`
# too, which compose.yaml runs from this image.
ENV PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2 \
    GATEHOUSE_KEY_FILE=/run/secrets/gatehouse_master_key
EXPOSE 8000
CMD ["gatehouse", "serve", "--host", "0.0.0.0", "--port", "8000"]
