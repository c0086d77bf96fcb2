package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ahca/ahca/pkg/llm"
)

// FuzzExecute: whatever the model sends, Execute answers with a JSON
// object, never panics, never touches Caller.CallerID and never reveals it.
func FuzzExecute(f *testing.F) {
	for _, s := range []struct{ name, args string }{
		{NameUpdateUserInfo, `{"name":"J A M I E","phone":"five oh three 555 0142","email":"j o h n at gmail dot com","reason":"gate"}`},
		{NameUpdateUserInfo, `{"name":null,"businessId":"x"}`},
		{NameValidatePhoneNumber, `{"phone_number":"+1 (503) 555-0142"}`},
		{NameGetCompanyInfo, `{"info_type":"all"}`},
		{NameGetCollectionStatus, ``},
		{NameEndConversation, `{"reason":"bye"}`},
		{"nope", `[`},
		{NameUpdateUserInfo, `{"name":{"a":[1,2,{"b":null}]}}`},
	} {
		f.Add(s.name, s.args)
	}
	r := Default()
	f.Fuzz(func(t *testing.T, name, args string) {
		for _, id := range []string{"superior-fencing", "sherpaprompt"} {
			b := biz(t, id)
			s := newSession(b)
			out := r.Execute(context.Background(), Env{Business: b, Session: s, Now: tuesday}, llm.ToolCall{Name: name, Arguments: args})
			var m map[string]any
			if err := json.Unmarshal([]byte(out.Content), &m); err != nil {
				t.Fatalf("content %q: %v", out.Content, err)
			}
			echoed := strings.Contains(name+args, "5550199") // the model's own words may be quoted back
			if s.Caller.CallerID != callerID || !echoed && strings.Contains(out.Content, "5550199") {
				t.Fatalf("caller id touched or revealed: %+v %s", s.Caller, out.Content)
			}
			if out.Err != nil {
				t.Fatalf("internal error: %v", out.Err)
			}
		}
	})
}
