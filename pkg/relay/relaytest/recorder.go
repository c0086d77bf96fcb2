// Package relaytest has a Poster that records frames instead of posting
// them, for tests of the conversation engine and its handlers.
package relaytest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/ahca/ahca/pkg/relay"
)

// Recorder keeps every frame posted to each connection. Mark a connection
// gone to make posts fail with relay.ErrGone (API Gateway's 410).
type Recorder struct {
	mu     sync.Mutex
	frames map[string][]map[string]any
	closed map[string]bool
	gone   map[string]bool
	// OnPost, when set, runs before each post is recorded (outside the lock).
	OnPost func(connectionID string, frame map[string]any)
}

// New returns an empty recorder.
func New() *Recorder {
	return &Recorder{frames: map[string][]map[string]any{}, closed: map[string]bool{}, gone: map[string]bool{}}
}

// Post records a frame; frames must be JSON objects.
func (r *Recorder) Post(_ context.Context, id string, frame []byte) error {
	var m map[string]any
	if err := json.Unmarshal(frame, &m); err != nil {
		return fmt.Errorf("posted invalid JSON %q: %v", frame, err)
	}
	if r.OnPost != nil {
		r.OnPost(id, m)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone[id] {
		return fmt.Errorf("post: %w", relay.ErrGone)
	}
	r.frames[id] = append(r.frames[id], m)
	return nil
}

// Close records that the connection was closed.
func (r *Recorder) Close(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed[id] = true
	return nil
}

// SetGone makes later posts to id fail with relay.ErrGone.
func (r *Recorder) SetGone(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gone[id] = true
}

// Closed reports whether id was closed.
func (r *Recorder) Closed(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed[id]
}

// Take returns and forgets the frames posted to id.
func (r *Recorder) Take(id string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.frames[id]
	r.frames[id] = nil
	return f
}

// Find returns the first frame of a type, or nil.
func Find(frames []map[string]any, typ string) map[string]any {
	for _, f := range frames {
		if f["type"] == typ {
			return f
		}
	}
	return nil
}

// Reply joins the text frames and reports whether the reply was closed by
// exactly one last:true frame at its end.
func Reply(frames []map[string]any) (text string, closed bool) {
	var b strings.Builder
	lasts := 0
	trailing := false
	for _, f := range frames {
		if f["type"] != "text" {
			continue
		}
		if lasts > 0 {
			trailing = true
		}
		b.WriteString(fmt.Sprint(f["token"]))
		if f["last"] == true {
			lasts++
		}
	}
	return b.String(), lasts == 1 && !trailing
}
