#!/bin/sh
# One scheduled crawl, for cron and systemd: never two at once, silent when it went
# well, and when it did not, a report on stdout (cron mails it) and a non-zero exit
# status (systemd shows it). See the README's "Running on a schedule".
#
#   deploy/crawl.sh [scrapy crawl arguments...]      e.g. -a urls_file=seeds.txt
#
# Environment (all optional):
#   ARCHIVE_URI           the archive (default ./archive): passed to `scrapy crawl` and `scrapy crawls`
#   NEWS_ARCHIVER_SPIDER  the spider (default articles)
#   NEWS_ARCHIVER_CRAWL_ID  the crawl id (default <spider>-<UTC date>): a run stopped or killed
#                         is resumed by the next start that day (a retry, a restart)
#   NEWS_ARCHIVER_LOCK    the lock file (default $XDG_RUNTIME_DIR or /tmp, news-archiver.lock)
#   NEWS_ARCHIVER_LOGS    where each crawl's log goes (default ./logs)
#   SCRAPY                the scrapy command (default .venv/bin/scrapy, else scrapy on PATH)
# Exit status: scrapy crawl's when it failed, else 1 if `scrapy crawls` finds the crawl
# failed, 75 (EX_TEMPFAIL) if the previous crawl still runs, 0 when all went well.
set -u
cd "$(dirname "$0")/.." || exit 1

archive=${ARCHIVE_URI:-./archive}
spider=${NEWS_ARCHIVER_SPIDER:-articles}
crawl_id=${NEWS_ARCHIVER_CRAWL_ID:-$spider-$(date -u +%Y%m%d)}
lock=${NEWS_ARCHIVER_LOCK:-${XDG_RUNTIME_DIR:-/tmp}/news-archiver.lock}
logs=${NEWS_ARCHIVER_LOGS:-logs}
if [ -n "${SCRAPY:-}" ]; then scrapy=$SCRAPY
elif [ -x .venv/bin/scrapy ]; then scrapy=.venv/bin/scrapy
else scrapy=scrapy
fi

exec 9>>"$lock"
if ! flock --nonblock 9; then
    echo "news-archiver: the previous crawl still runs (lock $lock is held): not starting another"
    exit 75
fi

mkdir -p "$logs" || exit 1
log="$logs/$spider-$(date -u +%Y%m%dT%H%M%SZ).log"
# In the background, so that a stop (systemd's SIGTERM to this script) reaches the crawl,
# which then closes its archive. The crawl inherits the lock: it holds it while it runs.
# Its stderr (warnings printed before logging starts) goes to the log too: cron mails nothing.
"$scrapy" crawl "$spider" -s ARCHIVE_URI="$archive" -s ARCHIVE_CRAWL_ID="$crawl_id" -s LOG_FILE="$log" "$@" \
    2>>"$log" &
crawl=$!
trap 'kill -TERM "$crawl" 2>/dev/null' TERM INT HUP
wait "$crawl"
status=$?
while kill -0 "$crawl" 2>/dev/null; do  # wait was cut short by a signal: the crawl is stopping
    wait "$crawl"
    status=$?
done
trap - TERM INT HUP
report=$("$scrapy" crawls "$archive" 2>&1)
crawls_status=$?
if [ "$status" -ne 0 ] || [ "$crawls_status" -ne 0 ]; then
    echo "news-archiver: scrapy crawl $spider exited with status $status; log: $PWD/$log"
    echo
    grep -E ' (ERROR|CRITICAL): ' "$log" | tail -n 20
    echo
    echo "$report"
    [ "$status" -ne 0 ] && exit "$status"
    exit "$crawls_status"
fi
