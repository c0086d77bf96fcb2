package session_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ahca/ahca/pkg/session"
	"github.com/ahca/ahca/pkg/session/sessiontest"
)

func streamSession() *session.Session {
	t0 := time.Date(2026, 11, 2, 4, 58, 1, 120000000, time.UTC)
	s := &session.Session{
		BusinessID: "acme-plumbing", ID: "s-stream", Channel: session.ChannelPhone, ConnectionID: "conn-1",
		CallSID: "CA0123", Status: session.StatusEnded, EndReason: "completed",
		Caller:  session.Caller{Name: "Jamie Rivera", Phone: "+15035550142", Reason: "leak — ünïcode ✓", CallerID: "+15035550199"},
		State:   session.State{Intake: session.Intake{Step: session.StepDone, Outcome: "confirmed"}},
		Version: 7, CreatedAt: t0, UpdatedAt: t0.Add(3 * time.Minute), EndedAt: t0.Add(3*time.Minute + 1),
		ExpiresAt: t0.Add(3 * time.Hour),
	}
	s.Append(session.RoleAgent, "Acme, this is Sam.", t0.Add(time.Second))
	s.Append(session.RoleCaller, "My pipe burst.", t0.Add(2*time.Second))
	tool := s.Append(session.RoleTool, `{"ok":true}`, t0.Add(3*time.Second))
	tool.Tool = "update_user_info"
	a := s.Append(session.RoleAgent, "Got it", t0.Add(4*time.Second))
	a.Interrupted = true
	return s
}

// throughJSON is img as a Lambda receives it: its JSON, and that JSON
// parsed back.
func throughJSON(t *testing.T, img map[string]events.DynamoDBAttributeValue) ([]byte, map[string]events.DynamoDBAttributeValue) {
	t.Helper()
	raw, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return raw, back
}

// A session survives the trip through a stream image as a Lambda receives
// it (JSON in DynamoDB's attribute-value format) unchanged.
func TestStreamImageRoundTrip(t *testing.T) {
	want := streamSession()
	raw, back := throughJSON(t, sessiontest.StreamImage(t, want))
	for _, frag := range []string{`"pk":{"S":"BIZ#acme-plumbing#SESSION#s-stream"}`, `"sk":{"S":"SESSION"}`,
		`"expiresAt":{"N":"`, `"version":{"N":"7"}`, `"gsi1pk":{"S":"CONN#conn-1"}`} {
		if !strings.Contains(string(raw), frag) {
			t.Errorf("image JSON lacks %s:\n%s", frag, raw)
		}
	}
	got, err := session.FromStreamImage(back)
	if err != nil {
		t.Fatal(err)
	}
	if d := sessiontest.Diff(got, want); d != "" {
		t.Error(d)
	}
}

func TestFromStreamImageRefuses(t *testing.T) {
	good := sessiontest.StreamImage(t, streamSession())
	with := func(k string, v events.DynamoDBAttributeValue) map[string]events.DynamoDBAttributeValue {
		m := map[string]events.DynamoDBAttributeValue{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name    string
		image   map[string]events.DynamoDBAttributeValue
		notSess bool
	}{
		{"transcript item", with("pk", events.NewStringAttribute("BIZ#acme-plumbing#TRANSCRIPTS")), true},
		{"email claim item", with("sk", events.NewStringAttribute("EMAIL")), true},
		{"numeric sk", with("sk", events.NewNumberAttribute("1")), true},
		{"no id after SESSION#", with("pk", events.NewStringAttribute("BIZ#acme-plumbing#SESSION#")), true},
		{"key names another business", with("pk", events.NewStringAttribute("BIZ#bravo-fencing#SESSION#s-stream")), false},
		{"bad TTL", with("expiresAt", events.NewNumberAttribute("soon")), false},
		{"caller not a map", with("caller", events.NewStringAttribute("Jamie")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := session.FromStreamImage(tt.image)
			if err == nil || s != nil {
				t.Fatalf("FromStreamImage = %v, %v; want an error", s, err)
			}
			if got := errors.Is(err, session.ErrNotSession); got != tt.notSess {
				t.Errorf("errors.Is(%v, ErrNotSession) = %v, want %v", err, got, tt.notSess)
			}
		})
	}
}

func TestIsSessionKeys(t *testing.T) {
	key := func(pk, sk string) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{"pk": events.NewStringAttribute(pk), "sk": events.NewStringAttribute(sk)}
	}
	tests := []struct {
		keys map[string]events.DynamoDBAttributeValue
		want bool
	}{
		{key("BIZ#acme#SESSION#s1", "SESSION"), true},
		{key("BIZ#acme#SESSION#s1#x", "SESSION"), true},
		{key("BIZ#acme#EMAIL#s1", "EMAIL"), false},
		{key("BIZ#acme#SESSION#s1", "EMAIL"), false},
		{key("BIZ##SESSION#s1", "SESSION"), false},
		{key("CONN#c1", "SESSION"), false},
		{key("BIZ#acme#TRANSCRIPTS", "SESSION"), false},
		{map[string]events.DynamoDBAttributeValue{"sk": events.NewStringAttribute("SESSION")}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := session.IsSessionKeys(tt.keys); got != tt.want {
			t.Errorf("IsSessionKeys(%v) = %v, want %v", tt.keys, got, tt.want)
		}
	}
}

// Every attribute type converts both ways.
func TestStreamAttributesAllTypes(t *testing.T) {
	item := map[string]types.AttributeValue{
		"s":    &types.AttributeValueMemberS{Value: "x"},
		"n":    &types.AttributeValueMemberN{Value: "-1.5"},
		"b":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
		"bool": &types.AttributeValueMemberBOOL{Value: true},
		"null": &types.AttributeValueMemberNULL{Value: true},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
		"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "y"}, &types.AttributeValueMemberN{Value: "2"}}},
		"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberBOOL{Value: false}}},
	}
	raw, parsed := throughJSON(t, sessiontest.StreamAttributes(t, item))
	want := `{"b":{"B":"AAEC"},"bool":{"BOOL":true},"bs":{"BS":["AQ==","Ag=="]},"l":{"L":[{"S":"y"},{"N":"2"}]},"m":{"M":{"k":{"BOOL":false}}},"n":{"N":"-1.5"},"ns":{"NS":["1","2"]},"null":{"NULL":true},"s":{"S":"x"},"ss":{"SS":["a","b"]}}`
	if string(raw) != want {
		t.Errorf("JSON:\n got %s\nwant %s", raw, want)
	}
	back, err := session.FromStreamAttributes(parsed)
	if err != nil {
		t.Fatal(err)
	}
	raw2, _ := json.Marshal(sessiontest.StreamAttributes(t, back))
	if string(raw2) != want {
		t.Errorf("round trip:\n got %s\nwant %s", raw2, want)
	}
}
