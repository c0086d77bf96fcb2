package conversation

import (
	"context"
	"errors"
	"fmt"

	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/session"
)

// EndRestarted ends a web conversation the visitor started over.
const EndRestarted = "restarted"

// restart starts the web conversation over on the same connection (the
// client's restart frame, its "Start over"): the current session ends as
// restarted and lets go of the connection, a new session opens bound to it,
// and the client gets session_ready with the new session id and the fresh
// greeting, as after a setup. Restarts count against the business's
// connectionsPerSourcePerMinute as new connections would: a restart is a
// new conversation, and must not be a way around that limit.
func (t *turn) restart(ctx context.Context) error {
	e, conn := t.e, t.s.ConnectionID
	if t.s.Channel != session.ChannelWeb {
		return t.refuse(ctx, protocol.CodeBadFrame, "restart is only for web chats")
	}
	lim := t.b.Limits.OrDefault()
	name := "restart#" + conn
	n, err := e.counters().Add(ctx, t.b.ID, session.MinuteWindow(e.now()), map[string]int64{name: 1})
	if err != nil {
		e.log().WarnContext(ctx, "usage counters unavailable; restart admitted", "err", err)
	} else if n[name] > int64(lim.ConnectionsPerSourcePerMinute) {
		return t.limited(ctx, CodeRateLimited, "connectionsPerSourcePerMinute", "too many restarts; wait a minute and try again")
	}
	_, err = session.Update(ctx, e.Store, t.s, func(s *session.Session) error {
		if s.ConnectionID != conn {
			return errNothingToDo // a concurrent restart let go of it first
		}
		if s.Status == session.StatusActive {
			consumeInterrupt(s, e.now().UTC(), nil)
			e.end(s, EndRestarted)
		}
		s.ConnectionID = "" // every later frame finds the new session
		return nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil // a duplicate frame: that restart has already started over
	}
	if err != nil {
		t.refuse(ctx, protocol.CodeInternal, "temporary problem; please try again")
		return fmt.Errorf("restart: end %s: %w", t.s.ID, err)
	}
	fresh, err := e.Open(ctx, t.b, conn, session.ChannelWeb)
	if err != nil {
		t.refuse(ctx, protocol.CodeInternal, "could not start over; reconnect to start a new conversation")
		return fmt.Errorf("restart: %w", err)
	}
	e.log().InfoContext(ctx, "web conversation restarted", "endedSessionId", t.s.ID, "sessionId", fresh.ID)
	t.s = fresh
	t.agent, t.usesModel = e.agent(t.b, fresh)
	return t.setup(ctx, &protocol.Inbound{Type: protocol.TypeSetup})
}
