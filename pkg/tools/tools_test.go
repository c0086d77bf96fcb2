package tools

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahca/ahca/pkg/agent"
	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/business/businesstest"
	"github.com/ahca/ahca/pkg/llm"
	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/tenant"
)

var tuesday, sunday = businesstest.Tuesday, businesstest.Sunday

// callerID is what Twilio reported; no tool result may contain it.
const callerID = "+15035550199"

// biz returns a business of the project's configs/.
func biz(t *testing.T, id string) *business.Business { return businesstest.Get(t, tenant.ID(id)) }

func newSession(b *business.Business) *session.Session {
	return &session.Session{
		BusinessID: b.ID, ID: "s-1", Channel: session.ChannelPhone, Status: session.StatusActive,
		Caller: session.Caller{CallerID: callerID},
	}
}

func call(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "call_1", Name: name, Arguments: args}
}

// decode parses an Outcome's Content, failing the test if it is not a JSON
// object.
func decode(t *testing.T, out Outcome) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out.Content), &m); err != nil {
		t.Fatalf("content %q is not a JSON object: %v", out.Content, err)
	}
	if strings.Contains(out.Content, "5550199") {
		t.Errorf("content reveals the caller id: %s", out.Content)
	}
	return m
}

func errorOf(t *testing.T, out Outcome) string {
	t.Helper()
	m := decode(t, out)
	e, _ := m["error"].(string)
	return e
}

func names(ts []llm.Tool) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

// ragTool stands for a tool a later issue registers, enabled by a feature.
func ragTool() Def {
	return Def{
		Name:        "search_knowledge_base",
		Description: "Search the knowledge base.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"],"additionalProperties":false}`),
		Enabled:     func(b *business.Business) bool { return b.Features.RAG },
		Run: func(context.Context, Env, json.RawMessage) (Outcome, error) {
			return Result(map[string]string{"answer": "42"}), nil
		},
	}
}

var builtins = []string{NameUpdateUserInfo, NameValidatePhoneNumber, NameGetCollectionStatus, NameGetCompanyInfo, NameEndConversation}

func TestFor(t *testing.T) {
	r := Default()
	r.Register(ragTool())
	withRAG := append(slices.Clone(builtins), "search_knowledge_base")
	tests := []struct {
		name string
		b    func(t *testing.T) *business.Business
		want []string
	}{
		{"superior-fencing", func(t *testing.T) *business.Business { return biz(t, "superior-fencing") }, builtins},
		{"sherpaprompt (ragEnabled)", func(t *testing.T) *business.Business { return biz(t, "sherpaprompt") }, withRAG},
		{"maple-street-vet", func(t *testing.T) *business.Business { return biz(t, "maple-street-vet") }, builtins},
		{"collects nothing", func(*testing.T) *business.Business {
			return &business.Business{ID: "quiet", Intake: business.Intake{Required: []string{}}}
		}, []string{NameGetCompanyInfo, NameEndConversation}},
		{"requires email only, no basic info", func(*testing.T) *business.Business {
			return &business.Business{ID: "mail", Intake: business.Intake{Required: []string{"email"}}}
		}, []string{NameUpdateUserInfo, NameGetCollectionStatus, NameGetCompanyInfo, NameEndConversation}},
		{"requires phone only, no basic info", func(*testing.T) *business.Business {
			return &business.Business{ID: "ring", Intake: business.Intake{Required: []string{"phone"}}}
		}, builtins},
		{"rag, no collection", func(*testing.T) *business.Business {
			return &business.Business{ID: "docs", Features: business.Features{RAG: true}}
		}, []string{NameGetCompanyInfo, NameEndConversation, "search_knowledge_base"}},
		{"nil business", func(*testing.T) *business.Business { return nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.For(tt.b(t))
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("For = %v; want %v", names(got), tt.want)
			}
			for _, tool := range got {
				if tool.Description == "" {
					t.Errorf("%s has no description", tool.Name)
				}
			}
		})
	}
}

// TestSchemas checks every built-in schema is an object schema that refuses
// unknown properties and describes each property.
func TestSchemas(t *testing.T) {
	for _, tool := range Default().For(biz(t, "superior-fencing")) {
		var s struct {
			Type                 string                     `json:"type"`
			Properties           map[string]json.RawMessage `json:"properties"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		}
		if err := json.Unmarshal(tool.Parameters, &s); err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		if s.Type != "object" || s.Properties == nil || s.AdditionalProperties == nil || *s.AdditionalProperties {
			t.Errorf("%s: want type object, properties, additionalProperties false; got %s", tool.Name, tool.Parameters)
		}
		for p, raw := range s.Properties {
			var ps struct{ Description string }
			if json.Unmarshal(raw, &ps); ps.Description == "" {
				t.Errorf("%s.%s has no description", tool.Name, p)
			}
		}
	}
}

