// Package aiagent is the AI agent: a business's receptionist played by a
// language model, with the business's prompt (pkg/prompt) and tools
// (pkg/tools). It streams its words as the model produces them and stores
// what the tools collect in the session, like the scripted agent does.
package aiagent

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/prompt"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tools"
)

// Agent is the AI agent of one business.
type Agent struct {
	Business      *business.Business
	Model         llm.Streamer
	Tools         *tools.Registry
	Prompt        prompt.Options
	MaxToolRounds int // default: the business's limits.modelRoundsPerTurn
	// Counters, when set, hold the business's hourly text budget
	// (limits.smsPerBusinessPerHour).
	Counters session.Counters
	Log      *slog.Logger
}

var _ agent.Agent = (*Agent)(nil)

// Greet returns the channel's greeting (agent.Greeting); the AI agent
// keeps no state of its own to set up.
func (a *Agent) Greet(s *session.Session) agent.Reply {
	return agent.Reply{Text: agent.Greeting(a.Business, s.Channel)}
}

// Turn asks the model, streams its words to out, runs the tool calls it
// makes (when text is urgent, tools.Urgent, the model is first told what to
// offer, once per conversation) (the loop repeats up to MaxToolRounds requests; the last one offers
// no tools, so it ends in words) and returns what the tools did. s.Turns
// must already end with the caller's utterance: the prompt is built from
// them. A model error returns the Reply so far with the error.
func (a *Agent) Turn(ctx context.Context, s *session.Session, text string, now time.Time, out agent.Output) (agent.Reply, error) {
	b := a.Business
	lim := b.Limits.OrDefault()
	offered := forChannel(a.Tools.For(b), s.Channel)
	popts := a.Prompt
	popts.Tools = offered
	msgs := prompt.Build(b, s, now, popts)
	rounds := a.MaxToolRounds
	if rounds <= 0 {
		rounds = lim.ModelRoundsPerTurn
	}
	g := newGuard(b, s, a.Counters, a.log())
	var r agent.Reply
	if tools.Urgent(b, text) && !s.State.Intake.Emergency {
		// Recognised as the scripted agent does, and told once: the model
		// is handed the channel's words rather than left to guess (a web
		// visitor cannot press #).
		s.State.Intake.Emergency = true
		say, ev := tools.EmergencyOffer(b, s)
		msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: "The caller's last message is urgent. In this reply, tell them: " + say})
		r.Events = append(r.Events, ev)
	}
	for round := 0; ; round++ {
		req := llm.Request{Model: b.LLM.Model, Temperature: b.LLM.Temperature, Messages: msgs, Tools: offered, MaxOutputTokens: lim.MaxOutputTokens}
		if round == rounds-1 {
			req.Tools = nil // last round: words, not more tool calls
		}
		res, err := a.Model.Stream(ctx, req, out.Text)
		s.State.Usage.ModelTokens += res.Usage.Total()
		if err != nil {
			return r, err
		}
		if len(res.ToolCalls) == 0 {
			break
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Content: res.Text, ToolCalls: res.ToolCalls})
		for _, call := range res.ToolCalls {
			if why := g.refuse(ctx, s, call, now); why != "" {
				a.log().InfoContext(ctx, "tool call refused", "tool", call.Name, "reason", why)
				msgs = append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: refusal(why)})
				continue
			}
			o := a.Tools.Execute(ctx, tools.Env{Business: b, Session: s, Now: now}, call)
			g.after(ctx, s, call, o, now)
			if o.Err != nil {
				a.log().ErrorContext(ctx, "tool failed", "tool", call.Name, "err", o.Err)
			}
			msgs = append(msgs, llm.Message{Role: llm.RoleTool, ToolCallID: call.ID, Content: o.Content})
			if o.Event != nil {
				r.Events = append(r.Events, *o.Event)
			}
			r.Done = r.Done || o.End
			if o.Handoff != nil {
				r.Handoff = o.Handoff
			}
		}
		out.CallerChanged(s.Caller)
	}
	return r, nil
}

// refusal is a tool result saying why a call did not run.
func refusal(why string) string {
	b, _ := json.Marshal(map[string]string{"error": why})
	return string(b)
}

func (a *Agent) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
