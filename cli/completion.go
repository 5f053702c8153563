package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/internal/termtext"
)

func init() {
	register(&command{name: "completion", args: "bash|zsh|fish",
		help: "print the shell completion script: source <(slices-agent completion bash)",
		run: func(ctx context.Context, e *env) error {
			sh, err := exactlyOne(e, "shell: bash, zsh or fish")
			if err != nil {
				return err
			}
			switch sh {
			case "bash":
				return bashCompletion(e.stdout)
			case "zsh":
				return zshCompletion(e.stdout)
			case "fish":
				return fishCompletion(e.stdout)
			}
			return usagef("completion: unknown shell %q (want bash, zsh or fish)", sh)
		}})
	// __projects lists project names for the completion scripts: quietly,
	// quickly, nothing when no agent answers.
	register(&command{name: "__projects", help: "project names, for completion scripts",
		run: func(ctx context.Context, e *env) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			c := client(e)
			defer c.Close()
			list, err := c.Projects(ctx)
			if err != nil {
				return &exitStatus{code: 1}
			}
			for _, p := range list {
				// One name a line, as the scripts read them: a name with
				// a line break or a control character is left out.
				if termtext.Safe(p.Name) {
					fmt.Fprintln(e.stdout, p.Name)
				}
			}
			return nil
		}})
}

// projectCommands take a project name as their argument.
var projectCommands = []string{"token", "add", "remove", "refresh"}

// flagInfo is one flag of a command, for completion.
type flagInfo struct {
	name, usage string
	takesValue  bool
}

func (f flagInfo) dashed() string {
	if len(f.name) == 1 {
		return "-" + f.name
	}
	return "--" + f.name
}

// commandFlags lists the flags of command name, without the global ones.
func commandFlags(name string) []flagInfo {
	c := commands[name]
	if c == nil || c.flags == nil {
		return nil
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c.flags(fs, &env{})
	var out []flagInfo
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == name || f.Name == "version" || f.Name == "cli-manifest" {
			return
		}
		_, isBool := f.Value.(interface{ IsBoolFlag() bool })
		usage := strings.ReplaceAll(f.Usage, "`", "")
		out = append(out, flagInfo{name: f.Name, usage: usage, takesValue: !isBool})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func globalFlagInfo() []flagInfo {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	globalFlags(fs, &env{})
	var out []flagInfo
	fs.VisitAll(func(f *flag.Flag) {
		out = append(out, flagInfo{name: f.Name, usage: strings.ReplaceAll(f.Usage, "`", ""), takesValue: true})
	})
	return out
}

func dashedList(fl []flagInfo) string {
	s := make([]string, len(fl))
	for i, f := range fl {
		s[i] = f.dashed()
	}
	return strings.Join(s, " ")
}

func bashCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`# bash completion for slices-agent; in ~/.bashrc: source <(slices-agent completion bash)
# Project names come from the portal: they are matched as plain strings and
# handed back quoted (printf %q), never through compgen -W, which would expand
# a name such as $(touch /tmp/x).
_slices_agent_projects() {
    local name q
    COMPREPLY=()
    while IFS= read -r name; do
        if [[ $name == "$cur"* ]]; then
            printf -v q '%q' "$name"
            COMPREPLY+=("$q")
        fi
    done < <(slices-agent __projects 2>/dev/null)
}
_slices_agent() {
    local cur prev cmd i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -a|--a|-portal|--portal|-client-id|--client-id|-client-secret-file|--client-secret-file|-scope|--scope|-keyring|--keyring) ((i++)) ;;
            --) break ;;
            -*) ;;
            *) cmd="${COMP_WORDS[i]}"; break ;;
        esac
    done
    case "$prev" in
        -a|--a|--file|--passphrase-file|--jwks|--client-secret-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --keyring|-keyring) COMPREPLY=($(compgen -W "auto system file memory" -- "$cur")); return ;;
        --target) COMPREPLY=($(compgen -W "systemd launchd" -- "$cur")); return ;;
        -p) _slices_agent_projects; return ;;
        --portal|--client-id|--scope|--min-valid) return ;;
    esac
    local globals="` + dashedList(globalFlagInfo()) + `"
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "` + strings.Join(commandNames(), " ") + ` -D -d -k --version --install-completion $globals" -- "$cur"))
        return
    fi
    local flags=""
    case "$cmd" in
`)
	for _, n := range commandNames() {
		if fl := commandFlags(n); len(fl) > 0 {
			fmt.Fprintf(&b, "        %s) flags=%q ;;\n", n, dashedList(fl))
		}
	}
	b.WriteString(`    esac
    if [[ $cmd == exec ]]; then
        for ((i = 1; i < COMP_CWORD; i++)); do
            if [[ ${COMP_WORDS[i]} == -- ]]; then
                COMPREPLY=($(compgen -c -- "$cur")); return
            fi
        done
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
        return
    fi
    case "$cmd" in
        ` + strings.Join(projectCommands, "|") + `) _slices_agent_projects ;;
        completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
        inspect) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
}
complete -F _slices_agent slices-agent
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote escapes s for a zsh _describe/_arguments description in single quotes.
func zshQuote(s string) string {
	s = strings.ReplaceAll(s, "'", `'\''`)
	return strings.NewReplacer(":", `\:`, "[", `\[`, "]", `\]`).Replace(s)
}

func zshCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`#compdef slices-agent
# zsh completion for slices-agent; in ~/.zshrc (after compinit): source <(slices-agent completion zsh)
_slices_agent() {
  local -a cmds
  cmds=(
`)
	for _, n := range commandNames() {
		fmt.Fprintf(&b, "    '%s:%s'\n", n, zshQuote(commands[n].help))
	}
	b.WriteString(`  )
  local cmd i
  for ((i = 2; i < CURRENT; i++)); do
    case ${words[i]} in
      -a|--portal|--client-id|--client-secret-file|--scope|--keyring) ((i++)) ;;
      -*) ;;
      *) cmd=${words[i]}; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
    _describe 'command' cmds
    return
  fi
  if [[ $cmd == exec && ${words[(I)--]} -gt 0 && ${words[(I)--]} -lt CURRENT ]]; then
    _command_names
    return
  fi
  local -a flags
  case $cmd in
