// Package agent is the slices-agent daemon: it holds the user's login and the
// project tokens, keeps them in the OS keyring, renews them before they
// expire, verifies every token the portal hands out and serves them over the
// ipc socket API.
//
// Data flows one way: portal → agent (verify, store, renew) → ipc → clients.
//
// Renewal is a small state machine per token: schedule.go decides (when to
// renew, what a finished attempt means, what the user is told) as pure
// functions of lifetime.DefaultPolicy, and renew.go does (one loop per token,
// one renewal in flight, the portal calls in fetch.go). The tests run the
// agent against an in-process emulated portal on an in-memory network inside
// testing/synctest, so every wait is on a virtual clock (world_test.go).
package agent

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// Options configures an Agent.
type Options struct {
	PortalURL string
	ClientID  string
	Socket    string // reported in status
	Version   string
	StateDir  string // non-secret state: tracked projects
	// Keyring holds the secrets; KeyringNote says why this backend was chosen.
	Keyring     keyring.Store
	KeyringNote string
	Logger      *slog.Logger
	Now         func() time.Time
	// Portal, when set, is the portal client to use (tests).
	Portal *portal.Client
	// Notify shows desktop notifications (notify-send, osascript) before tokens lapse.
	Notify bool
	// Settings are reported in status: each setting and where it came from.
	Settings []ipc.Setting
}

// Agent holds the tokens and implements ipc.Service.
type Agent struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	wake   time.Duration // longest sleep before the wall clock is read again
	portal *portal.Client
	verify *verifier
	vault  *vault
	events *broker
	notify *notifier

	ctx      context.Context // lives until Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	shutdown chan struct{}
	stopOnce sync.Once
	// unlockTurn holds one token per unlock attempt being looked at: guesses
	// never run in parallel, and a waiting one leaves when its client does.
	unlockTurn chan struct{}

	// Locks, taken in this order and never the other way round:
	//
	//	persistMu → stateMu → mu
	//
	// persistMu is held across "is this result still wanted" and the keyring
	// write that follows, and across logout's and untrack's deletes, so that
	// a renewal overtaken by them never writes its result back. It is held
	// across keyring I/O, so it is a channel (ioLock), not a sync.Mutex.
	persistMu ioLock
	// stateMu serialises writes of the state file.
	stateMu sync.Mutex
	// sinks are the token files written (sink.go): persistMu → sinks.mu → mu.
	sinks sinkFiles
	// mu guards every field below; it is never held across I/O or a wait.
	mu       sync.Mutex
	user     *entry // the user token; the same entry for the agent's life
	sess     session
	projects map[string]*entry // tracked projects by id
	catalog  catalog
	// catalogFlight makes concurrent look-ups of the projects list share
	// one portal request.
	catalogFlight singleflight.Group
	lock          lockState
	login         *loginFlow
	keyringErr    string // last keyring failure, shown in status until a write succeeds
	stateErr      string // last state-file failure, likewise
}

// owner is whose projects are tracked: the login's subject, else the one the
// state file named.
func (s *session) owner() string {
	if s.subject != "" {
		return s.subject
	}
	return s.trackedFor
}

// ioLock is a mutex that may be held across I/O (a keyring that waits for an
// unlock prompt, a slow disk). Waiting for it is a channel receive, which a
// testing/synctest bubble sees as durably blocked, unlike a sync.Mutex.
type ioLock chan struct{}

// Lock takes the lock, waiting as long as it takes.
func (l ioLock) Lock() { l <- struct{}{} }

// Unlock lets the lock go.
func (l ioLock) Unlock() { <-l }

// session is the user's login: what renews the user token (a.user).
type session struct {
	refresh       string
	subject       string
	username      string
	loggedIn      bool
	loginRequired bool      // the portal refused the refresh token
	end           time.Time // when the login ends, if the portal says; zero = unknown
	start         time.Time // when the login was made (auth_time), if the token says
	endAnnounced  bool      // the coming end was announced
	endSeen       endWindow // where the portal's answers place the end
	// trackedFor is whose tracked projects were restored from the state
	// file without a login (a keyring that forgets, such as memory).
	trackedFor string
	// gen changes at every login and logout, so that a renewal that started
	// before one does not write its result after it.
	gen uint64
}

// entry is one token the agent keeps: the user token (id "") or a project's.
type entry struct {
	id, name, role string

	raw        string
	sink       string // the file kept holding the token, if any (sink.go)
	sinkErr    string // why the last write of the sink failed
	verifiedAt time.Time
	endsSent   bool // the project's end was announced
	lastErr    error
	schedule   // when to renew, and the failures so far (schedule.go)

	inflight chan struct{} // closed when the renewal in flight ends
	kick     chan struct{} // wakes the renewal loop to look again
	stop     context.CancelFunc
}