func TestExecuteRefusals(t *testing.T) {
	r := Default()
	r.Register(ragTool())
	sf := biz(t, "superior-fencing")
	tests := []struct {
		name string
		call llm.ToolCall
		want []string // substrings of the error
	}{
		{"unknown tool", call("transfer_funds", `{}`), []string{`no tool named "transfer_funds"`, "available tools: update_user_info, validate_phone_number"}},
		{"registered but disabled for this business", call("search_knowledge_base", `{"query":"pricing"}`), []string{`"search_knowledge_base" is not available for this business`}},
		{"malformed JSON", call(NameValidatePhoneNumber, `{"phone_number": "503`), []string{"not valid JSON", `"phone_number" (required string)`}},
		{"not an object", call(NameValidatePhoneNumber, `["5035550142"]`), []string{"an array, not a JSON object"}},
		{"two objects", call(NameValidatePhoneNumber, `{"phone_number":"5035550142"}{}`), []string{"not one JSON object"}},
		{"missing required", call(NameValidatePhoneNumber, `{}`), []string{`missing required argument "phone_number"`}},
		{"null required", call(NameValidatePhoneNumber, `{"phone_number": null}`), []string{`missing required argument "phone_number"`}},
		{"wrong type", call(NameValidatePhoneNumber, `{"phone_number": 5035550142}`), []string{`"phone_number" must be a string, not a number`}},
		{"empty string", call(NameValidatePhoneNumber, `{"phone_number": ""}`), []string{`"phone_number" is empty`}},
		{"too long", call(NameUpdateUserInfo, `{"name": "`+strings.Repeat("a", 101)+`"}`), []string{`"name" is too long (101 characters, at most 100)`}},
		{"huge arguments", call(NameUpdateUserInfo, `{"reason": "`+strings.Repeat("a", 20000)+`"}`), []string{"too long"}},
		{"business id in args", call(NameUpdateUserInfo, `{"name": "Jamie", "businessId": "sherpaprompt"}`), []string{`unexpected argument "businessId"`, `"name" (optional string)`}},
		{"unknown info_type", call(NameGetCompanyInfo, `{"info_type": "prices"}`), []string{"must be one of all, hours, phone, address, services, email, website", `not "prices"`}},
		{"no details", call(NameUpdateUserInfo, `{}`), []string{"no details given"}},
		{"only blanks and nulls", call(NameUpdateUserInfo, `{"name": "  ", "email": null}`), []string{"no details given"}},
		{"end with missing fields", call(NameEndConversation, `{}`), []string{"cannot end yet", "still missing: name, phone, reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(sf)
			before := s.Clone()
			out := r.Execute(context.Background(), Env{Business: sf, Session: s, Now: tuesday}, tt.call)
			msg := errorOf(t, out)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q; want it to contain %q", msg, w)
				}
			}
			if out.End || out.CallerUpdated || out.Err != nil {
				t.Errorf("outcome %+v; want a plain refusal", out)
			}
			if !reflect.DeepEqual(s, before) {
				t.Errorf("session changed: %+v", s)
			}
		})
	}
}

