// Package conversation runs conversations: it opens a session for a
// business, takes each inbound frame through one turn (one store read, the
// agent, one conditional store write) and sends the reply to the caller in
// phrases. It knows nothing of Lambda or HTTP; pkg/wsapi adapts API Gateway
// events to it, and the local stack calls the same code.
package conversation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ahca/ahca/pkg/admission"
	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/aiagent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/intake"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/prompt"
	"github.com/ahca/ahca/pkg/protocol"
	"github.com/ahca/ahca/pkg/relay"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/sessionend"
	"github.com/ahca/ahca/pkg/tenant"
	"github.com/ahca/ahca/pkg/tools"
)

// Agent produces the replies of one business's receptionist: the scripted
// agent, the AI agent, or the AI agent falling back to the scripted one.
type Agent = agent.Agent

// Configs resolves a business id to its configuration.
type Configs interface {
	Business(ctx context.Context, id tenant.ID) (*business.Business, error)
}

// Poster delivers frames to a connection (relay.Gateway in AWS and
// locally). It is sessionend's, so that the handlers of pkg/wsapi can
// declare the engine's Handle without importing this package.
type Poster = sessionend.Poster

// Defaults of a turn.
const (
	DefaultTurnTimeout   = 20 * time.Second // well under API Gateway's 29 s integration timeout
	DefaultInterruptPoll = 300 * time.Millisecond
)

// DefaultSessionTTL bounds an abandoned session.
const DefaultSessionTTL = admission.DefaultSessionTTL

// End reasons.
const (
	EndCompleted    = "completed"
	EndDisconnected = sessionend.Disconnected
	EndGone         = sessionend.Gone
	EndIdle         = sessionend.Idle // the sweeper: no activity for the session's idle timeout
)

