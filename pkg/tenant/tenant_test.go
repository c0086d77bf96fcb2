package tenant

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"superior-fencing", false},
		{"a", false},
		{"biz2", false},
		{"", true},
		{"Superior", true},
		{"-leading", true},
		{"trailing-", true},
		{"has#hash", true},
		{"has/slash", true},
		{"has space", true},
		{"../etc", true},
		{"0", false},
		{"-", true},
		{"a-b", false},
		{"a--b", false},
		{"ab-", true},
		{strings.Repeat("a", 64), false},
		{"a" + strings.Repeat("-", 62) + "b", false},
		{strings.Repeat("a", 65), true},
		{strings.Repeat("a", 63) + "-", true},
		{"ab\n", true},
		{"é", true},
	}
	for _, tt := range tests {
		got, err := ParseID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseID(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("ParseID(%q) = %q", tt.in, got)
		}
	}
}

func TestContextHelpers(t *testing.T) {
	ctx := context.Background()
	if _, ok := FromContext(ctx); ok {
		t.Fatal("empty context reports a business")
	}
	ctx = WithCallSID(WithConnection(WithBusiness(ctx, "acme"), "conn-1"), "CA123")
	if id, ok := FromContext(ctx); !ok || id != "acme" {
		t.Errorf("FromContext = %q, %v", id, ok)
	}
	if c, ok := ConnectionFromContext(ctx); !ok || c != "conn-1" {
		t.Errorf("ConnectionFromContext = %q, %v", c, ok)
	}
	if c, ok := CallSIDFromContext(ctx); !ok || c != "CA123" {
		t.Errorf("CallSIDFromContext = %q, %v", c, ok)
	}
}

func TestLogHandlerAddsTenantAttributes(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want map[string]string // attribute -> value; "" means must be absent
	}{
		{
			name: "business only",
			ctx:  WithBusiness(context.Background(), "superior-fencing"),
			want: map[string]string{LogKeyBusiness: "superior-fencing", LogKeyConnection: "", LogKeyCallSID: ""},
		},
		{
			name: "all three",
			ctx:  WithCallSID(WithConnection(WithBusiness(context.Background(), "acme"), "c1"), "CA1"),
			want: map[string]string{LogKeyBusiness: "acme", LogKeyConnection: "c1", LogKeyCallSID: "CA1"},
		},
		{
			name: "none",
			ctx:  context.Background(),
			want: map[string]string{LogKeyBusiness: "", LogKeyConnection: "", LogKeyCallSID: ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := NewJSONLogger(&buf, slog.LevelInfo).With("component", "test")
			log.InfoContext(tt.ctx, "hello", "n", 1)
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("record is not JSON: %v: %s", err, buf.Bytes())
			}
			if rec["msg"] != "hello" || rec["component"] != "test" {
				t.Errorf("record lost its own fields: %v", rec)
			}
			for k, want := range tt.want {
				got, present := rec[k]
				if want == "" && present {
					t.Errorf("%s present (%v), want absent", k, got)
				}
				if want != "" && got != want {
					t.Errorf("%s = %v, want %q", k, got, want)
				}
			}
		})
	}
}

func TestLogHandlerRespectsLevel(t *testing.T) {
	var buf bytes.Buffer
	log := NewJSONLogger(&buf, slog.LevelWarn)
	log.InfoContext(WithBusiness(context.Background(), "acme"), "dropped")
	if buf.Len() != 0 {
		t.Errorf("INFO record written at WARN level: %s", buf.Bytes())
	}
}

// TestValidIDMatchesRegexp checks the hand-written validID against the regexp
// it replaced.
func TestValidIDMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)
	var in []string
	for n := 0; n <= 66; n++ {
		in = append(in, strings.Repeat("a", n), strings.Repeat("-", n), "a"+strings.Repeat("-", n)+"9", "-"+strings.Repeat("a", n), strings.Repeat("a", n)+"-")
	}
	in = append(in, "a\n", "\na", "A", "a_b", "a.b", "é", "a b", "z", "9", "0-0")
	for _, s := range in {
		if got, want := validID(s), re.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, regexp says %v", s, got, want)
		}
	}
}