func TestValidatePhoneNumber(t *testing.T) {
	sf := biz(t, "superior-fencing")
	tests := []struct {
		in    string
		valid bool
		want  map[string]any
		event agent.Event
	}{
		{"(503) 555-0142", true, map[string]any{"cleaned_phone": "5035550142", "phone_for_speech": "5 0 3, 5 5 5, 0 1 4 2", "display": "(503) 555-0142", "e164": "+15035550142"}, agent.Event{Kind: agent.EventPhoneValidated, Detail: "(503) 555-0142"}},
		{"+1 503 555 0142", true, map[string]any{"cleaned_phone": "5035550142"}, agent.Event{Kind: agent.EventPhoneValidated, Detail: "(503) 555-0142"}},
		{"five oh three, five five five, oh one four two", true, map[string]any{"cleaned_phone": "5035550142"}, agent.Event{Kind: agent.EventPhoneValidated, Detail: "(503) 555-0142"}},
		{"503.555.0142", true, map[string]any{"e164": "+15035550142"}, agent.Event{Kind: agent.EventPhoneValidated, Detail: "(503) 555-0142"}},
		{"503-555-CALL", false, map[string]any{"reason": "a phone number can only have digits, and that has letters in it"}, agent.Event{Kind: agent.EventPhoneInvalid, Detail: "a phone number can only have digits, and that has letters in it"}},
		{"555 0142", false, map[string]any{"reason": "that has 7 digits; a US number has 10", "digits_heard": "5550142"}, agent.Event{Kind: agent.EventPhoneInvalid, Detail: "that has 7 digits; a US number has 10"}},
		{"123 555 0142", false, map[string]any{"reason": "the area code can't start with one"}, agent.Event{Kind: agent.EventPhoneInvalid, Detail: "the area code can't start with one"}},
		{"503 155 0142", false, map[string]any{"reason": "the three digits after the area code can't start with one"}, agent.Event{Kind: agent.EventPhoneInvalid, Detail: "the three digits after the area code can't start with one"}},
		{"+44 20 7946 0958", false, nil, agent.Event{Kind: agent.EventPhoneInvalid, Detail: "that isn't a US or Canadian number; I can only take numbers with a US or Canadian area code"}},
	}
	r := Default()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s := newSession(sf)
			args, _ := json.Marshal(map[string]string{"phone_number": tt.in})
			out := r.Execute(context.Background(), Env{Business: sf, Session: s, Now: tuesday}, call(NameValidatePhoneNumber, string(args)))
			m := decode(t, out)
			if m["valid"] != tt.valid {
				t.Fatalf("valid = %v; want %v (%s)", m["valid"], tt.valid, out.Content)
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("%s = %v; want %v", k, m[k], v)
				}
			}
			if out.Event == nil || *out.Event != tt.event {
				t.Errorf("event = %+v; want %+v", out.Event, tt.event)
			}
			if s.Caller.Phone != "" || out.CallerUpdated {
				t.Errorf("validation stored the number: %+v", s.Caller)
			}
		})
	}
}

