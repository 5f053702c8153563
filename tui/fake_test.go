package tui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const issuer = "https://account.ilabt.imec.be"

// makeJWT builds a JWT-shaped string with a fake signature: Decode does not verify.
func makeJWT(header, claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + ".c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmUxMjM0"
}

// projectToken is a project token issued at iat for an hour.
func projectToken(id, name, role string, iat time.Time, projExp *time.Time) ipc.Token {
	var pe any
	if projExp != nil {
		pe = projExp.UTC().Format(time.RFC3339)
	}
	exp := iat.Add(time.Hour)
	raw := makeJWT(map[string]any{"alg": "ES256", "typ": "JWT+slices.eu/proj", "kid": "ec1"},
		map[string]any{"iss": issuer, "iat": iat.Unix(), "exp": exp.Unix(), "sub": id, "name": name,
			"proj_exp": pe, "act": map[string]any{"sub": "user_account.ilabt.imec.be_0123456789abcdefghijklmnop", "role": role}})
	return ipc.Token{Token: raw, ExpiresAt: exp, VerifiedAt: iat.Add(time.Second), Project: id}
}

// userToken is a user token issued at iat for an hour.
func userToken(iat time.Time) ipc.Token {
	exp := iat.Add(time.Hour)
	raw := makeJWT(map[string]any{"alg": "ES256", "typ": "JWT", "kid": "ec1"},
		map[string]any{"iss": issuer, "iat": iat.Unix(), "exp": exp.Unix(), "sub": "user_account.ilabt.imec.be_0123456789abcdefghijklmnop",
			"preferred_username": "demo-researcher"})
	return ipc.Token{Token: raw, ExpiresAt: exp}
}

func projID(i int) string { return fmt.Sprintf("proj_account.ilabt.imec.be_%026d", i) }

// fakeAgent is an in-memory Agent with a call log.
type fakeAgent struct {
	mu       sync.Mutex
	calls    []string
	down     bool
	status   ipc.Status
	projects []ipc.Project
	tokens   map[string]ipc.Token
	user     ipc.Token
	login    ipc.LoginStart
	events   chan ipc.Event
}

// newFakeAgent has n projects, the first one tracked with a token issued
// 18 minutes before t0 (42 minutes left).
func newFakeAgent(n int) *fakeAgent {
	names := []string{"gpu-cluster", "ilabt-dev", "legacy-archive", "summer-school", "testbed-ops", "wall2-experiments"}
	roles := []string{"admin", "lead", "viewer", "member", "viewer", "member"}
	f := &fakeAgent{tokens: map[string]ipc.Token{}, events: make(chan ipc.Event, 16), user: userToken(t0.Add(-10 * time.Minute))}
	projExp := time.Date(2030, 12, 15, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name, role := fmt.Sprintf("project-%04d", i), roles[i%len(roles)]
		if i < len(names) {
			name = names[i]
		}
		f.projects = append(f.projects, ipc.Project{ID: projID(i), Name: name, Role: role, Description: "Project " + name,
			ExpiresAt: &projExp, State: ipc.StateUntracked})
	}
	f.status = ipc.Status{Version: "v1.2.3", PID: 42, Keyring: "memory",
		User: ipc.UserStatus{LoggedIn: true, Name: "demo-researcher", State: ipc.StateValid}}
	if n > 1 {
		f.track(1, t0.Add(-18*time.Minute), &projExp)
	}
	f.login = ipc.LoginStart{VerificationURI: "http://127.0.0.1:4000/oauth/authorize_device",
		VerificationURIComplete: "http://127.0.0.1:4000/oauth/authorize_device?user_code=ABCD-EFGH",
		UserCode:                "ABCD-EFGH", ExpiresAt: t0.Add(10 * time.Minute)}
	return f
}

// track marks project i tracked with a token issued at iat.
func (f *fakeAgent) track(i int, iat time.Time, projExp *time.Time) {
	p := &f.projects[i]
	t := projectToken(p.ID, p.Name, p.Role, iat, projExp)
	f.tokens[p.ID] = t
	p.Tracked, p.State, p.TokenExpiresAt = true, ipc.StateValid, &t.ExpiresAt
	f.status.Projects = append(f.status.Projects, ipc.ProjectStatus{ID: p.ID, Name: p.Name, Role: p.Role,
		ExpiresAt: &t.ExpiresAt, State: ipc.StateValid})
}

