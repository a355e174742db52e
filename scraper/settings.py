"""Settings of the news archiver (scrapy.cfg names this module). Every ARCHIVE_* setting is documented in the README.

Override any of them per run with ``scrapy crawl articles -s NAME=VALUE``.
"""

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "news-archiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- Archive ------------------------------------------------------------------
# Off: no archive at all (the WARC middleware and the text pipeline then refuse to run).
ARCHIVE_ENABLED = True
# Where crawls are stored: a local folder (default ./archive, relative to where the
# crawl runs), file:///abs/path, or s3://bucket/prefix.
ARCHIVE_URI = "./archive"
# Folder name of this crawl under ARCHIVE_URI; empty: "<spider>-<UTC timestamp>".
ARCHIVE_CRAWL_ID = ""
# Start a new WARC (and text) segment once the open WARC reaches this many bytes.
ARCHIVE_WARC_MAX_SIZE = 1_000_000_000
# Compression level of every gzip member written (WARC records, text rows, WET), 0-3:
# ISA-L's levels. 2 is about as small as zlib's level 3 for far less CPU.
ARCHIVE_GZIP_LEVEL = 2
# Seconds between progress lines while crawling (0: none).
ARCHIVE_PROGRESS_INTERVAL = 30
# Extraction worker processes (0: one per CPU core).
ARCHIVE_EXTRACT_WORKERS = 0
# Bytes of a page (its body as decoded for reading) past which it is archived but not
# extracted (counted archive/text/too_large; its links and requisites are not followed).
# Extraction time grows faster than page size, so one page of tens of megabytes would
# hold a worker for minutes; article pages are far below 4 MiB, and what exceeds it is
# a dump, a trap or an endless listing, not an article. 0: no cap.
ARCHIVE_MAX_EXTRACT_BYTES = 4 * 1024 * 1024
# Seconds one page's extraction may take in a worker; past it the worker is killed and
# replaced, the page skipped for text (counted archive/text/extraction_timeouts) and the
# crawl goes on. Well above what a page under ARCHIVE_MAX_EXTRACT_BYTES takes on a busy
# machine, so it catches only pathological markup. 0: no deadline.
ARCHIVE_EXTRACT_TIMEOUT = 60
# Pages whose main text is shorter than this are not articles.
ARCHIVE_MIN_TEXT_CHARS = 250
# True: no text row for a page whose robots meta or X-Robots-Tag says noarchive (its WARC
# records are kept). Off by default: the archivist decides, the row's "rights" records it.
ARCHIVE_HONOR_NOARCHIVE = False
# Fetch /.well-known/tdmrep.json (W3C TDMRep's site-wide file) once per origin the crawl
# takes articles from, through robots.txt and the archive like any page, and merge its
# answer into the rows' "rights". One small request a host; TDMRep makes the file the
# site-wide source, to be checked before anything else.
ARCHIVE_TDMREP_WELL_KNOWN = True
# Site template learned across pages and crawls (paragraphs repeated on many pages of a
# host are dropped): where it is kept (empty: site-boilerplate.json beside the crawl
# folders; with ARCHIVE_FRONTIER on that Redis, whatever this says), and on how many
# pages of a host a short paragraph must recur to count.
ARCHIVE_BOILERPLATE_FILE = ""
ARCHIVE_BOILERPLATE_MIN_PAGES = 3
# Incremental crawls: a crawl history (crawl-history.sqlite beside the crawl folders; for
# s3:// in the bucket; with ARCHIVE_FRONTIER on that Redis) remembers what earlier crawls
# of the archive fetched. A page fetched
# before is asked for conditionally (If-None-Match / If-Modified-Since); a 304 or an
# identical payload is archived as a revisit record; an article whose text did not change
# gets no new text row. False: every crawl starts from nothing.
ARCHIVE_HISTORY = True
# Seconds before an article page captured earlier is fetched again (conditionally) when a
# listing, feed or sitemap links to it; 0: every run. Start pages, sections, feeds and
# sitemaps are fetched every run; images, stylesheets and scripts once.
ARCHIVE_RECHECK_AFTER = 86_400
# Storage backends by URI scheme ("" is a plain path).
ARCHIVE_STORAGES = {
    "": "scraper.storage.local.FileStorage",
    "file": "scraper.storage.local.FileStorage",
    "s3": "scraper.storage.s3.S3Storage",
}
# Files made from finished ones (indexes, packages): classes with
# file_completed() and crawl_completed(), see scraper.archive.segments.Deriver.
ARCHIVE_DERIVERS = ["scraper.archive.cdxj.CdxjIndexDeriver", "scraper.archive.wacz.WaczDeriver"]
# Write each text row's WARC conversion record too (wet/<stem>.warc.wet.gz, as Common Crawl).
ARCHIVE_WET = True
# Who runs the crawl: put in the User-Agent and the warcinfo records.
ARCHIVE_CONTACT = "https://example.org/news-archiver; archive@example.org"
# User-Agent template: {version} and {contact} are filled in.
ARCHIVE_USER_AGENT = "news-archiver/{version} (+{contact})"
# The content codings asked of servers (Accept-Encoding). gzip and deflate, as Heritrix asks:
# every replay and analysis tool decodes them. br and zstd save bandwidth, but warcio 1.8
# (and so pywb and cdxj-indexer) cannot read them; our own readers can.
ARCHIVE_ACCEPT_ENCODING = "gzip, deflate"
# Bytes a body may inflate to when the crawl decodes it (HTTP content codings, gzip
# sitemaps), DOWNLOAD_MAXSIZE capping it too. Past it the response is still archived as
# it came, but not read: a decompression bomb of a megabyte would otherwise be a
# gigabyte in memory. 0: DOWNLOAD_MAXSIZE alone.
ARCHIVE_MAX_INFLATED_SIZE = 32 * 1024 * 1024
# Retry backoff: seconds before the first retry (doubled each time), and the cap,
# also applied to a server's Retry-After.
ARCHIVE_RETRY_BACKOFF_BASE = 1.0
ARCHIVE_RETRY_BACKOFF_MAX = 120.0
# Prometheus metrics of each finished crawl (pages, articles, bytes, errors, duration, success,
# last success time), in node_exporter's textfile format: a path ending in .prom in the
# collector's --collector.textfile.directory, one file per scheduled job. Empty: none written.
ARCHIVE_METRICS_FILE = ""

