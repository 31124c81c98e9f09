#!/usr/bin/env bash
# Entry point of the single-user image: become the student, then run the command (jupyterhub-singleuser).
#
# DockerSpawner's SystemUserSpawner passes the student's identity as NB_USER, NB_UID, NB_GID
# and HOME. With `run_as_root = True` the container starts as root and this script creates
# that account inside the container (so `id`, `ls -l` and getpass see a real user), gives it
# a freshly created home, and drops to it for good: every student process runs under the
# student's own uid, which is what keeps nbgrader's exchange submissions apart.
# Started directly as the student's uid (run_as_root = False) or as the image's default user,
# it only makes sure HOME exists. It never runs the command as root.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  export HOME=${HOME:-/tmp}
  mkdir -p "$HOME" 2>/dev/null || true
  exec "$@"
fi

: "${NB_USER:?start.sh: started as root without NB_USER (use SystemUserSpawner with run_as_root)}"
: "${NB_UID:?start.sh: started as root without NB_UID}"
NB_GID=${NB_GID:-$NB_UID}
if [ "$NB_UID" = 0 ] || [ "$NB_GID" = 0 ]; then
  echo "start.sh: refusing to run a student server as root (NB_UID=$NB_UID NB_GID=$NB_GID)" >&2
  exit 1
fi
case "$NB_USER" in
  *[!a-zA-Z0-9._-]* | -* | "") echo "start.sh: unusable user name '$NB_USER'" >&2; exit 1 ;;
esac
export HOME=${HOME:-/home/$NB_USER}

if ! getent group "$NB_GID" >/dev/null; then
  if getent group "$NB_USER" >/dev/null; then groupadd --gid "$NB_GID" "g$NB_GID"
  else groupadd --gid "$NB_GID" "$NB_USER"; fi
fi
owner=$(getent passwd "$NB_UID" | cut -d: -f1 || true)
if getent passwd "$NB_USER" >/dev/null; then
  usermod --non-unique --uid "$NB_UID" --gid "$NB_GID" --home "$HOME" "$NB_USER"
elif [ -n "$owner" ]; then
  # The uid belongs to another name in the image (its default user): rename that account.
  usermod --login "$NB_USER" --gid "$NB_GID" --home "$HOME" "$owner"
else
  useradd --no-create-home --uid "$NB_UID" --gid "$NB_GID" --home-dir "$HOME" --shell /bin/bash "$NB_USER"
fi

# A home Docker has just created for the bind or volume is owned by root: hand it over
# (only that directory; an existing home keeps its owner and contents untouched).
mkdir -p "$HOME"
if [ "$(stat -c %u "$HOME")" = 0 ]; then
  chown "$NB_UID:$NB_GID" "$HOME"
  chmod 0700 "$HOME"
fi

export USER=$NB_USER LOGNAME=$NB_USER
cd "$HOME"
exec setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups --no-new-privs \
  --inh-caps=-all --bounding-set=-all -- "$@"