func TestUpdateUserInfo(t *testing.T) {
	type step struct {
		args    string
		caller  session.Caller // after the call (CallerID is always callerID)
		updated bool
		result  map[string]any // top-level keys of the result, compared as JSON
		event   *agent.Event
	}
	tests := []struct {
		name  string
		biz   string
		steps []step
	}{
		{"one at a time, then a correction overwrites", "superior-fencing", []step{
			{`{"name": "jamie rivera"}`, session.Caller{Name: "Jamie Rivera"}, true,
				map[string]any{"saved": map[string]any{"name": "Jamie Rivera"}, "missing_required": []any{"phone", "reason"}, "all_required_collected": false},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "name=Jamie Rivera"}},
			{`{"phone": "five oh three 555 0142", "reason": "Fence blew down in the storm"}`,
				session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "Fence blew down in the storm"}, true,
				map[string]any{"saved": map[string]any{"phone": "(503) 555-0142", "reason": "Fence blew down in the storm"}, "phone_for_speech": "5 0 3, 5 5 5, 0 1 4 2", "missing_required": []any{}, "all_required_collected": true},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "phone=+15035550142; reason=Fence blew down in the storm"}},
			{`{"name": "J A M I E  R I V E R O"}`, session.Caller{Name: "Jamie Rivero", Phone: "+15035550142", Reason: "Fence blew down in the storm"}, true,
				map[string]any{"saved": map[string]any{"name": "Jamie Rivero"}, "missing_required": []any{}, "all_required_collected": true},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "name=Jamie Rivero"}},
			{`{"phone": "(971) 555-0100"}`, session.Caller{Name: "Jamie Rivero", Phone: "+19715550100", Reason: "Fence blew down in the storm"}, true,
				nil, &agent.Event{Kind: agent.EventInfoUpdated, Detail: "phone=+19715550100"}},
			{`{"name": "Jamie Rivero"}`, session.Caller{Name: "Jamie Rivero", Phone: "+19715550100", Reason: "Fence blew down in the storm"}, false,
				map[string]any{"saved": map[string]any{"name": "Jamie Rivero"}}, nil},
		}},
		{"an invalid phone is not stored, the rest is", "superior-fencing", []step{
			{`{"name": "Sam", "phone": "555 0142"}`, session.Caller{Name: "Sam"}, true,
				map[string]any{"saved": map[string]any{"name": "Sam"}, "not_saved": map[string]any{"phone": "that has 7 digits; a US number has 10"}, "missing_required": []any{"phone", "reason"}},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "name=Sam; phone not saved: that has 7 digits; a US number has 10"}},
			{`{"phone": "the number I'm calling from"}`, session.Caller{Name: "Sam"}, false,
				map[string]any{"not_saved": map[string]any{"phone": "a phone number can only have digits, and that has letters in it"}},
				&agent.Event{Kind: agent.EventPhoneInvalid, Detail: "a phone number can only have digits, and that has letters in it"}},
		}},
		{"emails: written stays intact, spelled is joined, invalid is refused", "sherpaprompt", []step{
			{`{"name": "Matt", "email": "matt@gmail.com"}`, session.Caller{Name: "Matt", Email: "matt@gmail.com"}, true,
				map[string]any{"saved": map[string]any{"name": "Matt", "email": "matt@gmail.com"}, "missing_required": []any{}, "all_required_collected": true},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "name=Matt; email=matt@gmail.com"}},
			{`{"email": "j o h n dot smith at example dot org"}`, session.Caller{Name: "Matt", Email: "john.smith@example.org"}, true,
				map[string]any{"saved": map[string]any{"email": "john.smith@example.org"}}, &agent.Event{Kind: agent.EventInfoUpdated, Detail: "email=john.smith@example.org"}},
			{`{"email": "dana at acme"}`, session.Caller{Name: "Matt", Email: "john.smith@example.org"}, false,
				map[string]any{"not_saved": map[string]any{"email": `not a complete email address; expected one address like name@example.com (spoken forms such as "j o h n at gmail dot com" are fine)`}},
				&agent.Event{Kind: agent.EventEmailInvalid, Detail: "dana at acme"}},
			{`{"email": "Contact@SherpaPrompt.example"}`, session.Caller{Name: "Matt", Email: "contact@sherpaprompt.example"}, true, nil, &agent.Event{Kind: agent.EventInfoUpdated, Detail: "email=contact@sherpaprompt.example"}},
		}},
		{"placeholders and nulls are not stored", "maple-street-vet", []step{
			{`{"name": "unknown", "reason": "Refill for Max's thyroid pills", "email": null}`, session.Caller{Reason: "Refill for Max's thyroid pills"}, true,
				map[string]any{"saved": map[string]any{"reason": "Refill for Max's thyroid pills"}, "not_saved": map[string]any{"name": "not a name: leave name out until the caller gives it"}, "missing_required": []any{"name", "phone"}},
				&agent.Event{Kind: agent.EventInfoUpdated, Detail: "reason=Refill for Max's thyroid pills"}},
		}},
	}
	r := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := biz(t, tt.biz)
			s := newSession(b)
			for i, st := range tt.steps {
				out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameUpdateUserInfo, st.args))
				m := decode(t, out)
				if e, ok := m["error"]; ok {
					t.Fatalf("step %d: error %v", i, e)
				}
				want := st.caller
				want.CallerID = callerID
				if s.Caller != want {
					t.Errorf("step %d: caller = %+v; want %+v", i, s.Caller, want)
				}
				if out.CallerUpdated != st.updated {
					t.Errorf("step %d: CallerUpdated = %v; want %v", i, out.CallerUpdated, st.updated)
				}
				for k, v := range st.result {
					if !reflect.DeepEqual(m[k], v) {
						t.Errorf("step %d: result %s = %#v; want %#v\n%s", i, k, m[k], v, out.Content)
					}
				}
				if !reflect.DeepEqual(out.Event, st.event) {
					t.Errorf("step %d: event = %+v; want %+v", i, out.Event, st.event)
				}
			}
		})
	}
}

// TestUpdateClearsScriptedFlags: a value the model stores replaces what the
// scripted agent noted as declined or unvalidated.
func TestUpdateClearsScriptedFlags(t *testing.T) {
	b := biz(t, "superior-fencing")
	s := newSession(b)
	s.Caller.Phone = "5550142"
	s.State.Intake = session.Intake{Unvalidated: []string{"phone"}, Skipped: []string{"name"}, Step: session.StepCollect}
	out := Default().Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameUpdateUserInfo, `{"phone":"503 555 0142","name":"Ada"}`))
	if errorOf(t, out) != "" {
		t.Fatal(out.Content)
	}
	want := session.Intake{Step: session.StepCollect}
	if !reflect.DeepEqual(s.State.Intake, want) {
		t.Errorf("intake = %+v; want %+v", s.State.Intake, want)
	}
}