# --- Many crawler processes, one crawl (docs/distributed.md) -------------------
# A Redis server shared by every process of the crawl: redis://[:password@]host:port/db
# (rediss:// for TLS). Set, the processes started with the same ARCHIVE_CRAWL_ID share its
# request queue (with a lease on each request, handed back if a process dies), its
# duplicate filter, per-host politeness, the crawl history and the site template. Empty:
# the crawl is one process, its queue in memory.
ARCHIVE_FRONTIER = ""
# This process's name within the crawl, in its file names (<crawl>-<worker>-...): letters,
# digits, "." and "_". Empty: <host name>_<process id>. Give a stable one (one a systemd
# unit instance) so a restarted process resumes its own files.
ARCHIVE_WORKER_ID = ""
# Seconds a process's heartbeat lives in Redis: a process silent for longer is dead, its
# leased requests go back to the queue and another process fetches them.
ARCHIVE_FRONTIER_LEASE_TIMEOUT = 30.0

# --- S3 storage (ARCHIVE_URI = s3://bucket/prefix) -----------------------------
# Credentials, endpoint and region: Scrapy's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_REGION_NAME, AWS_USE_SSL, AWS_VERIFY; when unset,
# boto3 finds them the standard way (AWS_* environment variables, AWS_PROFILE, ~/.aws).
# Local folder the crawl writes into before upload; what could not be uploaded waits
# there for `scrapy upload`. Empty: $XDG_CACHE_HOME/news-archiver/spool, else
# ~/.cache/news-archiver/spool. Files are uploaded as soon as complete; their spool
# copies go once verified, or at the end of the crawl if ARCHIVE_DERIVERS may still
# read them (a WACZ needs every WARC): then the spool needs room for a whole crawl.
ARCHIVE_SPOOL_DIR = ""
# Files uploaded at the same time.
ARCHIVE_S3_UPLOAD_THREADS = 2
# Files of this size and more go up in parts of ARCHIVE_S3_MULTIPART_CHUNKSIZE bytes,
# ARCHIVE_S3_MAX_CONCURRENCY parts at a time (boto3 TransferConfig).
ARCHIVE_S3_MULTIPART_THRESHOLD = 64 * 1024 * 1024
ARCHIVE_S3_MULTIPART_CHUNKSIZE = 64 * 1024 * 1024
ARCHIVE_S3_MAX_CONCURRENCY = 8
# A failed upload is tried again this many times, after ARCHIVE_S3_RETRY_BACKOFF_BASE
# seconds, doubled each time up to ARCHIVE_S3_RETRY_BACKOFF_MAX.
ARCHIVE_S3_RETRY_TIMES = 5
ARCHIVE_S3_RETRY_BACKOFF_BASE = 2.0
ARCHIVE_S3_RETRY_BACKOFF_MAX = 60.0
# A crawl starts by uploading what earlier crawls left in the spool.
ARCHIVE_S3_UPLOAD_SPOOL_AT_START = True

