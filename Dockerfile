# news-archiver: `scrapy crawl` in a container, the archive on a volume or in S3.
#   docker build -t news-archiver .
#   docker run --rm --init -v news-archive:/app/archive -v news-spool:/app/cache news-archiver \
#       scrapy crawl articles -a urls=https://example.com/news/ -s ARCHIVE_CONTACT=you@example.org
# The README's "In a container" has the S3 variant.
FROM python:3.11-slim

# XDG_CACHE_HOME puts the S3 spool (ARCHIVE_SPOOL_DIR's default) under /app/cache: keep it
# on a volume, so that what could not be uploaded survives the container for `scrapy upload`.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XDG_CACHE_HOME=/app/cache

RUN useradd --create-home --uid 10001 archiver

# The project folder: its scrapy.cfg names the settings (scraper.settings) for `scrapy crawl`.
WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY scraper ./scraper
COPY spiders ./spiders
RUN pip install . \
    && mkdir -p /app/archive /app/cache \
    && chown archiver:archiver /app/archive /app/cache

USER archiver
# ARCHIVE_URI's default, ./archive, is /app/archive.
VOLUME ["/app/archive", "/app/cache"]
CMD ["scrapy", "list"]