func TestGetCollectionStatus(t *testing.T) {
	tests := []struct {
		biz    string
		caller session.Caller
		intake session.Intake
		want   string
	}{
		{"superior-fencing", session.Caller{}, session.Intake{},
			`{"required":["name","phone","reason"],"collected":{},"missing":["name","phone","reason"],"complete":false}`},
		{"superior-fencing", session.Caller{Name: "Jamie", Phone: "+15035550142"}, session.Intake{},
			`{"required":["name","phone","reason"],"collected":{"name":"Jamie","phone":"(503) 555-0142"},"phone_for_speech":"5 0 3, 5 5 5, 0 1 4 2","missing":["reason"],"complete":false}`},
		{"superior-fencing", session.Caller{Name: "Jamie", Reason: "Gate", Phone: "5550142"}, session.Intake{Unvalidated: []string{"phone"}},
			`{"required":["name","phone","reason"],"collected":{"name":"Jamie","phone":"5550142","reason":"Gate"},"missing":[],"unverified":["phone"],"complete":true}`},
		{"superior-fencing", session.Caller{Name: "Jamie", Reason: "Gate"}, session.Intake{Skipped: []string{"phone"}},
			`{"required":["name","phone","reason"],"collected":{"name":"Jamie","reason":"Gate"},"missing":[],"declined":["phone"],"complete":true}`},
		{"sherpaprompt", session.Caller{Name: "Matt", Email: "matt@gmail.com"}, session.Intake{},
			`{"required":["name","email"],"collected":{"name":"Matt","email":"matt@gmail.com"},"missing":[],"complete":true}`},
	}
	r := Default()
	for _, tt := range tests {
		b := biz(t, tt.biz)
		s := newSession(b)
		s.Caller = tt.caller
		s.Caller.CallerID = callerID
		s.State.Intake = tt.intake
		out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameGetCollectionStatus, ""))
		decode(t, out)
		if out.Content != tt.want {
			t.Errorf("%s %+v:\n got %s\nwant %s", tt.biz, tt.caller, out.Content, tt.want)
		}
	}
}

func TestGetCompanyInfo(t *testing.T) {
	tests := []struct {
		biz, infoType string
		now           time.Time
		want          map[string]any
		absent        []string
	}{
		{"superior-fencing", "phone", tuesday, map[string]any{"phone": "(503) 555-0142", "phone_for_speech": "5 0 3, 5 5 5, 0 1 4 2"}, []string{"address", "hours"}},
		{"superior-fencing", "address", tuesday, map[string]any{"address": "Portland, Oregon"}, []string{"phone"}},
		{"superior-fencing", "hours", tuesday, map[string]any{"hours": map[string]any{"weekdays": "7 AM to 5 PM", "saturday": "8 AM to noon", "sunday": "Closed"}, "timezone": "America/Los_Angeles"}, []string{"open_now", "schedule"}},
		{"superior-fencing", "email", tuesday, map[string]any{"not_on_file": "the business has not given its email; say you don't have it and that the team can follow up"}, []string{"email"}},
		{"sherpaprompt", "services", tuesday, map[string]any{"services": []any{"Call answering automation", "Conversation-to-task capture", "Voice-to-estimate drafting", "Product demos"}}, nil},
		{"sherpaprompt", "website", tuesday, map[string]any{"website": "sherpaprompt.example"}, nil},
		{"maple-street-vet", "hours", tuesday, map[string]any{"open_now": true, "schedule": []any{
			"Monday: 8:00 AM to 12:00 PM, 1:00 PM to 6:00 PM", "Tuesday: 8:00 AM to 6:00 PM", "Wednesday: 8:00 AM to 6:00 PM",
			"Thursday: 8:00 AM to 6:00 PM", "Friday: 8:00 AM to 5:00 PM", "Saturday: 9:00 AM to 1:00 PM", "Sunday: closed"}}, nil},
		{"maple-street-vet", "hours", sunday, map[string]any{"open_now": false}, nil},
		{"sherpaprompt", "all", tuesday, map[string]any{"name": "SherpaPrompt", "email": "hello@sherpaprompt.example", "facts": map[string]any{"tagline": "From conversation to done"}}, []string{"emergency"}},
		{"superior-fencing", "all", tuesday, map[string]any{"name": "Superior Fence & Construction", "emergency": "Callers with a fallen fence, a broken gate that will not close, or loose livestock or pets can press the pound key to reach the on-call crew."}, nil},
	}
	r := Default()
	for _, tt := range tests {
		t.Run(tt.biz+"/"+tt.infoType, func(t *testing.T) {
			b := biz(t, tt.biz)
			s := newSession(b)
			out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tt.now}, call(NameGetCompanyInfo, `{"info_type":"`+tt.infoType+`"}`))
			m := decode(t, out)
			for k, v := range tt.want {
				if !reflect.DeepEqual(m[k], v) {
					t.Errorf("%s = %#v; want %#v", k, m[k], v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := m[k]; ok {
					t.Errorf("%s present: %s", k, out.Content)
				}
			}
			if strings.Contains(out.Content, "${") {
				t.Errorf("a secret reference leaked: %s", out.Content)
			}
			if out.Event == nil || *out.Event != (agent.Event{Kind: agent.EventCompanyInfo, Detail: tt.infoType}) {
				t.Errorf("event = %+v", out.Event)
			}
		})
	}
}