# --- Scrapy components --------------------------------------------------------
# Project commands: `scrapy upload`, and `scrapy crawl` with a non-zero exit code when
# the archive is incomplete.
COMMANDS_MODULE = "scraper.commands"
# Scrapy's downloader, holding CONCURRENT_REQUESTS_PER_DOMAIN with no download delay too
# (see scraper/downloader.py).
DOWNLOADER = "scraper.downloader.PoliteDownloader"
# Scrapy's own scheduler, or with ARCHIVE_FRONTIER scrapy-redis's with leased requests
# (see scraper/scheduler.py).
SCHEDULER = "scraper.scheduler.ArchiveScheduler"
DOWNLOAD_HANDLERS = {
    "http": "scraper.downloadhandlers.WireCaptureDownloadHandler",
    "https": "scraper.downloadhandlers.WireCaptureDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # Replaced by versions that fix or extend them (see scraper/middlewares.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scraper.middlewares.ArchiveRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "scraper.middlewares.ArchiveUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scraper.middlewares.RetryAfterMiddleware": 550,
    # Before Scrapy's HttpCompressionMiddleware (590), which would ask for br and zstd.
    "scraper.middlewares.AcceptEncodingMiddleware": 580,
    # Scrapy's cookies, bounded, with the bundled public suffix list (never fetched).
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scraper.middlewares.ArchiveCookiesMiddleware": 700,
    # Scrapy's content decoding with the inflated size capped (ARCHIVE_MAX_INFLATED_SIZE).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "scraper.middlewares.ArchiveHttpCompressionMiddleware": 590,
    # What is fetched again and how (ARCHIVE_HISTORY): inside the capture, so its
    # conditional headers are archived and it sees where each response was archived.
    "scraper.incremental.IncrementalFetchMiddleware": 940,
    # Next to the downloader: sees every response before decompression and redirects.
    "scraper.middlewares.WarcCaptureMiddleware": 950,
    # A resumed crawl answers what it archived before from its own WARCs (below the capture).
    "scraper.middlewares.ResumeReplayMiddleware": 960,
}
SPIDER_MIDDLEWARES = {
    # Looks up each new request's host while it waits in the scheduler (scraper/resolver.py).
    "scraper.resolver.DnsPrefetchMiddleware": 50,
}
ITEM_PIPELINES = {
    "scraper.pipelines.ArticleTextPipeline": 300,
}
EXTENSIONS = {
    # Off unless ARCHIVE_FRONTIER is set: this process's part in a crawl shared on Redis.
    "scraper.extensions.FrontierExtension": 90,
    "scraper.extensions.ArchiveExtension": 100,
    "scraper.extensions.ArchiveMetrics": 110,  # off unless ARCHIVE_METRICS_FILE is set
    "scraper.incremental.CrawlHistoryExtension": 120,
    "scraper.resolver.ResolverStats": 130,  # archive/dns/... stats of the resolver below
}
# Scrapy's own extensions, less the remote control (off: REMOTE_CONTROL_ENABLED below).
# Scrapy imports every extension named here, even one set to None in EXTENSIONS, and
# that module's import of aiohttp alone was a tenth of a second of the crawl's start-up.
EXTENSIONS_BASE = {
    path: order
    for path, order in _scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}

