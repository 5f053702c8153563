package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
	"github.com/slices-ri/slices-agent/portal"
)

// Config is what the daemon is started with.
type Config struct {
	Socket    string
	PortalURL string
	ClientID  string
	// ClientSecret makes the client confidential; "" for a public client.
	ClientSecret string
	// Scope is asked for at login; "" for the default chosen from discovery.
	Scope string
	// Settings are the settings and where they came from, for status.
	Settings []ipc.Setting
	Keyring  string // auto, system, file or memory
	StateDir string
	Version  string
	Logger   *slog.Logger
	// Listener, when set, is served instead of listening on Socket
	// (socket activation, tests).
	Listener net.Listener
	// Ready is called once the socket is served.
	Ready func()
	// NoNotify turns desktop notifications off.
	NoNotify bool
}

// StateDir is $XDG_STATE_HOME/slices-agent, or ~/.local/state/slices-agent,
// or $TMPDIR/slices-agent-state-$UID when there is no home directory. It is
// checked (safedir.Ensure) before it is used.
func StateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "slices-agent")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), fmt.Sprintf("slices-agent-state-%d", os.Getuid()))
	}
	return filepath.Join(home, ".local", "state", "slices-agent")
}

// Serve runs the daemon until ctx ends or a client asks it to stop.
func Serve(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = StateDir()
	}
	// A core dump of the daemon would hold every token, and so would its
	// memory as another process of the user could read it.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	if err := protectMemory(); err != nil {
		log.Warn("could not mark the agent non-dumpable", "err", err)
	}

	l := cfg.Listener
	if l == nil {
		var err error
		if l, err = ipc.Listen(cfg.Socket); err != nil {
			return err
		}
	}
	defer l.Close()
	if err := safedir.Ensure(cfg.StateDir, "state directory"); err != nil {
		return err
	}
	held, err := LockStateDir(cfg.StateDir, cfg.Socket, stateLockWait)
	if err != nil {
		return err
	}
	defer held.Release()

	kctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	store, note, err := keyring.Open(kctx, cfg.Keyring, filepath.Join(cfg.StateDir, "keyring.json"))
	cancel()
	if err != nil {
		return fmt.Errorf("opening the %s keyring: %w", cfg.Keyring, err)
	}
	log.Info("keyring", "backend", store.Name(), "note", note)

	a := New(Options{
		PortalURL:   cfg.PortalURL,
		ClientID:    cfg.ClientID,
		Socket:      cfg.Socket,
		Version:     cfg.Version,
		StateDir:    cfg.StateDir,
		Keyring:     store,
		KeyringNote: note,
		Logger:      log,
		Settings:    cfg.Settings,
		Portal:      portal.New(cfg.PortalURL, cfg.ClientID, portal.WithClientSecret(cfg.ClientSecret), portal.WithScope(cfg.Scope)),
		Notify:      !cfg.NoNotify,
	})
	defer a.Close()
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	a.Load(lctx)
	cancel()

	srv := ipc.NewServer(ipc.NewHandler(a, ipc.HandlerOptions{Logger: log, Portal: cfg.PortalURL}))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ipc.PeerCheckListener(l, os.Getuid(), log)) }()
	log.Info("agent listening", "socket", cfg.Socket, "portal", cfg.PortalURL, "pid", os.Getpid())
	if cfg.Ready != nil {
		cfg.Ready()
	}

	select {
	case <-ctx.Done():
	case <-a.ShutdownRequested():
		log.Info("stop requested by a client")
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving %s: %w", cfg.Socket, err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	log.Info("agent stopped")
	return nil
}
