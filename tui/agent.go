package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// Agent is the part of the agent's socket API the TUI uses; *ipc.Client implements it.
type Agent interface {
	Status(ctx context.Context) (ipc.Status, error)
	Projects(ctx context.Context) ([]ipc.Project, error)
	UserToken(ctx context.Context, minValid time.Duration) (ipc.Token, error)
	ProjectToken(ctx context.Context, ref string, minValid time.Duration) (ipc.Token, error)
	Track(ctx context.Context, ref string) (ipc.Project, error)
	Untrack(ctx context.Context, ref string) error
	Refresh(ctx context.Context, ref string) error
	StartLogin(ctx context.Context) (ipc.LoginStart, error)
	LoginStatus(ctx context.Context) (ipc.LoginState, error)
	Events(ctx context.Context) (<-chan ipc.Event, error)
}

var _ Agent = (*ipc.Client)(nil)

// callTimeout bounds one call to the agent made by a command.
const callTimeout = 10 * time.Second

// maxPrefetch bounds how many tracked tokens a load fetches for display.
const maxPrefetch = 64

// loadedMsg is the result of a full load: status, project list, tokens.
type loadedMsg struct {
	status   ipc.Status
	projects []ipc.Project
	// projErr is set when the project list failed (login required, portal down)
	// while the agent itself answered.
	projErr error
	user    *ipc.Token
	tokens  map[string]ipc.Token
	err     error // the agent did not answer
}

// statusMsg is a fresh status after an event.
type statusMsg struct {
	status ipc.Status
	err    error
}

// tokenMsg carries one token; id is "" for the user token.
type tokenMsg struct {
	id  string
	tok ipc.Token
	err error
}

// subscribedMsg carries the event channel once subscribed.
type subscribedMsg struct {
	ch  <-chan ipc.Event
	err error
}

// eventMsg is one agent event.
type eventMsg struct {
	ev ipc.Event
	ch <-chan ipc.Event
}

// eventsClosedMsg says the event stream ended: the agent went away.
type eventsClosedMsg struct{}

// retryMsg asks for another connection attempt.
type retryMsg struct{}

// tickMsg is the once-a-second countdown tick.
type tickMsg time.Time

// actionMsg reports the end of a track, untrack or refresh.
type actionMsg struct {
	verb, id, name string
	err            error
}

// loadCmd loads everything the list shows. It never fails as a command: the
// error travels in the message.
func loadCmd(a Agent) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		st, err := a.Status(ctx)
		if err != nil {
			return loadedMsg{err: err}
		}
		msg := loadedMsg{status: st, tokens: map[string]ipc.Token{}}
		if st.User.LoggedIn && !st.Locked {
			if t, err := a.UserToken(ctx, 0); err == nil {
				msg.user = &t
			}
		}
		msg.projects, msg.projErr = a.Projects(ctx)
		if msg.projErr != nil {
			// Show at least what the agent tracks.
			for _, p := range st.Projects {
				msg.projects = append(msg.projects, ipc.Project{ID: p.ID, Name: p.Name, Role: p.Role,
					Tracked: true, TokenExpiresAt: p.ExpiresAt, State: p.State})
			}
		}
		if st.Locked {
			return msg
		}
		n := 0
		for _, p := range msg.projects {
			if !p.Tracked || p.TokenExpiresAt == nil || n >= maxPrefetch {
				continue
			}
			n++
			if t, err := a.ProjectToken(ctx, p.ID, 0); err == nil {
				msg.tokens[p.ID] = t
			}
		}
		return msg
	}
}

// statusCmd fetches the status.
func statusCmd(a Agent) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		st, err := a.Status(ctx)
		return statusMsg{status: st, err: err}
	}
}

// tokenCmd fetches a project token, or the user token when id is "".
func tokenCmd(a Agent, id string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		var t ipc.Token
		var err error
		if id == "" {
			t, err = a.UserToken(ctx, 0)
		} else {
			t, err = a.ProjectToken(ctx, id, 0)
		}
		return tokenMsg{id: id, tok: t, err: err}
	}
}

// subscribeCmd opens the event stream. Its context lives as long as the stream.
func subscribeCmd(ctx context.Context, a Agent) tea.Cmd {
	return func() tea.Msg {
		ch, err := a.Events(ctx)
		return subscribedMsg{ch: ch, err: err}
	}
}

// waitEvent waits for the next event on ch.
func waitEvent(ch <-chan ipc.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		return eventMsg{ev: ev, ch: ch}
	}
}

// actionCmd runs track, untrack or refresh on a project ("" = the user token for refresh).
func actionCmd(a Agent, verb, id, name string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		var err error
		switch verb {
		case "track":
			_, err = a.Track(ctx, id)
		case "untrack":
			err = a.Untrack(ctx, id)
		case "refresh":
			err = a.Refresh(ctx, id)
		}
		return actionMsg{verb: verb, id: id, name: name, err: err}
	}
}

// retryCmd asks for a reconnection after d.
func retryCmd(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return retryMsg{} })
}

// tickCmd schedules the next countdown tick on the next whole second.
func tickCmd(now time.Time) tea.Cmd {
	d := time.Second - time.Duration(now.Nanosecond())
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
}
