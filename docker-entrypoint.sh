#!/bin/sh
# The image's entrypoint, taking the commands docker-kong's takes:
#   kong docker-start [OPTIONS]      the node in the foreground (the image's CMD)
#   VERB [ARGS]                      a bare kong-dbless verb: `docker run IMAGE config parse /x.yml`
#   kong VERB [ARGS], kong-dbless VERB [ARGS]
#   anything else                    run as given: `docker run -it IMAGE sh`
# Every form ends in `exec`, so the command gets the signals tini (PID 1) forwards and its exit
# status is the container's. KONG_<NAME>_FILE secrets are read by the node's settings loader,
# for every verb, so nothing here resolves them.
set -eu

# The first words that name a kong-dbless verb.
is_verb() {
  case "$1" in
    start | docker-start | quit | reload | health | drain | config | hybrid | version | help) return 0 ;;
    *) return 1 ;;
  esac
}

# The prefix the node will use: docker-start passes no -p, so the environment decides.
prefix_dir() {
  if [ -n "${KONG_PREFIX:-}" ]; then
    printf '%s\n' "$KONG_PREFIX"
  # A regular file only: cat would block on a FIFO (the node then refuses it with one line).
  elif [ -n "${KONG_PREFIX_FILE:-}" ] && [ -f "$KONG_PREFIX_FILE" ] && [ -r "$KONG_PREFIX_FILE" ]; then
    cat "$KONG_PREFIX_FILE"
  else
    printf '%s\n' /usr/local/kong
  fi
}

# Readies the prefix for a node in a fresh container, as docker-kong's entrypoint does for nginx.
prepare_prefix() {
  prefix=$(prefix_dir)
  pidfile="$prefix/pids/nginx.pid"
  # A container that stopped uncleanly leaves its pid file on a kept prefix volume. The pid then
  # names another process of the new container (tini is always 1): the node would refuse the
  # prefix as held, and `kong health` would call a node that is not up yet healthy. A pid file is
  # stale unless its process is a live node.
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile" 2>/dev/null || true)
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    if [ "$comm" != node ]; then
      echo "kong-dbless: found a stale pid file ($pidfile names pid ${pid:-none}, not a running node): the node was previously shut down uncleanly; removing it" >&2
      rm -f "$pidfile" "$prefix/.kong_env"
    fi
  fi
  # Kong's relative log paths, should a setting name one, go to the container's output. The
  # prefix holds the saved config and its credentials: what is made here only its user may read.
  if (umask 077 && mkdir -p "$prefix/logs") 2>/dev/null; then
    ln -sfn /dev/stdout "$prefix/logs/access.log" 2>/dev/null || true
  fi
}

case "${1:-}" in
  kong | kong-dbless) shift ;;
  *)
    if [ "$#" -gt 0 ] && ! is_verb "$1"; then exec "$@"; fi
    ;;
esac

case "${1:-}" in
  docker-start | start)
    shift
    prepare_prefix
    exec kong-dbless start "$@"
    ;;
  *)
    exec kong-dbless "$@"
    ;;
esac