func (f *fakeAgent) enter(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	if f.down {
		return &ipc.NoAgentError{Path: "/tmp/none.sock", Err: ipc.ErrNoAgent}
	}
	return nil
}

func (f *fakeAgent) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeAgent) Status(context.Context) (ipc.Status, error) { return f.status, f.enter("Status") }
func (f *fakeAgent) Projects(context.Context) ([]ipc.Project, error) {
	return f.projects, f.enter("Projects")
}
func (f *fakeAgent) UserToken(context.Context, time.Duration) (ipc.Token, error) {
	return f.user, f.enter("UserToken")
}
func (f *fakeAgent) ProjectToken(_ context.Context, ref string, _ time.Duration) (ipc.Token, error) {
	if err := f.enter("ProjectToken " + ref); err != nil {
		return ipc.Token{}, err
	}
	t, ok := f.tokens[ref]
	if !ok {
		return t, ipc.UnknownProject(ref)
	}
	return t, nil
}
func (f *fakeAgent) Track(_ context.Context, ref string) (ipc.Project, error) {
	return ipc.Project{}, f.enter("Track " + ref)
}
func (f *fakeAgent) Untrack(_ context.Context, ref string) error { return f.enter("Untrack " + ref) }
func (f *fakeAgent) Refresh(_ context.Context, ref string) error { return f.enter("Refresh " + ref) }
func (f *fakeAgent) StartLogin(context.Context) (ipc.LoginStart, error) {
	return f.login, f.enter("StartLogin")
}
func (f *fakeAgent) LoginStatus(context.Context) (ipc.LoginState, error) {
	return ipc.LoginState{State: ipc.LoginPending, LoginStart: f.login}, f.enter("LoginStatus")
}
func (f *fakeAgent) Events(context.Context) (<-chan ipc.Event, error) {
	return f.events, f.enter("Events")
}

// fakeClipboard records what was copied. With readable set it stands for a
// native clipboard: it holds the last text, which ClearIf compares and clears.
type fakeClipboard struct {
	mu       sync.Mutex
	copied   []string
	readable bool
	holds    string
	clears   int
}

func (c *fakeClipboard) Copy(text string) (Copied, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copied = append(c.copied, text)
	if !c.readable {
		return Copied{Via: "OSC 52"}, nil
	}
	c.holds = text
	return Copied{Via: "OSC 52 + fake", Readable: true}, nil
}

func (c *fakeClipboard) ClearIf(text string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readable {
		return false, ErrUnreadable
	}
	if c.holds != text {
		return false, nil
	}
	c.holds = ""
	c.clears++
	return true, nil
}

// set stands for the user copying something else.
func (c *fakeClipboard) set(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holds = text
}

// run executes cmd and everything it batches, synchronously, feeding the
// messages back into m, except ticks, retries, polls and event waits (which
// block or repeat forever). It stops after limit messages.
func run(m Model, cmd tea.Cmd) Model {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 200; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := execBounded(c)
		switch msg := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, msg...)
			continue
		case tickMsg, retryMsg, loginStateMsg, timeoutMsg:
			continue
		}
		if seq := sequenceOf(msg); seq != nil {
			queue = append(seq, queue...) // in order, before the rest
			continue
		}
		next, c2 := m.Update(msg)
		m = next.(Model)
		queue = append(queue, c2)
	}
	return m
}

// timeoutMsg stands for a command that did not return in time (a wait).
type timeoutMsg struct{}

// execBounded runs c, giving up after 100ms (tea.Tick and event waits block).
func execBounded(c tea.Cmd) tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() { ch <- c() }()
	select {
	case msg := <-ch:
		return msg
	case <-time.After(100 * time.Millisecond):
		return timeoutMsg{}
	}
}

// sequenceOf returns the commands of a tea.Sequence message (its type is not
// exported), or nil for any other message.
func sequenceOf(msg tea.Msg) []tea.Cmd {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice || v.Type().Elem() != reflect.TypeOf(tea.Cmd(nil)) {
		return nil
	}
	out := make([]tea.Cmd, v.Len())
	for i := range out {
		out[i] = v.Index(i).Interface().(tea.Cmd)
	}
	return out
}
