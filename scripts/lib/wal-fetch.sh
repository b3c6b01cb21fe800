# shellcheck shell=bash
# restore_command fast path of 'roadie wal-fetch NAME DEST', answered without starting a JVM.
# Sourced by the launchers (./roadie of a source tree, bin/roadie of the distribution), which then
# call
#   roadie_wal_fetch_fast "$@"
# It exits when it answered the call, and returns 0 otherwise: the JVM then runs the command as
# usual (also for any form it does not know, or any doubt), with the same result, only slower.
#
# A call that fetches a segment from the repository starts a background prefetcher that fetches the
# next ones (--prefetch) into SPOOL/prefetch/ (WalPrefetcher.java: each one read, decrypted and
# verified whole, written under a temporary name, then renamed into place, so a file there is
# complete). PostgreSQL's call for such a segment is answered here by moving it to DEST, as
# WalFetch.fromSpool does in the JVM; a segment the running prefetcher is fetching now
# (SPOOL/prefetch/NAME.pending, its heartbeat SPOOL/prefetch/prefetcher.alive recent) is waited for.
# SPOOL is --spool, else DATADIR/pg_wal/roadie/<16 hex of SHA-256 of the repository location>,
# DATADIR being --pgdata, else the working directory (PostgreSQL runs restore_command in its data
# directory).
roadie_wal_fetch_fast() {
  [[ ${1-} == wal-fetch ]] || return 0
  command -v sha256sum >/dev/null 2>&1 || return 0
  shift
  local repo=${ROADIE_REPOSITORY-} pgdata= spool= opt value key dir spooled
  local args=()
  while (($#)); do
    opt=$1
    shift
    case $opt in
    --) args+=("$@"); break ;;
    -r | --repo | --pgdata | --spool | --prefetch | --system-id | --password-file | --s3-endpoint | --profile | --s3-ca-file | \
      --repo=* | --pgdata=* | --spool=* | --prefetch=* | --system-id=* | --password-file=* | --s3-endpoint=* | --profile=* | --s3-ca-file=*)
      if [[ $opt == *=* ]]; then
        value=${opt#*=}
        opt=${opt%%=*}
      else
        (($#)) || return 0
        value=$1
        shift
      fi
      case $opt in
      -r | --repo) repo=$value ;;
      --pgdata) pgdata=$value ;;
      --spool) spool=$value ;;
      esac
      ;;
    -*) return 0 ;;
    *) args+=("$opt") ;;
    esac
  done
  ((${#args[@]} == 2)) && [[ -n $repo ]] || return 0
  # Only whole segments are prefetched (never history, backup-label or partial files).
  [[ ${args[0]} =~ ^[0-9A-F]{24}$ ]] || return 0
  if [[ -z $spool ]]; then
    dir=${pgdata:-.}
    dir=$(cd -- "$dir" 2>/dev/null && pwd) || return 0
    key=$(printf '%s' "$repo" | sha256sum) || return 0
    spool=$dir/pg_wal/roadie/${key:0:16}
  fi
  spooled=$spool/prefetch/${args[0]}
  local start=$SECONDS i=0 now mtime
  while [[ ! -f $spooled ]]; do
    [[ -f $spooled.pending ]] && ((SECONDS - start < 120)) || return 0
    if ((i % 25 == 0)); then
      printf -v now '%(%s)T' -1
      mtime=$(stat -c %Y -- "$spool/prefetch/prefetcher.alive" 2>/dev/null) || return 0
      ((now - mtime <= 3)) || return 0
    fi
    sleep 0.01
    i=$((i + 1))
  done
  # mv within one file system is a rename: DEST appears whole or not at all. Should it fail, the
  # JVM tries (and reports) again.
  mv -f -- "$spooled" "${args[1]}" 2>/dev/null || return 0
  exit 0
}
