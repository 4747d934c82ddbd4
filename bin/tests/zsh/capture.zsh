#!/usr/bin/env zsh
# capture.zsh FPATH_DIR LINE: the matches zsh's completion system offers
# for LINE<TAB>, one per line. An interactive zsh in a pseudo-terminal
# (zsh/zpty) runs compinit with FPATH_DIR first in $fpath; compadd is
# wrapped to print every match it adds, and the shell exits once the
# completion is done (comppostfuncs). Used by bin/tests/docs.rs.
emulate -L zsh
zmodload zsh/zpty || exit 2
local dir=$1 line=$2 out chunk
zpty z zsh -f -i
# markers are written split in two so that the echoed input never matches
zpty -w z 'PS1= PROMPT= RPROMPT=; unset zle_bracketed_paste'
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits; builtin compadd -A __hits "$@"; local ret=$?
  (( $#__hits )) && print -rl -- "<h""it>"${^__hits}
  builtin compadd "$@"; return ret
}'
zpty -w z '_capture_done() { print -r -- "<<do""ne>>"; exit }; comppostfuncs=(_capture_done)'
zpty -w -n z "$line"$'\t'
out=
while zpty -r z chunk; do
  out+=$chunk
  [[ $out == *'<<done>>'* ]] && break
done
zpty -d z
local l
for l in ${(f)out//$'\r'/}; do
  [[ $l == *'<hit>'* ]] && print -r -- ${l##*<hit>}
done
return 0
