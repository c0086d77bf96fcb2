package localaws

import (
	"encoding/json"
	"strings"
	"testing"
)

// The email-summary mapping's filter from template.yaml, on the records
// DynamoDB sends: a session going active → ended, a TTL removal of an
// active session; not a turn, a user's delete, or a transcript item.
func TestTemplateStreamFilter(t *testing.T) {
	tmpl, err := ReadTemplate("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl.Mappings) != 1 {
		t.Fatalf("mappings = %+v, want the email-summary stream mapping", tmpl.Mappings)
	}
	m := tmpl.Mappings[0]
	if m.Source != "AppTable.StreamArn" || tmpl.Functions[m.Function].Name != "email-summary" || !m.ReportBatchItemFailures || m.BatchSize < 1 {
		t.Fatalf("mapping = %+v", m)
	}
	f, err := NewFilter(m.Filters)
	if err != nil {
		t.Fatal(err)
	}
	session := func(event, oldStatus, newStatus, identity string) map[string]any {
		r := map[string]any{"eventName": event, "dynamodb": map[string]any{"Keys": map[string]any{"pk": map[string]any{"S": "BIZ#a#SESSION#s"}, "sk": map[string]any{"S": "SESSION"}}}}
		d := r["dynamodb"].(map[string]any)
		if oldStatus != "" {
			d["OldImage"] = map[string]any{"status": map[string]any{"S": oldStatus}}
		}
		if newStatus != "" {
			d["NewImage"] = map[string]any{"status": map[string]any{"S": newStatus}}
		}
		if identity != "" {
			r["userIdentity"] = map[string]any{"type": "Service", "principalId": identity}
		}
		return r
	}
	transcript := session("INSERT", "", "ended", "")
	transcript["dynamodb"].(map[string]any)["Keys"].(map[string]any)["sk"] = map[string]any{"S": "2026-01-01T00:00:00.000000000Z#s"}
	for _, tc := range []struct {
		name string
		rec  map[string]any
		want bool
	}{
		{"ended", session("MODIFY", "active", "ended", ""), true},
		{"a turn", session("MODIFY", "active", "active", ""), false},
		{"ended again", session("MODIFY", "ended", "ended", ""), false},
		{"created", session("INSERT", "", "active", ""), false},
		{"expired by TTL", session("REMOVE", "active", "", "dynamodb.amazonaws.com"), true},
		{"deleted by a user", session("REMOVE", "active", "", ""), false},
		{"expired after ending", session("REMOVE", "ended", "", "dynamodb.amazonaws.com"), false},
		{"a transcript", transcript, false},
	} {
		if got := f.Match(tc.rec); got != tc.want {
			b, _ := json.Marshal(tc.rec)
			t.Errorf("%s: match = %v, want %v (%s)", tc.name, got, tc.want, b)
		}
	}
}

func TestFilterOperators(t *testing.T) {
	f, err := NewFilter([]string{`{"a":[{"prefix":"BIZ#"}],"b":[{"exists":false}],"c":[{"anything-but":["x"]}],"n":[5]}`})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(s string) map[string]any {
		var m map[string]any
		json.Unmarshal([]byte(s), &m)
		return m
	}
	for in, want := range map[string]bool{
		`{"a":"BIZ#1","c":"y","n":"5"}`:         true,
		`{"a":"BIZ#1","c":"y","n":5}`:           true,
		`{"a":"XBIZ","c":"y","n":5}`:            false,
		`{"a":"BIZ#1","b":1,"c":"y","n":5}`:     false,
		`{"a":"BIZ#1","c":"x","n":5}`:           false,
		`{"a":["z","BIZ#2"],"c":["y"],"n":[5]}`: true,
	} {
		if got := f.Match(ev(in)); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
	if _, err := NewFilter([]string{`{"a":[{"numeric":[">",1]}]}`}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("numeric operator: %v, want an error", err)
	}
	if _, err := NewFilter([]string{`{"a":"x"}`}); err == nil {
		t.Error("a bare value accepted")
	}
}
