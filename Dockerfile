FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/jixiao
# WeasyPrint needs pango; libharfbuzz-subset0 keeps PDF rendering fast; one CJK face.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-cjk gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY grading ./grading
COPY declarations ./declarations
COPY review ./review
COPY emergency_list ./emergency_list
COPY publication ./publication
COPY demo ./demo
RUN pip install --no-cache-dir .
COPY . .
RUN DEBUG=false SECRET_KEY=build python manage.py collectstatic --noinput \
 && useradd --system --home /app jixiao && mkdir -p $VAR_DIR/media && chown -R jixiao $VAR_DIR
USER jixiao
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