`)
	for _, n := range commandNames() {
		fl := commandFlags(n)
		if len(fl) == 0 {
			continue
		}
		fmt.Fprintf(&b, "    %s) flags=(", n)
		for _, f := range fl {
			fmt.Fprintf(&b, " '%s:%s'", f.dashed(), zshQuote(f.usage))
		}
		b.WriteString(" ) ;;\n")
	}
	b.WriteString(`  esac
  if [[ ${words[CURRENT]} == -* ]]; then
    _describe 'flag' flags
    return
  fi
  case $cmd in
    ` + strings.Join(projectCommands, "|") + `) compadd -- ${(f)"$(slices-agent __projects 2>/dev/null)"} ;;
    completion) compadd bash zsh fish ;;
    inspect) _files ;;
  esac
}
if [[ $funcstack[1] == _slices_agent ]]; then
  _slices_agent "$@"
else
  compdef _slices_agent slices-agent
fi
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// fishQuote quotes s for fish in single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func fishCompletion(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# fish completion for slices-agent; save as ~/.config/fish/completions/slices-agent.fish:\n" +
		"#   slices-agent completion fish > ~/.config/fish/completions/slices-agent.fish\n" +
		"complete -c slices-agent -f\n")
	for _, n := range commandNames() {
		fmt.Fprintf(&b, "complete -c slices-agent -n __fish_use_subcommand -a %s -d %s\n", n, fishQuote(commands[n].help))
	}
	flagLine := func(cond string, f flagInfo) {
		opt := "-l " + f.name
		if len(f.name) == 1 {
			opt = "-s " + f.name
		}
		if f.takesValue {
			opt += " -r"
		}
		fmt.Fprintf(&b, "complete -c slices-agent%s %s -d %s\n", cond, opt, fishQuote(f.usage))
	}
	for _, f := range globalFlagInfo() {
		flagLine("", f)
	}
	for _, n := range commandNames() {
		for _, f := range commandFlags(n) {
			flagLine(" -n '__fish_seen_subcommand_from "+n+"'", f)
		}
	}
	fmt.Fprintf(&b, "complete -c slices-agent -n '__fish_seen_subcommand_from %s' -a '(slices-agent __projects 2>/dev/null)'\n",
		strings.Join(projectCommands, " "))
	b.WriteString("complete -c slices-agent -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n" +
		"complete -c slices-agent -n '__fish_seen_subcommand_from inspect' -F\n")
	_, err := io.WriteString(w, b.String())
	return err
}