func TestEndConversation(t *testing.T) {
	tests := []struct {
		name    string
		biz     string
		caller  session.Caller
		intake  session.Intake
		args    string
		end     bool
		wantErr string
	}{
		{"superior-fencing, nothing collected", "superior-fencing", session.Caller{}, session.Intake{}, `{}`, false, "still missing: name, phone, reason"},
		{"superior-fencing, no phone (caller id does not count)", "superior-fencing", session.Caller{Name: "Jamie", Reason: "Gate"}, session.Intake{}, `{"reason":"caller said goodbye"}`, false, "still missing: phone"},
		{"superior-fencing, complete", "superior-fencing", session.Caller{Name: "Jamie", Reason: "Gate", Phone: "+15035550142"}, session.Intake{}, `{"reason":"details collected"}`, true, ""},
		{"superior-fencing, phone declined to the scripted agent", "superior-fencing", session.Caller{Name: "Jamie", Reason: "Gate"}, session.Intake{Skipped: []string{"phone"}}, `{}`, true, ""},
		{"sherpaprompt without a phone", "sherpaprompt", session.Caller{Name: "Matt", Email: "matt@gmail.com"}, session.Intake{}, ``, true, ""},
		{"sherpaprompt without an email", "sherpaprompt", session.Caller{Name: "Matt", Phone: "+15035550142"}, session.Intake{}, `{}`, false, "still missing: email"},
	}
	r := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := biz(t, tt.biz)
			s := newSession(b)
			s.Caller = tt.caller
			s.Caller.CallerID = callerID
			s.State.Intake = tt.intake
			out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameEndConversation, tt.args))
			msg := errorOf(t, out)
			if out.End != tt.end {
				t.Errorf("End = %v; want %v (%s)", out.End, tt.end, out.Content)
			}
			if tt.wantErr == "" && msg != "" || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q; want %q", msg, tt.wantErr)
			}
			if tt.end {
				want := "completed"
				if strings.Contains(tt.args, "reason") {
					want = "details collected"
				}
				if out.Event == nil || *out.Event != (agent.Event{Kind: agent.EventEnd, Detail: want}) {
					t.Errorf("event = %+v", out.Event)
				}
				if out.Handoff != nil {
					t.Errorf("handoff = %+v", out.Handoff)
				}
			}
		})
	}
}

