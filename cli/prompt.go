package cli

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/slices-ri/slices-agent/internal/segment"
)

func init() {
	var format, color string
	register(&command{name: "prompt", args: "[PROJECT] [--format FMT] [--color WHEN]",
		help: "a short segment for shell prompts; empty when there is nothing to show",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.StringVar(&format, "format", segment.DefaultFormat, segment.FormatHelp)
			fs.StringVar(&color, "color", "auto", segment.ColorHelp)
		},
		run: func(ctx context.Context, e *env) error { return prompt(ctx, e, format, color) }})
}

// prompt prints the segment for the user token or the project in e.args;
// without an agent, or with one too slow, it prints nothing and succeeds.
func prompt(ctx context.Context, e *env, format, color string) error {
	ref, err := oneOptional(e)
	if err != nil {
		return err
	}
	if !segment.ValidColor(color) {
		return usagef("--color %q: want auto, always, never, bash or zsh", color)
	}
	ctx, cancel := context.WithTimeout(ctx, segment.Timeout)
	defer cancel()
	c := client(e)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return nil // no agent, or too slow: a prompt stays empty rather than stall
	}
	line, ok := segment.Line(st, ref, format, color, segment.UseColor(color, e.stdout), time.Now())
	if !ok {
		return nil
	}
	_, err = io.WriteString(e.stdout, line+"\n")
	return err
}
