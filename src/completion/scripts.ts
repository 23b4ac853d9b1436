import type { CompletingShell } from './cli-completer.js';

/**
 * The scripts `dust completion bash|zsh` prints. They hold no knowledge of dust: on every Tab they ask the
 * dust being completed (`dust __complete <shell> <word> <line>`) and show what it answers, so options,
 * commands, plugins and node names are always those of the dust installed, its config and its plugins.
 *
 * The answer is one line of directives (`files`, `dirs`, `nospace`, comma-separated; may be empty), then
 * one candidate per line (`value<TAB>description` for zsh).
 */
export function completionScript(shell: CompletingShell): string {
  return shell === 'bash' ? BASH : ZSH;
}

const BASH = `# bash completion for dust (printed by \`dust completion bash\`).
# Load it in ~/.bashrc:            source <(dust completion bash)
# or install it for bash-completion: dust completion bash > ~/.local/share/bash-completion/completions/dust
_dust_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" dust="\${COMP_WORDS[0]}" out directives IFS=$'\\n'
  COMPREPLY=()
  [[ "$dust" == "~/"* ]] && dust="$HOME/\${dust#\\~/}"
  out="$("$dust" __complete bash "$cur" "\${COMP_LINE:0:COMP_POINT}" 2>/dev/null)" || return 0
  directives="\${out%%$'\\n'*}"
  if [[ "$out" == *$'\\n'* ]]; then out="\${out#*$'\\n'}"; else out=""; fi
  case ",$directives," in
    *,files,*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    *,dirs,*) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
  esac
  [[ -n "$out" ]] && COMPREPLY+=($out)
  [[ ",$directives," == *,nospace,* ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _dust_complete dust
`;

const ZSH = `#compdef dust
# zsh completion for dust (printed by \`dust completion zsh\`).
# Load it in ~/.zshrc (after compinit):  source <(dust completion zsh)
# or install it on your fpath:           dust completion zsh > "\${fpath[1]}/_dust"
_dust() {
  local out directives line
  local -a lines values displays
  line="\${(j: :)words[1,CURRENT-1]} \${words[CURRENT]}"
  out="$(\${words[1]} __complete zsh "$PREFIX" "$line" 2>/dev/null)" || return 1
  lines=("\${(@f)out}")
  directives="\${lines[1]}"
  shift lines
  for line in "\${lines[@]}"; do
    [[ -z "$line" ]] && continue
    values+=("\${line%%$'\\t'*}")
    if [[ "$line" == *$'\\t'* ]]; then displays+=("\${line%%$'\\t'*}  -- \${line#*$'\\t'}"); else displays+=("$line"); fi
  done
  case ",$directives," in
    *,files,*) [[ "$PREFIX" == -*=* ]] && compset -P '*='; _files ;;
    *,dirs,*) [[ "$PREFIX" == -*=* ]] && compset -P '*='; _files -/ ;;
  esac
  (( \${#values} )) || return 0
  if [[ ",$directives," == *,nospace,* ]]; then
    compadd -S '' -d displays -- "\${values[@]}"
  else
    compadd -d displays -- "\${values[@]}"
  fi
}
if [[ "\${funcstack[1]}" == "_dust" ]]; then _dust "$@"; else compdef _dust dust; fi
`;