func newEntry(id, name, role string) *entry {
	e := &entry{id: id, name: name, role: role, kick: make(chan struct{}, 1)}
	e.jitter = rand.Float64()
	return e
}

// valid reports whether the entry holds a token with at least d left.
func (e *entry) valid(now time.Time, d time.Duration) bool {
	return e.raw != "" && e.exp.Sub(now) > d
}

// label names the entry in logs and errors.
func (e *entry) label() string {
	if e.id == "" {
		return "user token"
	}
	if e.name != "" {
		return "project " + e.name
	}
	return "project " + e.id
}

// New makes an agent. Call Load, then serve it with ipc.NewHandler.
func New(opts Options) *Agent {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Keyring == nil {
		opts.Keyring = keyring.NewMemory()
	}
	if opts.Portal == nil {
		opts.Portal = portal.New(opts.PortalURL, opts.ClientID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{
		opts:       opts,
		log:        opts.Logger,
		now:        opts.Now,
		wake:       defaultWake,
		portal:     opts.Portal,
		verify:     &verifier{portal: opts.Portal, now: opts.Now},
		vault:      newVault(opts.Keyring, opts.PortalURL, opts.StateDir),
		events:     newBroker(),
		notify:     newNotifier(opts.Notify),
		ctx:        ctx,
		cancel:     cancel,
		shutdown:   make(chan struct{}),
		unlockTurn: make(chan struct{}, 1),
		persistMu:  make(ioLock, 1),
		sinks:      sinkFiles{mu: make(ioLock, 1)},
		projects:   make(map[string]*entry),
	}
	a.user = newEntry("", "", "")
	return a
}

// ShutdownRequested is closed when a client asked the agent to stop.
func (a *Agent) ShutdownRequested() <-chan struct{} { return a.shutdown }

// Close stops every renewal loop and waits for them.
func (a *Agent) Close() {
	a.cancel()
	a.wg.Wait()
}

// Load restores the login and tracked projects from the keyring and the
// state file, so a restarted agent serves without a new login. Tokens read
// back are verified again when the portal's keys can be had; expired ones are
// renewed by the loops.
func (a *Agent) Load(ctx context.Context) {
	a.loadLock()
	s, err := a.vault.loadSession(ctx)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		a.log.Warn("could not read the login from the keyring", "keyring", a.opts.Keyring.Name(), "err", err)
		a.persist(err)
	}
	if err != nil || (s.RefreshToken == "" && s.AccessToken == "") {
		// No login to restore (a keyring that forgets, or a logout): the
		// tracked projects wait for the next login of the same user.
		if ts := a.loadTracked(); len(ts.Tracked) > 0 {
			a.mu.Lock()
			a.sess.trackedFor = ts.Subject
			for _, tp := range ts.Tracked {
				e := newEntry(tp.ID, tp.Name, tp.Role)
				e.sink = tp.Sink
				a.projects[tp.ID] = e
			}
			a.mu.Unlock()
			a.knowSinks(ts.Tracked)
			a.removeSinks() // no login to keep them valid with
			a.log.Info("tracked projects restored; waiting for a login", "projects", len(ts.Tracked))
		}
		return
	}
	a.mu.Lock()
	a.sess.refresh = s.RefreshToken
	a.sess.end = s.SessionEnd
	a.sess.loggedIn = true
	a.mu.Unlock()
	// One budget for reaching the portal's keys: a portal that hangs at
	// start-up costs it once, then stored tokens verified earlier are used.
	vctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if s.AccessToken != "" {
		if d, at, err := a.verifyStored(vctx, s.AccessToken, "", s.VerifiedAt); err == nil {
			a.adoptUser(d, at, false)
		} else {
			a.log.Info("stored user token not usable, will renew", "err", err)
			if d, derr := token.Decode(s.AccessToken); derr == nil {
				a.mu.Lock()
				a.sess.subject = d.Subject // whose login this is, for a login by someone else
				a.mu.Unlock()
			}
		}
	}
	tracked := a.loadTracked().Tracked
	a.knowSinks(tracked) // files of the last run are removed like this run's
	for _, tp := range tracked {
		e := newEntry(tp.ID, tp.Name, tp.Role)
		e.sink = tp.Sink
		if p, err := a.vault.loadProject(ctx, tp.ID); err == nil && p.Token != "" {
			if d, at, err := a.verifyStored(vctx, p.Token, tp.ID, p.VerifiedAt); err == nil {
				a.setToken(e, d, at, false)
			}
		}
		a.mu.Lock()
		a.projects[tp.ID] = e
		a.mu.Unlock()
	}
	a.log.Info("login restored from keyring", "keyring", a.opts.Keyring.Name(), "projects", len(tracked))
	a.writeSinks()
	a.startLoops()
	a.announceSessionEnd(a.now())
}

// loadTracked reads the tracked projects of this portal from the state file.
func (a *Agent) loadTracked() trackedState {
	ts, err := a.vault.loadTracked(a.opts.PortalURL)
	if err != nil {
		a.log.Warn("could not read tracked projects", "err", err)
	}
	return ts
}

// verifyStored checks a token read back from the keyring. When the portal's
// keys cannot be had (portal down at start-up), a token verified before it was
// stored is trusted until it expires; it is never trusted when the keys are
// there and it fails.
func (a *Agent) verifyStored(ctx context.Context, raw, subject string, verifiedAt time.Time) (*token.Decoded, time.Time, error) {
	d, err := a.verify.verify(ctx, raw, subject)
	if err == nil {
		return d, a.now(), nil
	}
	if !errors.Is(err, portal.ErrUnavailable) || verifiedAt.IsZero() {
		return nil, time.Time{}, err
	}
	d, derr := token.Decode(raw)
	if derr != nil || d.Subject == "" || (subject != "" && d.Subject != subject) || !d.ExpiresAt.After(a.now()) {
		return nil, time.Time{}, err
	}
	a.log.Info("portal unreachable at start-up: serving a stored token verified earlier", "sub", d.Subject, "verified_at", verifiedAt)
	return d, verifiedAt, nil
}

// startLoops starts the renewal loops of the user token and every tracked
// project that has none.
func (a *Agent) startLoops() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.startLoopLocked(a.user)
	for _, e := range a.projects {
		a.startLoopLocked(e)
	}
}

