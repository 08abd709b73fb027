# One image for every role of a distributed studio (compose.yaml): web (daphne), worker, beat.
# Untested here (no container engine on the build machine); the commands are the ones README uses.
FROM python:3.11-slim-bookworm

# curl: the compose health check. Everything else the studio needs comes from PyPI (piper-tts bundles
# espeak-ng's data, PyAV bundles FFmpeg).
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/run.txt requirements/run.txt
# torch from PyTorch's CPU index (PyPI's default build pulls GBs of CUDA); then the locked rest.
RUN pip install --no-cache-dir "pip==26.3" \
    && pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \
       "$(grep -E '^torch==' requirements/run.txt)" \
    && pip install --no-cache-dir -r requirements/run.txt

COPY . .
# data/staticfiles: collectstatic's output, a volume shared with nginx (compose.yaml).
RUN useradd --create-home --uid 1000 studio && mkdir -p /app/data/staticfiles && chown -R studio /app
USER studio
ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=studio.settings STUDIO_SERVE_STATIC=off
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--websocket_connect_timeout", "30", "--proxy-headers", "studio.asgi:application"]
