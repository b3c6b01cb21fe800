# shellcheck shell=bash
# archive_command fast paths of 'roadie wal-push', answered without starting a JVM. Sourced by the
# launchers (./roadie of a source tree, bin/roadie of the distribution), which then call
#   roadie_wal_push_fast "$@"
# with roadie_launcher set to their own path. It exits when it answered the call, and returns 0
# otherwise: the JVM then runs the command as usual (also for any form it does not know, or any
# doubt), and the JVM's answer is always the same, only slower. These functions only read the
# spool; the JVM (WalPush, WalArchiver) writes it.
#
# - 'wal-push FILE' (sync, with batches): 'roadie wal-push' archives other ready WAL files ahead of
#   their turn and leaves a marker for each (SHA-256 and size of what it archived; WalPush.java).
#   When PostgreSQL then calls for such a file, the marker is checked against the file.
# - 'wal-push --async FILE': the background archiver (WalArchiver.java: the agent's, else one
#   started here as 'wal-push --archiver') pushes ready files ahead and writes SPOOL/async/NAME.ok
#   once NAME is durable in the repository, holding the file's size, inode and modification
#   second. The call succeeds when that matches the file; otherwise it makes sure an archiver runs
#   (SPOOL/async/archiver.alive is touched by a running one) and waits for NAME.ok, NAME.error or
#   global.error (then it prints the error and fails with its exit code; PostgreSQL retries).
#
# Handled: the options of wal-push that take a value, --verbose and --async, in any order, and the
# repository from --repo or ROADIE_REPOSITORY.
roadie_wal_push_fast() {
  [[ ${1-} == wal-push ]] || return 0
  command -v sha256sum >/dev/null 2>&1 || return 0
  shift
  local file= repo=${ROADIE_REPOSITORY-} pgdata= spool= verbose=0 async=0 timeout=60 opt value name dir key marker want have
  local pass=()
  while (($#)); do
    opt=$1
    shift
    case $opt in
    --verbose) verbose=1 ;;
    --async) async=1 ;;
    --) (($# == 1)) && [[ -z $file ]] || return 0; file=$1; shift ;;
    -r | --repo | --pgdata | --spool | --batch | --jobs | --system-id | --password-file | --s3-endpoint | --profile | --s3-ca-file | --async-timeout | \
      --repo=* | --pgdata=* | --spool=* | --batch=* | --jobs=* | --system-id=* | --password-file=* | --s3-endpoint=* | --profile=* | --s3-ca-file=* | --async-timeout=*)
      if [[ $opt == *=* ]]; then
        value=${opt#*=}
        opt=${opt%%=*}
      else
        (($#)) || return 0
        value=$1
        shift
      fi
      case $opt in
      -r | --repo) repo=$value; pass+=(--repo "$value") ;;
      --pgdata) pgdata=$value ;;
      --spool) spool=$value ;;
      --async-timeout) [[ $value =~ ^[0-9]+$ ]] || return 0; timeout=$((10#$value)) ;;
      *) pass+=("$opt" "$value") ;;
      esac
      ;;
    -*) return 0 ;;
    *) [[ -z $file ]] || return 0; file=$opt ;;
    esac
  done
  [[ -n $file && -n $repo ]] || return 0
  name=${file##*/}
  [[ $name =~ ^[0-9A-F]{24}(\.partial)?$ || $name =~ ^[0-9A-F]{8}\.history$ || $name =~ ^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$ ]] || return 0
  # As WalPushCommand: DATADIR is --pgdata, else the parent of the file's pg_wal directory, else the
  # working directory; the spool is --spool, else DATADIR/pg_wal/roadie/<16 hex of SHA-256 of the
  # repository location>.
  if [[ -n $pgdata ]]; then
    dir=$(cd -- "$pgdata" 2>/dev/null && pwd) || return 0
  else
    [[ $file == */* ]] && dir=${file%/*} || dir=.
    dir=$(cd -- "$dir" 2>/dev/null && pwd) || return 0
    if [[ ${dir##*/} == pg_wal && -n ${dir%/*} ]]; then dir=${dir%/*}; else dir=$PWD; fi
  fi
  if [[ -z $spool ]]; then
    key=$(printf '%s' "$repo" | sha256sum) || return 0
    spool=$dir/pg_wal/roadie/${key:0:16}
  fi
  if ((async)); then
    roadie_wal_push_async
    exit $?
  fi
  marker=$spool/pushed/$name
  [[ -f $marker ]] || return 0
  read -r want <"$marker" || return 0
  have=$(sha256sum <"$file") || return 0
  have="${have%% *} $(stat -c %s -- "$file")" || return 0
  [[ $have == "$want" ]] || return 0
  rm -f -- "$marker"
  if ((verbose)); then echo "roadie wal-push: $name was archived by an earlier run" >&2; fi
  exit 0
}

# The --async wait, with the variables of roadie_wal_push_fast. Returns the exit status.
roadie_wal_push_async() {
  local q=$spool/async spawned=-1000 start=$SECONDS i=0 alive=0 now mtime code msg f
  while :; do
    if [[ -f $q/$name.ok ]] && read -r want <"$q/$name.ok" && have=$(stat -c '%s %i %Y' -- "$file" 2>/dev/null) \
      && [[ $have == "$want" ]]; then
      if ((verbose)); then echo "roadie wal-push: $name is archived (in $((SECONDS - start)) s)" >&2; fi
      return 0
    fi
    # Is an archiver running? Looked at now and then, not on every turn: it costs a process.
    if ((i % 25 == 0)); then
      printf -v now '%(%s)T' -1
      mtime=$(stat -c %Y -- "$q/archiver.alive" 2>/dev/null) || mtime=0
      if ((now - mtime <= 3)); then
        alive=1
      else
        alive=0
        # None: start one in the background (it outlives this call and pushes what becomes ready
        # next), at most every 10 seconds, as the last one may still be starting.
        if ((SECONDS - spawned >= 10)); then
          if ! mkdir -p -- "$q" 2>/dev/null; then
            echo "roadie: cannot create the spool directory $q for wal-push --async: give the user $(id -un) write access to ${q%/*}" >&2
            return 1
          fi
          # Errors left by an archiver that is gone are stale: the new one tries afresh.
          rm -f -- "$q"/*.error 2>/dev/null || true
          setsid "$roadie_launcher" wal-push --archiver --pgdata "$dir" --spool "$spool" "${pass[@]}" \
            </dev/null >"$q/archiver.log" 2>&1 &
          spawned=$SECONDS
        fi
      fi
    fi
    for f in "$q/global.error" "$q/$name.error"; do
      [[ -f $f ]] || continue
      [[ $f == "$q/global.error" ]] || ((alive)) || continue
      { read -r code && msg=$(cat); } <"$f" 2>/dev/null || continue
      [[ $code =~ ^[0-9]+$ ]] || code=1
      echo "roadie: $msg" >&2
      return "$code"
    done
    if ((SECONDS - start >= timeout)); then
      echo "roadie: $name was not archived within $timeout s (--async-timeout): the archiver of $q is busy or stuck (its log: $q/archiver.log); PostgreSQL retries" >&2
      return 75
    fi
    sleep 0.01
    i=$((i + 1))
  done
}
