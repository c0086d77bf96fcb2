// Package sessionend ends conversations from outside a turn: a WebSocket
// connection that closed ($disconnect) and a session idle past its timeout
// (the sweeper). Ending a session is what sends its summary (the table's
// stream), so these paths matter as much as a turn, and they are light: the
// ws-disconnect and session-sweeper functions link this package, not the
// agents (pkg/conversation uses it for the same paths).
package sessionend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

// End reasons set here (session.EndReason).
const (
	Disconnected = "disconnected"
	Gone         = "connection_gone"
	Idle         = "idle" // no activity for the session's idle timeout
)

// Poster tells a client (relay.Gateway).
type Poster interface {
	Post(ctx context.Context, connectionID string, frame []byte) error
	Close(ctx context.Context, connectionID string) error
}

// Ender ends sessions.
type Ender struct {
	Store session.Store
	Now   func() time.Time
	Log   *slog.Logger
}

func (e *Ender) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Ender) log() *slog.Logger { return cmp.Or(e.Log, slog.Default()) }

// Mark sets s ended for reason at now.
func Mark(s *session.Session, reason string, now time.Time) {
	s.Status, s.EndReason, s.EndedAt, s.UpdatedAt = session.StatusEnded, reason, now, now
}

var errNothingToDo = errors.New("nothing to do")

// Close ends the session of a connection that went away. A phone leg's
// disconnect ends nothing: Twilio closes the socket to hand the call over
// (transfer, emergency dial), and the call's status callback ends it.
func (e *Ender) Close(ctx context.Context, connectionID, reason string) error {
	ctx = tenant.WithConnection(ctx, connectionID)
	s, err := e.Store.ByConnection(ctx, connectionID)
	if errors.Is(err, session.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("close session: %w", err)
	}
	ctx = tenant.WithBusiness(ctx, s.BusinessID)
	_, err = session.Update(ctx, e.Store, s, func(s *session.Session) error {
		if s.Status == session.StatusEnded || s.ConnectionID != connectionID {
			return errNothingToDo // already ended, or a later leg owns the session
		}
		if s.Channel == session.ChannelPhone && reason == Disconnected {
			return errNothingToDo
		}
		if m := s.TakeInterrupt(); m != nil {
			s.Interrupted(m.Heard)
		}
		Mark(s, reason, e.now())
		return nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("close session: %w", err)
	}
	e.log().InfoContext(ctx, "session ended", "reason", reason)
	return nil
}

// EndIdle ends a session that has been idle for its idle timeout at now,
// as a disconnect would (the stream then sends its summary); a web client
// still connected is told and its connection closed. It reports whether it
// ended the session: not when the session ended meanwhile or showed
// activity since the sweep listed it. p may be nil (nothing to tell).
func (e *Ender) EndIdle(ctx context.Context, p Poster, biz tenant.ID, id string, now time.Time) (bool, error) {
	ctx = tenant.WithBusiness(ctx, biz)
	s, err := e.Store.Get(ctx, biz, id)
	if errors.Is(err, session.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("end idle session %s/%s: %w", biz, id, err)
	}
	saved, err := session.Update(ctx, e.Store, s, func(s *session.Session) error {
		if s.Status != session.StatusActive || s.IdleAt().After(now) {
			return errNothingToDo
		}
		Mark(s, Idle, e.now())
		return nil
	})
	if errors.Is(err, errNothingToDo) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("end idle session %s/%s: %w", biz, id, err)
	}
	e.log().InfoContext(ctx, "idle session ended", "sessionId", id, "channel", saved.Channel, "idleTimeout", saved.IdleAfter().String())
	if p != nil && saved.Channel == session.ChannelWeb && saved.ConnectionID != "" {
		// Best effort: the visitor may be long gone.
		end := protocol.End{Type: protocol.TypeEnd, HandoffData: agent.Handoff{Reason: Idle}.JSON()}
		if err := p.Post(ctx, saved.ConnectionID, protocol.Encode(end)); err == nil {
			_ = p.Close(ctx, saved.ConnectionID)
		}
	}
	return true, nil
}

// Closer ends a connection's session (Ender, conversation.Engine).
type Closer interface {
	Close(ctx context.Context, connectionID, reason string) error
}

// Disconnect is the $disconnect route: the connection's session ends. A
// failure answers 500 (API Gateway does not retry; the sweeper ends the
// session later).
func Disconnect(ctx context.Context, c Closer, log *slog.Logger, req events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	if err := c.Close(ctx, req.RequestContext.ConnectionID, Disconnected); err != nil {
		log.ErrorContext(tenant.WithConnection(ctx, req.RequestContext.ConnectionID), "disconnect failed", "err", err)
		return events.APIGatewayProxyResponse{StatusCode: http.StatusInternalServerError}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
}
