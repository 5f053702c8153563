package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

func init() {
	var noBrowser, qr bool
	register(&command{name: "login", args: "[--no-browser] [--qr]", help: "log in with a device code through the agent",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.BoolVar(&noBrowser, "no-browser", false, "do not open a browser")
			fs.BoolVar(&qr, "qr", false, "also show the verification URL as a QR code")
		},
		run: func(ctx context.Context, e *env) error { return login(ctx, e, noBrowser, qr) }})
}

func login(ctx context.Context, e *env, noBrowser, qr bool) error {
	c := client(e)
	defer c.Close()
	start, err := c.StartLogin(ctx)
	if err != nil {
		return err
	}
	link := start.VerificationURIComplete
	if link == "" {
		link = start.VerificationURI
	}
	fmt.Fprintf(e.stdout, "To log in, open %s\nand check that it shows the code %s\n", esc(link), esc(start.UserCode))
	if qr {
		printQR(e.stdout, link)
	}
	if !noBrowser {
		openBrowser(link)
	}
	fmt.Fprintf(e.stdout, "Waiting for approval (the code expires in %s)…\n", time.Until(start.ExpiresAt).Round(time.Second))
	for {
		st, err := c.LoginStatus(ctx)
		if err != nil {
			return err
		}
		switch st.State {
		case ipc.LoginDone:
			s, err := c.Status(ctx)
			if err == nil && s.User.Name != "" {
				fmt.Fprintf(e.stdout, "Logged in as %s.\n", esc(s.User.Name))
			} else {
				fmt.Fprintln(e.stdout, "Logged in.")
			}
			return nil
		case ipc.LoginExpired:
			return &hinted{err: fmt.Errorf("the login code expired before it was approved"), hint: "run 'slices-agent login' again", code: ExitLoginRequired}
		case ipc.LoginFailed:
			if st.Hint != "" {
				// the portal refused the client: logging in again does not help
				return &hinted{err: fmt.Errorf("login failed: %s", st.Error), hint: st.Hint, code: ExitError}
			}
			return &hinted{err: fmt.Errorf("login failed: %s", st.Error), hint: "run 'slices-agent login' again", code: ExitLoginRequired}
		case ipc.LoginNone:
			return fmt.Errorf("the agent forgot the login in progress (logged out meanwhile?)")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// openBrowser opens link when there is a desktop to open it on.
func openBrowser(link string) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("__CFBundleIdentifier") == "" {
		return
	}
	for _, opener := range []string{"xdg-open", "open"} {
		if p, err := exec.LookPath(opener); err == nil {
			cmd := exec.Command(p, link)
			if cmd.Start() == nil {
				go cmd.Wait()
			}
			return
		}
	}
}