// Engine runs turns. Construct it with its dependencies; it holds no
// per-conversation state, so one Engine serves every business.
type Engine struct {
	Configs  Configs
	Store    session.Store
	NewAgent func(*business.Business) Agent // the scripted agent; default intake.New
	Now      func() time.Time
	NewID    func() string
	TTL      time.Duration
	Log      *slog.Logger

	// LLM, when set, answers prompts; the scripted agent is then the
	// fallback when the model fails. Nil runs the scripted agent alone.
	LLM           llm.Streamer
	Tools         *tools.Registry // default tools.Default()
	PromptOptions prompt.Options
	TurnTimeout   time.Duration // default DefaultTurnTimeout
	MaxToolRounds int           // default: the business's limits.modelRoundsPerTurn
	InterruptPoll time.Duration // default DefaultInterruptPoll
	// Counters keep the businesses' daily and hourly budgets (DynamoDB in
	// AWS); nil keeps them in this process.
	Counters session.Counters
	// IdleTimeout, when set, is every new session's idle timeout (`ahca dev
	// --idle-timeout`); else the business's session.idleTimeout, else the
	// channel's default (session.DefaultWebIdleTimeout, ...).
	IdleTimeout time.Duration

	toolsOnce    sync.Once
	countersOnce sync.Once
	spent        budget
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger { return cmp.Or(e.Log, slog.Default()) }

func (e *Engine) newID() string {
	if e.NewID != nil {
		return e.NewID()
	}
	return admission.NewID()
}

// agent is the business's agent for session s: the scripted agent
// (NewAgent), or with a model the AI agent, which the scripted agent backs
// up when the model fails. A conversation opened after the business spent
// its daily model budget gets the scripted agent; usesModel says which.
func (e *Engine) agent(b *business.Business, s *session.Session) (a Agent, usesModel bool) {
	var scripted Agent
	if e.NewAgent != nil {
		scripted = e.NewAgent(b)
	} else {
		scripted = intake.New(b)
	}
	if e.LLM == nil || s.State.Usage.Scripted != "" || e.spent.isSpent(string(b.ID)+"|"+session.DayWindow(e.now())) {
		return scripted, false
	}
	ai := &aiagent.Agent{Business: b, Model: e.LLM, Tools: e.tools(), Prompt: e.PromptOptions, MaxToolRounds: e.MaxToolRounds, Counters: e.counters(), Log: e.log()}
	return agent.Fallback{Primary: ai, Backup: scripted, Log: e.log()}, true
}

// tools returns the engine's registry, building the default one once.
func (e *Engine) tools() *tools.Registry {
	e.toolsOnce.Do(func() {
		if e.Tools == nil {
			e.Tools = tools.Default()
		}
	})
	return e.Tools
}

func (e *Engine) turnTimeout() time.Duration {
	if e.TurnTimeout > 0 {
		return e.TurnTimeout
	}
	return DefaultTurnTimeout
}

// Open starts a session for a connection that has been admitted to
// business b; see admission.Opener.Open.
func (e *Engine) Open(ctx context.Context, b *business.Business, connectionID string, ch session.Channel) (*session.Session, error) {
	return e.opener().Open(ctx, b, connectionID, ch)
}

// opener admits and opens conversations on the engine's store, counters
// and clock.
func (e *Engine) opener() *admission.Opener {
	return &admission.Opener{Store: e.Store, Counters: e.counters(), Now: e.now, NewID: e.newID, TTL: e.TTL, IdleTimeout: e.IdleTimeout, Log: e.log()}
}

// Handle processes one inbound frame from a connection. Frames it refuses
// are answered with an error frame and the connection stays usable.
func (e *Engine) Handle(ctx context.Context, p Poster, connectionID string, data []byte) error {
	ctx = tenant.WithConnection(ctx, connectionID)
	f, perr := protocol.Parse(data)
	if perr != nil {
		e.log().InfoContext(ctx, "refused frame", "code", perr.Code, "reason", clipLog(perr.Message))
		return e.postError(ctx, p, connectionID, perr)
	}
	s, err := e.Store.ByConnection(ctx, connectionID)
	if errors.Is(err, session.ErrNotFound) {
		return e.postError(ctx, p, connectionID, &protocol.Error{Code: protocol.CodeNoSession, Message: "this connection has no session; reconnect"})
	}
	if err != nil {
		e.postError(ctx, p, connectionID, &protocol.Error{Code: protocol.CodeInternal, Message: "temporary problem; please try again"})
		return fmt.Errorf("handle frame: %w", err)
	}
	ctx = tenant.WithBusiness(ctx, s.BusinessID)
	if s.CallSID != "" {
		ctx = tenant.WithCallSID(ctx, s.CallSID)
	}
	b, err := e.Configs.Business(ctx, s.BusinessID)
	if err != nil {
		e.postError(ctx, p, connectionID, &protocol.Error{Code: protocol.CodeInternal, Message: "this business is not available right now"})
		return &TurnError{Business: s.BusinessID, Err: fmt.Errorf("handle frame: %w", err)}
	}
	t := &turn{e: e, p: p, b: b, s: s}
	t.agent, t.usesModel = e.agent(b, s)
	var herr error
	switch f.Type {
	case protocol.TypeSetup:
		herr = t.setup(ctx, f)
	case protocol.TypePrompt:
		herr = t.prompt(ctx, f.VoicePrompt)
	case protocol.TypeDTMF:
		herr = t.dtmf(ctx, f.Digit)
	case protocol.TypeInterrupt:
		herr = t.interrupt(ctx, f.UtteranceUntilInterrupt)
	case protocol.TypeRestart:
		herr = t.restart(ctx)
	case protocol.TypeError:
		e.log().WarnContext(ctx, "client reported an error", "description", clipLog(f.Description))
	case protocol.TypeInfo:
		e.log().DebugContext(ctx, "client info", "name", clipLog(f.Name))
	}
	if herr != nil {
		return &TurnError{Business: s.BusinessID, Err: herr}
	}
	return nil
}

// Close ends the session of a connection that went away ($disconnect); see
// sessionend.Ender.Close.
func (e *Engine) Close(ctx context.Context, connectionID, reason string) error {
	return e.ender().Close(ctx, connectionID, reason)
}

// ender ends sessions from outside a turn, on the engine's store and clock.
func (e *Engine) ender() *sessionend.Ender {
	return &sessionend.Ender{Store: e.Store, Now: e.now, Log: e.log()}
}

var errNothingToDo = errors.New("nothing to do")

// EndIdle ends a session idle past its timeout at now (the sweeper); see
// sessionend.Ender.EndIdle.
func (e *Engine) EndIdle(ctx context.Context, p Poster, biz tenant.ID, id string, now time.Time) (bool, error) {
	return e.ender().EndIdle(ctx, p, biz, id, now)
}

// maxLogEcho bounds what of a client's input a log record repeats.
const maxLogEcho = 200

// clipLog clips client-supplied text for a log record.
func clipLog(s string) string {
	if len(s) <= maxLogEcho {
		return s
	}
	cut := maxLogEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[%d bytes]", len(s))
}

func (e *Engine) end(s *session.Session, reason string) { sessionend.Mark(s, reason, e.now().UTC()) }

func (e *Engine) postError(ctx context.Context, p Poster, connectionID string, pe *protocol.Error) error {
	err := p.Post(ctx, connectionID, protocol.Encode(protocol.ErrorFrame{Type: protocol.TypeError, Code: pe.Code, Message: pe.Message}))
	if errors.Is(err, relay.ErrGone) {
		return e.Close(ctx, connectionID, EndGone)
	}
	return err
}
