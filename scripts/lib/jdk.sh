# shellcheck shell=bash
# Finding a JDK 21+ for roadie. Sourced by ./roadie and scripts/test, so the
# rules live in one place:
#   1. $JAVA_HOME, if it is a JDK 21 or newer;
#   2. else the newest JDK 21+ under /usr/lib/jvm (highest version wins, so 25
#      is taken over 21 when both are installed);
#   3. else the `java` on PATH, if it belongs to a JDK 21+.
# On success roadie_find_jdk sets ROADIE_JDK (the JDK's home directory),
# ROADIE_JDK_MAJOR (e.g. 25) and ROADIE_JDK_VERSION (e.g. 25.0.3).
# This file only defines functions and variables; it changes no options of
# the shell that sources it.

ROADIE_JDK_MIN=21
ROADIE_JDK_HELP="roadie needs a JDK 21 or newer: apt-get install openjdk-21-jdk (Debian 13) or set JAVA_HOME"

# roadie_jdk_major VERSION: prints the feature release of a Java version
# string: "1.8.0_392" -> 8, "21.0.2" -> 21, "25" -> 25, "26-ea" -> 26,
# "17.0.9+9-LTS" -> 17. Prints nothing and fails on anything else.
roadie_jdk_major() {
  local v=${1-}
  [[ $v == 1.* ]] && v=${v#1.}
  v=${v%%[!0-9]*}
  [[ -n $v ]] || return 1
  printf '%s\n' "$((10#$v))"
}

# roadie_jdk_version HOME: prints the full version of the JDK at HOME. Reads
# the `release` file every JDK ships (JAVA_VERSION="25.0.3"), which costs no
# process; falls back to parsing `java -version`, whose first line containing
# `version "..."` is used (lines such as "Picked up JAVA_TOOL_OPTIONS" are
# skipped; vendors differ in the words before "version").
roadie_jdk_version() {
  local home=$1 line v=
  if [[ -r $home/release ]]; then
    while IFS= read -r line; do
      if [[ $line == JAVA_VERSION=* ]]; then
        v=${line#JAVA_VERSION=}
        v=${v//\"/}
        break
      fi
    done <"$home/release"
  fi
  if [[ -z $v ]]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1) || v=
  fi
  [[ -n $v ]] || return 1
  printf '%s\n' "$v"
}

# roadie_jdk_check HOME: succeeds if HOME is a JDK (java and javac) of
# version 21 or newer; then sets ROADIE_JDK, ROADIE_JDK_MAJOR and
# ROADIE_JDK_VERSION.
roadie_jdk_check() {
  local home=${1%/} v m
  [[ -n $home && -x $home/bin/java && -x $home/bin/javac ]] || return 1
  v=$(roadie_jdk_version "$home") || return 1
  m=$(roadie_jdk_major "$v") || return 1
  ((m >= ROADIE_JDK_MIN)) || return 1
  ROADIE_JDK=$home ROADIE_JDK_MAJOR=$m ROADIE_JDK_VERSION=$v
}

# roadie_find_jdk: applies the rules above; prints ROADIE_JDK_HELP to stderr
# and fails if no JDK 21+ is found.
roadie_find_jdk() {
  if [[ -n ${JAVA_HOME-} ]] && roadie_jdk_check "$JAVA_HOME"; then
    return 0
  fi
  local d best= best_v= best_m=0 java
  for d in /usr/lib/jvm/*/; do
    roadie_jdk_check "$d" || continue
    # Highest feature release first; same feature release: higher full
    # version (sort -V); same version (e.g. a symlinked alias): first seen.
    if ((ROADIE_JDK_MAJOR > best_m)) ||
      { ((ROADIE_JDK_MAJOR == best_m)) && [[ $ROADIE_JDK_VERSION != "$best_v" ]] &&
        [[ $(printf '%s\n%s\n' "$best_v" "$ROADIE_JDK_VERSION" | sort -V | tail -n 1) == "$ROADIE_JDK_VERSION" ]]; }; then
      best=$ROADIE_JDK best_v=$ROADIE_JDK_VERSION best_m=$ROADIE_JDK_MAJOR
    fi
  done
  if [[ -n $best ]]; then
    ROADIE_JDK=$best ROADIE_JDK_MAJOR=$best_m ROADIE_JDK_VERSION=$best_v
    return 0
  fi
  if java=$(command -v java 2>/dev/null) && java=$(readlink -f -- "$java") &&
    roadie_jdk_check "${java%/bin/java}"; then
    return 0
  fi
  unset ROADIE_JDK ROADIE_JDK_MAJOR ROADIE_JDK_VERSION
  printf '%s\n' "$ROADIE_JDK_HELP" >&2
  return 1
}
