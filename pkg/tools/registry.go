// Package tools is the language model's tool registry: the functions the
// model may call during a conversation, which of them each business gets,
// and their execution against the conversation's own session.
//
// Tools are enabled by a business's features (Def.Enabled asks
// business.Features and business.Intake), never by its id. A tool runs with
// an Env that holds the session's own business and the session itself; tool
// arguments come from the model and never choose the business: every
// built-in schema sets additionalProperties to false, so an argument such as
// "businessId" is refused with an error the model can read, and no Run
// reads a business or a session from anywhere but its Env.
//
// Default returns the built-in tools (update_user_info,
// validate_phone_number, get_collection_status, get_company_info,
// end_conversation); later tools (search_knowledge_base,
// schedule_appointment, route_call, collect_voicemail) are added with
// Register.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
)

// Env is what a tool runs against: the business the session was opened for
// and the session itself. Business must be the session's own business
// (Execute refuses a mismatch). Now is the time of the turn.
type Env struct {
	Business *business.Business
	Session  *session.Session
	Now      time.Time
}

// Outcome is the result of one tool call.
type Outcome struct {
	// Content is the tool result returned to the model: JSON text, an
	// object. Failures are {"error": "..."}, saying what was wrong and what
	// is expected.
	Content string
	// CallerUpdated reports that Session.Caller changed (the web client gets
	// user_info_updated).
	CallerUpdated bool
	// End asks the engine to end the conversation after the model's final
	// words.
	End bool
	// Handoff, when set, hands the phone call on after the model's final
	// words (the `end` frame's handoffData).
	Handoff *agent.Handoff
	// Event, when set, is worth a tool turn in the transcript, e.g.
	// {phone_validated, "(503) 555-0142"}.
	Event *agent.Event
	// Err is set when the tool failed for a reason of ours (a Run error
	// that is not a ModelError, or a panic), for the engine to log once.
	// Content already tells the model, which should carry on without it.
	Err error
}

// Def defines one tool.
type Def struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments object. Execute checks
	// arguments against it before Run (see the package's schema subset in
	// schema.go); Run may rely on that.
	Parameters json.RawMessage
	// Enabled reports whether a business gets the tool; nil means every
	// business does. It must look at features and settings, never at the
	// business id.
	Enabled func(b *business.Business) bool
	// Run executes a call whose arguments passed the schema. It may change
	// env.Session and nothing else. A ModelError (see Invalidf) becomes
	// {"error": message} for the model; any other error becomes a generic
	// error for the model and Outcome.Err.
	Run func(ctx context.Context, env Env, args json.RawMessage) (Outcome, error)
}

// withArgs adapts a run taking its arguments as A (a struct with the
// schema's properties as JSON fields) to Def.Run, decoding them once here.
func withArgs[A any](run func(ctx context.Context, env Env, a A) (Outcome, error)) func(context.Context, Env, json.RawMessage) (Outcome, error) {
	return func(ctx context.Context, env Env, raw json.RawMessage) (Outcome, error) {
		var a A
		if err := json.Unmarshal(raw, &a); err != nil {
			return Outcome{}, err
		}
		return run(ctx, env, a)
	}
}

// Registry holds tool definitions in registration order. It is safe for
// concurrent use.
type Registry struct {
	mu   sync.RWMutex
	defs []entry
}

type entry struct {
	def    Def
	schema *schema
}

// NewRegistry returns a registry holding defs, in order.
func NewRegistry(defs ...Def) *Registry {
	r := &Registry{}
	for _, d := range defs {
		r.Register(d)
	}
	return r
}

// Default returns a new registry with the built-in tools.
func Default() *Registry {
	return NewRegistry(
		UpdateUserInfo(),
		ValidatePhoneNumber(),
		GetCollectionStatus(),
		GetCompanyInfo(),
		EndConversation(),
	)
}

