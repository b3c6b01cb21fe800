# shellcheck shell=bash
# How roadie's JVM runs, shared by the launchers (./roadie of a source tree, bin/roadie of the
# distribution that scripts/dist builds).

# roadie_jvm_options MAJOR: sets the array roadie_base_opts to the JVM options of every run on a
# JDK of that major version.
roadie_jvm_options() {
  # Memory: the serial collector with a small fixed young generation and a heap
  # that starts small and grows only with live data (the index, pack buffers)
  # keeps a backup's resident memory flat whatever the stream size and starts
  # faster than G1. Chunk and pack garbage dies young
  # (docs/decisions/0002-serial-gc-small-young-generation.md).
  # Multi-release jars off: zstd-jni then binds its native library through JNI instead of the FFM
  # API, whose downcall stubs would be generated and compiled at the start of every command that
  # compresses (docs/decisions/0009-multi-release-jars-off.md); the other multi-release jars
  # (Jackson, pgjdbc) only carry optional variants.
  # JIT: compile thresholds scaled by 10. A command runs for seconds on few cores, and with the
  # default thresholds the compiler threads spent a large share of its CPU compiling thousands
  # of methods that run only a few thousand times; scaled, only what stays hot gets compiled
  # (docs/decisions/0003-jit-compile-threshold-scaling.md).
  # HTTP: the JDK keeps up to 32 idle connections per server (default 5), as many as a bucket
  # backup's downloads at once, so that its direct GETs reuse them rather than reconnect
  # (docs/decisions/0022-direct-object-get.md).
  roadie_base_opts=(--enable-native-access=ALL-UNNAMED -XX:-UsePerfData -XX:+UseSerialGC
    -Xms96m -Xmn64m -XX:SurvivorRatio=3 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30
    -Djdk.util.jar.enableMultiRelease=false -XX:CompileThresholdScaling=10 -Dhttp.maxConnections=32)
  # Exit: by default the JVM waits up to 30 x 10 ms at exit for threads blocked in native code.
  # Once a virtual thread has blocked on a socket (S3 requests, database connections on the I/O
  # pool), the JDK's poller thread sits in epoll_wait for good, so every such command would sit
  # out that whole wait after its last output. Nothing of roadie's runs then: all data is durable
  # before a command reports. JDK 22+ (docs/decisions/0005-no-exit-wait-for-native-threads.md).
  if (($1 >= 22)); then roadie_base_opts+=(-XX:UserThreadWaitAttemptsAtExit=0); fi
}

# roadie_command_jvm_options ARGS...: sets the array roadie_command_opts to the JVM options one
# command adds after roadie_base_opts (later options win), from the command line it is given.
roadie_command_jvm_options() {
  roadie_command_opts=()
  # JIT of the commands that talk to a Kubernetes API server (restore ... --to-cluster, backup k8s):
  # C1 alone, at the default thresholds. They send or read thousands of small objects through a
  # wide stack (TLS, HTTP/2, JSON, YAML, the Kubernetes client) in which no method is hot enough to
  # repay C2, and under the scaled thresholds of the other commands that stack ran interpreted for
  # most of the run; both cost CPU that the API server on the same machine then lacks
  # (docs/decisions/0021-c1-for-kubernetes-api-commands.md). The start-up archive maps all the
  # same.
  local c1=(-XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=1)
  if [[ ${1-} == backup && ${2-} == k8s ]]; then
    roadie_command_opts=("${c1[@]}")
  elif [[ ${1-} == restore ]]; then
    local a
    for a in "${@:2}"; do
      [[ $a == -- ]] && break
      if [[ $a == --to-cluster ]]; then
        roadie_command_opts=("${c1[@]}")
        break
      fi
    done
  fi
}

# roadie_nice_command COMMAND: sets the array roadie_nice_cmd to the command prefix that runs
# roadie's COMMAND (its first argument) at the right CPU priority: empty, or nice -n N.
roadie_nice_command() {
  # CPU priority: work nobody waits on (backups, pruning, copies, checks) runs at nice 10, so the
  # database or cache roadie reads from, and whatever else shares the machine, keeps the CPU it
  # needs; on an idle machine nothing changes. A Redis server's fork child, for one, is then not
  # starved while roadie's JVM warms up beside it
  # (docs/decisions/0001-background-commands-at-nice-10.md).
  # Niceness only ranks processes of one scheduling group: a server in its own session or cgroup (a
  # systemd service, another container) already gets its share, and then nice changes nothing.
  # Restores, dumps and the WAL commands run at the caller's priority: someone is waiting for them.
  local nice_level
  roadie_nice_cmd=()
  case $1 in
  backup | prune | forget | copy | check)
    nice_level=${ROADIE_NICE:-10}
    if [[ ! $nice_level =~ ^[0-9]+$ ]] || ((10#$nice_level > 19)); then
      echo "roadie: ROADIE_NICE must be a whole number from 0 to 19, not '$nice_level'" >&2
      exit 2
    fi
    if ((10#$nice_level > 0)) && command -v nice >/dev/null 2>&1; then roadie_nice_cmd=(nice -n "$nice_level"); fi
    ;;
  esac
}
