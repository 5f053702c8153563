package tui

import "time"

// How long a message stays in the footer.
const (
	flashFor      = 5 * time.Second
	flashErrorFor = 8 * time.Second
)

// flash is the footer's message: what the last action did. It belongs to
// the project it is about, showing only while that project is selected, and
// goes after a few seconds; a message of work in progress ("renewing…")
// stays until the work ends and replaces it.
type flash struct {
	text    string
	err     bool
	project string    // the project id it is about; "" for none in particular
	until   time.Time // zero while work is in progress
}

// say sets the footer's message about r (nil: about nothing in particular).
func (m *Model) say(r *row, text string, isErr bool) {
	d := flashFor
	if isErr {
		d = flashErrorFor
	}
	m.flash = flash{text: text, err: isErr, until: m.c.now.Add(d)}
	if r != nil && !r.user {
		m.flash.project = r.p.ID
	}
}

// busy sets a message of work in progress about r, which stays until the
// work's result replaces it.
func (m *Model) busy(r *row, text string) {
	m.say(r, text, false)
	m.flash.until = time.Time{}
}

// message is the footer's message as it stands now, and whether it is an error.
func (m Model) message() (string, bool) {
	f := m.flash
	switch {
	case f.text == "":
		return "", false
	case !f.until.IsZero() && !m.c.now.Before(f.until):
		return "", false
	case f.project != "":
		if r := m.selected(); r == nil || r.p.ID != f.project {
			return "", false
		}
	}
	return f.text, f.err
}