# --- Safety --------------------------------------------------------------------
# Refuse to send a request over a connection that reached an address that is not public
# (loopback, RFC 1918, link-local such as cloud metadata at 169.254.169.254, ...), checked
# on the address actually connected to, after DNS: redirects and requisites included. The
# hosts of the start URLs (and sitemaps, feeds) are exempt: crawling an intranet site by
# name is asked for; being sent to one by a page is not.
ARCHIVE_BLOCK_PRIVATE_ADDRESSES = True
# Hosts (names or IP literals) that may be at any address, start URLs or not.
ARCHIVE_PRIVATE_ADDRESS_HOSTS: list[str] = []

# --- DNS -------------------------------------------------------------------------
# Scrapy's resolvers look names up in threads of the reactor's pool, where a name whose name
# server never answers holds a thread past its timeout: a few dead hosts named by requisites
# stalled every other host, 127.0.0.1 included. Ours answers IP literals and localhost at
# once and asks the name servers itself, without threads (see scraper/resolver.py).
TWISTED_DNS_RESOLVER = "scraper.resolver.ArchiveResolver"
# Seconds one name's lookup may take (Scrapy's setting; its default is 60). A name server
# that answers at all answers within a few seconds; every request for a dead name waits this long.
DNS_TIMEOUT = 10
# Seconds a name whose lookup timed out, or that does not exist, stays failed without being
# looked up again: its other requests (a page's 500 requisites) fail at once. RFC 9520
# asks resolvers to remember failures for 1 s to 5 min.
ARCHIVE_DNS_FAILURE_TTL = 60
# Name servers to ask ("10.0.0.2", "10.0.0.2:5353", "[2001:db8::53]:53"); empty: the
# nameserver lines of /etc/resolv.conf. /etc/hosts is read first either way.
ARCHIVE_DNS_SERVERS: list[str] = []

# --- Politeness -----------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "news-archiver"
# A robots.txt that answers 5xx or 429 or cannot be fetched (reset, timeout) disallows
# its whole host (RFC 9309 section 2.3.1.4); it is fetched again for the first request
# this many seconds later.
ARCHIVE_ROBOTSTXT_RETRY_INTERVAL = 300.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 60
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# A 304 answers the crawl history's conditional requests (ARCHIVE_HISTORY): it is archived
# as a revisit and the spider's callbacks pass it by; Scrapy would log each as an error.
HTTPERROR_ALLOWED_CODES = [304]
COOKIES_ENABLED = True
# Cookies kept per domain (RFC 6265 asks for at least 50), and the largest Cookie header
# sent, in bytes (a cookie longer than that is not kept). One response can set thousands.
ARCHIVE_MAX_COOKIES_PER_DOMAIN = 50
ARCHIVE_MAX_COOKIE_HEADER_SIZE = 8192
# Bytes of responses the spider and pipelines hold at once (Scrapy's default is 5 MB).
# Pages wait here for a free extraction worker. Much smaller, a few large pages (news
# pages run from 100 kB to over 1 MB) fill it and the workers sit idle while new pages
# are fetched; larger, the crawl holds more memory for no more speed (make bench-memory).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 4_000_000
# Outputs of one response processed at once. Scrapy (2.19, asyncio reactor) starts that
# many tasks for every response: at its default of 100 that is reactor CPU spent on
# every page, for a spider that yields one item and a few requests a page.
CONCURRENT_ITEMS = 8

# --- Housekeeping ---------------------------------------------------------------
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 0  # the archive logs its own progress line
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port on crawl machines
FEED_EXPORT_ENCODING = "utf-8"
