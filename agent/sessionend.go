package agent

import (
	"fmt"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// endWindow is what the portal's answers tell of when the login ends.
//
// refresh_expires_in is whole seconds, counted when the portal answered, so
// an answer asked for at sent and received at recv saying "ends at end" (recv
// plus those seconds) places the real end in [end-(recv-sent), end+1s). A
// hard end (the login's maximum age) stays put: the windows of successive
// answers overlap, and their overlap narrows. An end that slides along with
// every refresh (an idle timeout, as Keycloak's SSO idle) moves past the
// previous window each time, since renewals are at least a second apart.
// Only an end that stayed put is worth a warning.
type endWindow struct{ lo, hi time.Time }

// observe takes an answer's end and how long the answer took (its
// uncertainty), and reports whether the end stayed where earlier answers put
// it. The first answer after a login has nothing to compare with.
func (w *endWindow) observe(end time.Time, took time.Duration) (put bool) {
	lo, hi := end.Add(-max(took, 0)), end.Add(time.Second)
	if !w.lo.IsZero() && lo.Before(w.hi) && w.lo.Before(hi) {
		if lo.After(w.lo) {
			w.lo = lo
		}
		if hi.Before(w.hi) {
			w.hi = hi
		}
		return true
	}
	w.lo, w.hi = lo, hi
	return false
}

// sessionEndDue reports whether a login that started at start (zero when
// unknown) and ends at end should be announced at now: within a day, or
// within a third of its length for short ones.
func sessionEndDue(start, end, now time.Time) bool {
	warnBefore := 24 * time.Hour
	if !start.IsZero() && end.After(start) {
		warnBefore = min(warnBefore, end.Sub(start)/3)
	}
	return end.After(now) && end.Sub(now) <= warnBefore
}

// announceSessionEnd warns, once per login, when the login itself ends soon
// (see sessionEndDue).
func (a *Agent) announceSessionEnd(now time.Time) {
	a.mu.Lock()
	end := a.sess.end
	due := !a.sess.endAnnounced && sessionEndDue(a.sess.start, end, now)
	if due {
		a.sess.endAnnounced = true
	}
	a.mu.Unlock()
	if !due {
		return
	}
	msg := fmt.Sprintf("your Slices login ends %s (%s): run 'slices-agent login' before then to keep tokens coming",
		lifetime.Relative(end, now), end.Local().Format("2006-01-02 15:04"))
	a.publishCause(ipc.EventExpiring, "", end, msg, CauseSessionEnds)
	a.notify.once(CauseSessionEnds, "Slices login ending", msg)
}
