# The one image of Cadence: web (gunicorn), worker and beat (Celery) run it with different commands
# (compose.yaml). Static files are collected at build time and served by WhiteNoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Settings refuse to load in production mode without these; the values only serve this build step.
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app cadence
USER cadence

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
