# One image for every role: web (gunicorn), the Celery workers per queue, beat.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY podindex podindex
COPY core core
COPY shows shows
COPY episodes episodes
COPY scoring scoring
COPY browse browse
COPY desk desk
RUN pip install --no-cache-dir .

COPY . .
# collectstatic needs no database or secrets; the manifest storage serves hashed names.
RUN STATIC_MANIFEST=1 DEBUG=1 python manage.py collectstatic --no-input

RUN useradd --create-home podindex
USER podindex
ENV STATIC_MANIFEST=1
EXPOSE 8000
CMD ["gunicorn", "podindex.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
