# syntax=docker/dockerfile:1
# One image for every service and every role:
#   docker run IMAGE services.ordering api       (HTTP API on ORDERING_PORT, default 8082)
#   docker run IMAGE services.ordering worker    (outbox relay + consumers; probes on 8182)
#   docker run IMAGE services.ordering migrate   (apply migrations and exit)
#   docker run IMAGE deploy.setup                (roles, schemas, broker users, every migration)
# The entrypoint is `python -m`, so the command is a module and its arguments.
# Build from the repository root: docker build -t vrac .

FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir 'uv>=0.5,<1'
WORKDIR /app
# Dependencies first (their layer is reused while only the code changes), exactly as locked,
# without the dev group (pytest, ruff, mypy, playwright...). The project itself is not a package
# ([tool.uv] package = false): the code is copied next to the environment below.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY services ./services
COPY deploy/__init__.py deploy/run.py deploy/setup.py deploy/postgres-roles.sql ./deploy/
RUN python -m compileall -q shared services deploy

FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 vrac \
    && useradd --system --uid 10001 --gid vrac --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin vrac
WORKDIR /app
# Owned by root and read-only for the service user: the process cannot rewrite its own code.
COPY --from=build /app /app
ENV PATH=/app/.venv/bin:$PATH \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HEALTHCHECK_URL=http://127.0.0.1:8080/healthz
USER 10001:10001
EXPOSE 8080 8081 8082 8083 8084
# Liveness of whatever service runs in the container: set HEALTHCHECK_URL to its port
# (compose and Kubernetes define their own probes on /healthz and /readyz as well).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=2).status == 200 else 1)"]
# SIGTERM goes straight to the Python process (PID 1, exec form): it turns /readyz to 503,
# drains, finishes in-flight work and exits 0 within <PREFIX>_SHUTDOWN_TIMEOUT.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m"]
CMD ["services.web", "api"]