// TestIsolation: a tool runs only on its Env's session, with its Env's
// business; the business is never changed; a session of another business
// is refused.
func TestIsolation(t *testing.T) {
	sf, sp := biz(t, "superior-fencing"), biz(t, "sherpaprompt")
	snapshot := func(b *business.Business) string {
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(j)
	}
	sfBefore, spBefore := snapshot(sf), snapshot(sp)
	r := Default()
	mine, other := newSession(sf), newSession(sp)
	otherBefore := other.Clone()
	for _, c := range []llm.ToolCall{
		call(NameUpdateUserInfo, `{"name":"Jamie","phone":"5035550142","reason":"gate"}`),
		call(NameGetCompanyInfo, `{"info_type":"all"}`),
		call(NameGetCollectionStatus, `{}`),
		call(NameEndConversation, `{}`),
	} {
		r.Execute(context.Background(), Env{Business: sf, Session: mine, Now: tuesday}, c)
	}
	if mine.Caller.Name != "Jamie" {
		t.Errorf("own session not updated: %+v", mine.Caller)
	}
	if !reflect.DeepEqual(other, otherBefore) {
		t.Errorf("another business's session changed")
	}
	if snapshot(sf) != sfBefore || snapshot(sp) != spBefore {
		t.Errorf("a business config changed")
	}
	// A session of sherpaprompt with superior-fencing's business: refused.
	out := r.Execute(context.Background(), Env{Business: sf, Session: other, Now: tuesday}, call(NameUpdateUserInfo, `{"name":"Mallory"}`))
	if errorOf(t, out) == "" || out.Err == nil || other.Caller.Name != "" {
		t.Errorf("cross-business call ran: %+v, caller %+v", out, other.Caller)
	}
	// No env at all.
	out = r.Execute(context.Background(), Env{}, call(NameGetCollectionStatus, `{}`))
	if errorOf(t, out) == "" || out.Err == nil {
		t.Errorf("call without env ran: %+v", out)
	}
}

func TestExecuteRunFailures(t *testing.T) {
	r := NewRegistry(
		Def{Name: "boom", Parameters: json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`),
			Run: func(context.Context, Env, json.RawMessage) (Outcome, error) { panic("kaboom") }},
		Def{Name: "store_down", Parameters: json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`),
			Run: func(context.Context, Env, json.RawMessage) (Outcome, error) {
				return Outcome{}, errors.New("dynamodb: table BIZ#x unavailable")
			}},
		Def{Name: "silent", Parameters: json.RawMessage(`{"type":"object","properties":{}}`),
			Run: func(context.Context, Env, json.RawMessage) (Outcome, error) { return Outcome{}, nil }},
	)
	b := biz(t, "superior-fencing")
	env := Env{Business: b, Session: newSession(b), Now: tuesday}
	for _, name := range []string{"boom", "store_down"} {
		out := r.Execute(context.Background(), env, call(name, `{}`))
		msg := errorOf(t, out)
		if !strings.Contains(msg, name+" failed") || strings.Contains(msg, "dynamodb") || strings.Contains(msg, "kaboom") {
			t.Errorf("%s: error %q", name, msg)
		}
		if out.Err == nil {
			t.Errorf("%s: Err not set", name)
		}
	}
	if out := r.Execute(context.Background(), env, call("silent", `{"extra": 1}`)); out.Content != `{"ok":true}` {
		t.Errorf("silent: content %q", out.Content)
	}
}

func TestRegisterPanics(t *testing.T) {
	ok := json.RawMessage(`{"type":"object","properties":{}}`)
	run := func(context.Context, Env, json.RawMessage) (Outcome, error) { return Outcome{}, nil }
	tests := []struct {
		name string
		def  Def
	}{
		{"duplicate", Def{Name: NameEndConversation, Parameters: ok, Run: run}},
		{"no name", Def{Parameters: ok, Run: run}},
		{"no run", Def{Name: "x", Parameters: ok}},
		{"no parameters", Def{Name: "x", Run: run}},
		{"not an object", Def{Name: "x", Parameters: json.RawMessage(`{"type":"string"}`), Run: run}},
		{"bad JSON", Def{Name: "x", Parameters: json.RawMessage(`{`), Run: run}},
		{"required not a property", Def{Name: "x", Parameters: json.RawMessage(`{"type":"object","properties":{},"required":["a"]}`), Run: run}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			Default().Register(tt.def)
		})
	}
}

// TestConcurrent runs calls for many sessions of several businesses on one
// registry at once (run with -race).
func TestConcurrent(t *testing.T) {
	r := Default()
	bs := []*business.Business{biz(t, "superior-fencing"), biz(t, "sherpaprompt"), biz(t, "maple-street-vet")}
	var wg sync.WaitGroup
	for i := range 30 {
		b := bs[i%len(bs)]
		wg.Go(func() {
			s := newSession(b)
			r.For(b)
			r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameUpdateUserInfo, `{"name":"ada","email":"ada@example.com","phone":"5035550142","reason":"x"}`))
			out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, call(NameEndConversation, `{}`))
			if !out.End {
				t.Errorf("%s: %s", b.ID, out.Content)
			}
		})
	}
	wg.Wait()
}
