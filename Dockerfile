# PIP Bot's image: `docker build -t pipbot .`, then see compose.yaml and the README's
# "Run in production".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when the pins change.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

# A non-root user that owns /app and /data (a volume there keeps a SQLite database).
RUN useradd --create-home --uid 10001 pipbot && mkdir /data && chown pipbot:pipbot /app /data
COPY --chown=pipbot:pipbot . .
USER pipbot

ENV PORT=3000 \
    LOG_FORMAT=json
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "healthcheck.py"]
CMD ["python", "bot.py"]
