# Shared by the demo scripts (sourced): the tools on PATH, a clean
# environment, and the way steps are shown.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$repo/target/dist:$PATH"
unset RKMOD_SIM RKMOD_SIM_HOST MODPROBE_OPTIONS

heading() { printf '\n\033[1;34m== %s ==\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# A command that is meant to be refused: show the refusal, go on.
refused() {
    printf '\n\033[1m$ %s\033[0m   \033[2m(refused on purpose)\033[0m\n' "$*"
    if "$@"; then echo "demo: expected a refusal" >&2; exit 1; fi
}