// Register adds a tool after the ones already registered. Like
// http.ServeMux.Handle it panics on a programming error: an empty or
// duplicate name, a nil Run, or Parameters that are not a schema this
// package can check.
func (r *Registry) Register(d Def) {
	if d.Name == "" || d.Run == nil {
		panic(fmt.Sprintf("tools: register %q: a tool needs a name and a Run", d.Name))
	}
	sc, err := parseSchema(d.Parameters)
	if err != nil {
		panic(fmt.Sprintf("tools: register %q: parameters: %v", d.Name, err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.ContainsFunc(r.defs, func(e entry) bool { return e.def.Name == d.Name }) {
		panic(fmt.Sprintf("tools: register %q: already registered", d.Name))
	}
	r.defs = append(r.defs, entry{def: d, schema: sc})
}

// For returns the tool definitions offered to b's model, in registration
// order. Send them with every completion request of the conversation; the
// Parameters bytes are shared and must not be modified.
func (r *Registry) For(b *business.Business) []llm.Tool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []llm.Tool
	for _, e := range r.defs {
		if enabled(e.def, b) {
			out = append(out, llm.Tool{Name: e.def.Name, Description: e.def.Description, Parameters: e.def.Parameters})
		}
	}
	return out
}

func enabled(d Def, b *business.Business) bool {
	return b != nil && (d.Enabled == nil || d.Enabled(b))
}

// maxArgs bounds the arguments of one call; none of ours needs a tenth of it.
const maxArgs = 16 << 10

// Execute runs one tool call for env's session. It never panics and never
// returns an empty Content: an unknown tool, a tool not enabled for the
// business, and malformed or invalid arguments give {"error": "..."} saying
// what was wrong and what is expected, so the model can correct itself.
func (r *Registry) Execute(ctx context.Context, env Env, call llm.ToolCall) (out Outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = Outcome{
				Content: errorContent(fmt.Sprintf("%s failed; carry on without it and do not retry it now", call.Name)),
				Err:     fmt.Errorf("tool %s: panic: %v", call.Name, p),
			}
		}
	}()
	if env.Business == nil || env.Session == nil {
		return Outcome{Content: errorContent("tools are unavailable in this conversation"), Err: fmt.Errorf("tool %s: no business or session in env", call.Name)}
	}
	if env.Session.BusinessID != env.Business.ID {
		// Never run a tool of one business on another's session.
		return Outcome{Content: errorContent("tools are unavailable in this conversation"),
			Err: fmt.Errorf("tool %s: session %s belongs to business %s, env has %s", call.Name, env.Session.ID, env.Session.BusinessID, env.Business.ID)}
	}
	r.mu.RLock()
	var e *entry
	var names []string
	for i := range r.defs {
		d := r.defs[i].def
		if !enabled(d, env.Business) {
			if d.Name == call.Name {
				e = &r.defs[i]
			}
			continue
		}
		names = append(names, d.Name)
		if d.Name == call.Name {
			e = &r.defs[i]
		}
	}
	r.mu.RUnlock()
	available := "available tools: " + strings.Join(names, ", ")
	switch {
	case e == nil:
		return Outcome{Content: errorContent(fmt.Sprintf("there is no tool named %q; %s", call.Name, available))}
	case !enabled(e.def, env.Business):
		return Outcome{Content: errorContent(fmt.Sprintf("the tool %q is not available for this business; %s", call.Name, available))}
	}
	raw := strings.TrimSpace(call.Arguments)
	if raw == "" {
		raw = "{}" // some models send nothing for a tool without parameters
	}
	if len(raw) > maxArgs {
		return Outcome{Content: errorContent(fmt.Sprintf("the arguments for %s are too long (%d bytes, at most %d); expected a JSON object with %s", call.Name, len(raw), maxArgs, e.schema.summary()))}
	}
	args, err := e.schema.check([]byte(raw))
	if err != nil {
		return Outcome{Content: errorContent(fmt.Sprintf("invalid arguments for %s: %v; expected a JSON object with %s", call.Name, err, e.schema.summary()))}
	}
	res, err := e.def.Run(ctx, env, args)
	if err != nil {
		if me, ok := errors.AsType[*ModelError](err); ok {
			return Outcome{Content: errorContent(me.Msg)}
		}
		return Outcome{Content: errorContent(fmt.Sprintf("%s failed; carry on without it and do not retry it now", call.Name)), Err: fmt.Errorf("tool %s: %w", call.Name, err)}
	}
	if strings.TrimSpace(res.Content) == "" {
		res.Content = `{"ok":true}`
	}
	return res
}

// ModelError is a Run failure the model should read and act on: bad input
// it can correct, or a rule it must follow. Its message is sent as
// {"error": Msg}.
type ModelError struct{ Msg string }

func (e *ModelError) Error() string { return e.Msg }

// Invalidf returns a ModelError with a formatted message.
func Invalidf(format string, args ...any) error {
	return &ModelError{Msg: fmt.Sprintf(format, args...)}
}

func errorContent(msg string) string {
	return jsonText(struct {
		Error string `json:"error"`
	}{msg})
}

// jsonText marshals v, which must be marshalable (our result structs and
// maps of strings are).
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `{"error":"internal: result could not be encoded"}`
	}
	return string(b)
}

// Result returns an Outcome whose Content is v as JSON.
func Result(v any) Outcome { return Outcome{Content: jsonText(v)} }
