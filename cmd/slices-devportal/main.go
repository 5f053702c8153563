// Command slices-devportal serves a local, faithful emulator of the Slices portal and
// its OIDC issuer; see package devportal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slices-ri/slices-agent/devportal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := devportal.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var usage *devportal.UsageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &usage):
		if !usage.Reported {
			fmt.Fprintf(os.Stderr, "slices-devportal: %v\n", err)
		}
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "slices-devportal: %v\n", err)
		os.Exit(1)
	}
}
