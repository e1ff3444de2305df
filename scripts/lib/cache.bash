# Shared by the scripts that build a program with Go into keepalive's cache (scripts/pulumi-engine,
# scripts/opentofu): sourced, after the script has defined log() (it prints to stderr).
#
# cache_root is ${KEEPALIVE_CACHE_DIR:-$HOME/.cache/keepalive}; a program's finished bin/ directory is
# placed under it in one step.

cache_root="${KEEPALIVE_CACHE_DIR:-$HOME/.cache/keepalive}"
go=$(command -v go 2>/dev/null || echo /usr/local/go/bin/go)

# Why temporary directories beside the targets: a finished directory is renamed into place in one step,
# so a concurrent run never sees half a build, and an interrupted build leaves nothing behind.
# The trap is set where each is made, since the builds run in subshells (command substitutions), which
# do not inherit the caller's EXIT trap. new_tmp DIR sets $tmp.
tmps=()
new_tmp() {
  mkdir -p "$1"
  tmp=$(mktemp -d "$1/.build.XXXXXX")
  tmps+=("$tmp")
  trap 'chmod -R u+w "${tmps[@]}" 2>/dev/null; rm -rf "${tmps[@]}"' EXIT
}

# place CHECK BIN: moves a finished $tmp/bin to BIN (a bin directory), unless another run got there first
# with a good one. CHECK is a command that takes a bin directory and succeeds when it is good.
place() {
  local check=$1 bin=$2
  mkdir -p "$(dirname "$bin")"
  # A bin/ there that failed its check (damaged by hand, say) is moved aside into $tmp to go with it.
  [ -e "$bin" ] && ! "$check" "$bin" && mv -T "$bin" "$tmp/old" 2>/dev/null || true
  # mv -T fails when another run got there first with a non-empty bin/; theirs is as good as ours.
  if ! mv -T "$tmp/bin" "$bin" 2>/dev/null && ! "$check" "$bin"; then
    log "could not move the build into $bin"
    exit 1
  fi
}

# took START: how long since START (a value of $SECONDS), as 9m05s.
took() {
  printf '%dm%02ds' $(((SECONDS - $1) / 60)) $(((SECONDS - $1) % 60))
}