func (a *Agent) startLoopLocked(e *entry) {
	if e.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	e.stop = cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.loop(ctx, e)
	}()
}

// adoptUser installs a verified user token; fresh says it was just fetched.
func (a *Agent) adoptUser(d *token.Decoded, now time.Time, fresh bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setTokenLocked(a.user, d, now, fresh)
	if a.sess.subject == "" {
		a.sess.subject = d.Subject
	}
	if name, ok := d.Claims["preferred_username"].(string); ok {
		a.sess.username = name
	}
	if !d.AuthTime.IsZero() {
		a.sess.start = d.AuthTime
	}
	a.sess.loginRequired = false
}

func (a *Agent) setToken(e *entry, d *token.Decoded, now time.Time, fresh bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setTokenLocked(e, d, now, fresh)
}

// setTokenLocked installs a verified token in e. The lifetime that renewal
// works from starts at the agent's clock when the token was fetched (fresh),
// not at the portal's iat: a portal clock behind the agent's must not make
// every token look old and renew in a loop. A token read back from the
// keyring keeps the portal's iat, clamped to now.
func (a *Agent) setTokenLocked(e *entry, d *token.Decoded, now time.Time, fresh bool) {
	e.raw = d.Raw
	e.exp = d.ExpiresAt
	e.iat = d.IssuedAt
	if fresh || e.iat.IsZero() || e.iat.After(now) {
		e.iat = now
	}
	e.verifiedAt = now
	e.jitter = rand.Float64()
	e.expiredSent = false
	if e.id != "" {
		if pc, err := d.Project(); err == nil {
			if pc.Name != "" {
				e.name = pc.Name
			}
			if pc.Act.Role != "" {
				e.role = pc.Act.Role
			}
		}
	}
}

func (a *Agent) setErr(field *string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		*field = ""
	} else {
		*field = err.Error()
	}
}

func (a *Agent) publish(typ, project string, exp time.Time, msg string) {
	a.publishCause(typ, project, exp, msg, "")
}

// publishCause sends an event to the subscribers; while the agent is locked
// it carries no project id and no message, which name projects and people.
func (a *Agent) publishCause(typ, project string, exp time.Time, msg, cause string) {
	a.mu.Lock()
	if a.lock.locked {
		project, msg = "", ""
	}
	a.mu.Unlock()
	ev := ipc.Event{Type: typ, Time: a.now(), Project: project, Message: msg, Cause: cause}
	if !exp.IsZero() {
		ev.ExpiresAt = &exp
	}
	a.events.publish(ev)
	a.sinkEvent(ev)
}

// suffix is what logs may show of a token: its last 6 characters.
func suffix(tok string) string {
	if len(tok) <= 6 {
		return "…"
	}
	return "…" + tok[len(tok)-6:]
}
