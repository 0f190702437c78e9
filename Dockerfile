# The bot as a container: `docker compose up` (compose.yaml) runs it beside Redis.
# Python matches .python-version; dependencies come from the hashed lock (requirements.txt).

# --- builder: the locked runtime dependencies and the bot, in a venv ---------------------
FROM python:3.11-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
# The lock first, on its own layer: code changes do not reinstall the dependencies.
COPY requirements.txt ./
RUN /opt/venv/bin/pip install --require-hashes -r requirements.txt
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN /opt/venv/bin/pip install --no-deps .

# --- final: the venv only, run as an unprivileged user ------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=3000
RUN groupadd --system --gid 10001 docsbot \
    && useradd --system --uid 10001 --gid docsbot --no-create-home --shell /usr/sbin/nologin docsbot
COPY --from=builder /opt/venv /opt/venv
# The bot reads a .env here if one is mounted; compose passes variables instead.
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# slim has no curl: python's urllib fails (exit 1) on a refused connection or a non-2xx.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]
# SIGTERM reaches python directly (exec form): answers in flight finish, exit within 10 s.
CMD ["python", "-m", "bot"]
